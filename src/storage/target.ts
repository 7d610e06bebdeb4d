/** Where finished recordings go. Each target verifies what it stored before the spool deletes anything. */
import type { RecordingMeta, RecordingResult } from '../recorder/types';

export interface StoredObject {
  size: number;
  md5?: string;
}

export interface StorageTarget {
  describe(): string;
  /** The object key for a recording (a key template, else its path relative to its root). */
  keyFor(meta: RecordingMeta): string;
  /** Stores the file under `key` (idempotent: the same key again replaces it). */
  put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined): Promise<void>;
  /** What is stored under `key`, or null. */
  stat(key: string): Promise<StoredObject | null>;
}
