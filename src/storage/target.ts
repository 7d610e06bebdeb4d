/** Where finished recordings go. Each target verifies what it stored before the spool deletes anything. */
import type { Readable } from 'node:stream';
import type { Faults } from '../durability/faults';
import type { RecordingMeta, RecordingResult } from '../model/recording';

export interface StoredObject {
  size: number;
  /**
   * The MD5 of the stored bytes as the storage computed it: a local file's hash, or an S3 ETag that is a bare
   * MD5 (single part, no SSE-KMS/SSE-C: with those the ETag looks like an MD5 and is not one, so the target
   * leaves this unset whenever the object is, or is configured to be, encrypted that way).
   */
  md5?: string;
  /** The SHA-256 the server computed and kept with the object (S3 `x-amz-checksum-sha256`), hex. */
  sha256?: string;
  /**
   * An S3 multipart ETag (`<md5 of part MD5s>-<parts>`) and the part size it was uploaded with: check it with
   * `multipartEtag(localPath, partSize)` (storage/checksum.ts); the server computed it from the parts it got.
   */
  multipart?: { etag: string; partSize: number };
  /** The MD5 the uploader claimed (S3 `x-amz-meta-fsrecd-md5`): what was sent, not what was stored. */
  claimedMd5?: string;
  /** The SHA-256 the uploader claimed (S3 `x-amz-meta-fsrecd-sha256`, else its `.json`): what was sent. */
  claimedSha256?: string;
  /** The recording id the uploader attached (S3 `x-amz-meta-fsrecd-id`). */
  recordingId?: string;
  /** Server-side encryption, as the server reported it (or as configured when it reports none). */
  encryption?: 'SSE-S3' | 'SSE-KMS' | 'SSE-C';
}

export interface PutResult {
  /** The key the recording is stored under: the one asked for, or `<name>-N<ext>` when that was taken. */
  key: string;
  /** The local file's MD5 and SHA-256, from the one read that sent it (or that compared it). */
  md5: string;
  sha256?: string;
  /** The multipart ETag the file's parts give, when it went up in parts now. */
  multipartEtag?: { etag: string; partSize: number };
  /**
   * What the server answered to the upload made by this call (absent when the key already held these bytes,
   * or for a directory): enough to verify the bytes without reading the object back (verify.ts).
   */
  reply?: StoredObject;
}

export interface StorageTarget {
  describe(): string;
  /** The object key for a recording (a key template, else its path relative to its root). */
  keyFor(meta: RecordingMeta): string;
  /**
   * Stores the file under `key` and never replaces an existing object with different content: when `key`
   * holds another recording (or other bytes) it uses `<name>-2<ext>`, `-3`… (up to 100; S3 creates with
   * `If-None-Match: *`, a directory with an exclusive link), and when `key` already holds these very bytes
   * (a run that died before journaling them) it uploads nothing. The metadata (meta, result and the local
   * MD5, from which `fsrecd recordings reindex` rebuilds the index) goes in `<used key>.json`, never replaced
   * either; on S3 it rides on the object instead (x-amz-meta-fsrecd-meta) when it fits S3's 2 KB of user
   * metadata, and the `.json` is written only when it does not.
   * Returns the key actually used: journal and verify that one. `faults` hears the durable
   * steps (local.copy-temp, local.link, local.write-metadata, upload.put-metadata) for the crash tests.
   */
  put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string, faults?: Faults): Promise<PutResult>;
  /**
   * What is stored under `key`, or null. `expect`: the MD5 the upload computed while sending, when this is a
   * read-back of a just-stored object; S3 may then answer from a listing batched with other keys (its size
   * and an ETag that is this MD5), else it reads the object's headers as without it.
   */
  stat(key: string, expect?: { md5: string }): Promise<StoredObject | null>;
}

export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  /** Whether `<key>.json` exists, where the listing tells (S3's is sorted); undefined when it does not. */
  metadataObject?: boolean;
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
  /** The metadata the object itself carries (S3: x-amz-meta-fsrecd-meta), undefined when none; absent for a directory. */
  readObjectMetadata?(key: string): Promise<unknown>;
  /** The object's bytes, or only `range` of them. */
  open(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  /** A time-limited URL anyone can fetch the object with; undefined for targets without one (a directory). */
  presign(key: string, seconds: number, downloadName: string): Promise<string | undefined>;
}

export type RecordingStore = StorageTarget & StorageReader;
