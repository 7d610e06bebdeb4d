/** Where finished recordings go. Each target verifies what it stored before the spool deletes anything. */
import type { Readable } from 'node:stream';
import type { RecordingMeta, RecordingResult } from '../recorder/types';

export interface StoredObject {
  size: number;
  md5?: string;
}

export interface StorageTarget {
  describe(): string;
  /** The object key for a recording (a key template, else its path relative to its root). */
  keyFor(meta: RecordingMeta): string;
  /**
   * Stores the file under `key` (idempotent: the same key again replaces it), and its metadata object
   * (`<key>.json`: meta, result and the local MD5) from which `fsrecd recordings reindex` rebuilds the index.
   */
  put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string): Promise<void>;
  /** What is stored under `key`, or null. */
  stat(key: string): Promise<StoredObject | null>;
}

export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

/** Inclusive byte range, as HTTP Range gives it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The reading side: what the recordings index, the CLI and the HTTP API need. */
export interface StorageReader {
  describe(): string;
  /** Every object, metadata objects included, in no promised order; streamed, so a million keys fit. */
  list(): AsyncIterable<ListedObject>;
  /** A metadata object parsed, or undefined when it is missing or not JSON. */
  readJson(key: string): Promise<unknown>;
  /** The object's bytes, or only `range` of them. */
  open(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  /** A time-limited URL anyone can fetch the object with; undefined for targets without one (a directory). */
  presign(key: string, seconds: number, downloadName: string): Promise<string | undefined>;
}

export type RecordingStore = StorageTarget & StorageReader;
