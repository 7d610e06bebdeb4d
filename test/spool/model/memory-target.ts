/**
 * An object store in memory with S3's rules: objects are created exclusively (If-None-Match: *) through the
 * production placement loop (src/storage/place.ts), so a taken key moves the recording to `-2`, `-3`… It can
 * report ETags as a bare MD5 (single part) or as a multipart ETag (no MD5 at all, as S3 does for large
 * uploads), and can be told to corrupt the bytes of the next object it creates. Every write is recorded, so a
 * write over an existing object is seen even if it restored the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setImmediate as tick } from 'node:timers/promises';
import { NO_FAULTS, type Faults } from '../../../src/durability/faults';
import type { RecordingMeta, RecordingResult } from '../../../src/model/recording';
import { idIn } from '../../../src/storage/no-replace';
import { placeWithoutReplacing } from '../../../src/storage/place';
import type { PutResult, StorageTarget, StoredObject } from '../../../src/storage/target';
import { md5Hex, parseMetadata, type StoreView, type StoredCopy } from './store-view';

interface MemoryObject {
  bytes: Buffer;
  md5: string;
  recordingId?: string;
  serial: number;
}

export type EtagStyle = 'md5' | 'multipart';

/** S3's multipart ETag of `bytes` uploaded in parts of `partSize`. */
export function multipartEtagOf(bytes: Buffer, partSize: number): string {
  const parts: Buffer[] = [];
  for (let i = 0; i < Math.max(1, bytes.length); i += partSize) parts.push(createHash('md5').update(bytes.subarray(i, i + partSize)).digest());
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}

export class MemoryTarget implements StorageTarget, StoreView {
  readonly #objects = new Map<string, MemoryObject>();
  #serial = 0;
  /** Writes that found an object already at their key: must stay empty. */
  readonly overwrites: string[] = [];
  /** Keys whose stored bytes differ from what was sent (the storage corrupted them). */
  readonly corrupted = new Set<string>();
  /** How many of the next created audio objects get a flipped byte. */
  corruptNext = 0;

  constructor(
    readonly etags: EtagStyle,
    readonly partSize = 64,
  ) {}

  describe(): string {
    return `memory storage (${this.etags} ETags)`;
  }

  keyFor(meta: RecordingMeta): string {
    return meta.relativePath;
  }

  #write(key: string, bytes: Buffer, recordingId?: string): void {
    if (this.#objects.has(key)) this.overwrites.push(key);
    this.corrupted.delete(key);
    this.#objects.set(key, { bytes, md5: md5Hex(bytes), recordingId, serial: ++this.#serial });
  }

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string, faults: Faults = NO_FAULTS): Promise<PutResult> {
    const bytes = await readFile(localPath);
    const fileMd5 = md5 ?? md5Hex(bytes);
    const local = { id: meta.id, size: bytes.length, md5: () => Promise.resolve(fileMd5) };
    const json = Buffer.from(JSON.stringify({ ...meta, result, md5: fileMd5 }));
    const used = await placeWithoutReplacing(
      key,
      local,
      {
        look: async (k) => {
          await tick();
          const o = this.#objects.get(k);
          const m = this.#objects.get(`${k}.json`);
          return {
            object: o && {
              size: o.bytes.length,
              md5: this.etags === 'md5' ? o.md5 : undefined,
              multipartEtagMatches: this.etags === 'multipart' ? multipartEtagOf(o.bytes, this.partSize) === multipartEtagOf(bytes, this.partSize) : undefined,
              recordingId: o.recordingId,
            },
            metadataId: m ? (idIn(parseMetadata(m.bytes)) ?? '') : undefined,
          };
        },
        md5Of: async (k) => {
          await tick();
          const o = this.#objects.get(k);
          if (!o) throw new Error(`NoSuchKey: ${k}`);
          return o.md5;
        },
        createAudio: async (k) => {
          await tick();
          if (this.#objects.has(k)) return false;
          let stored = bytes;
          const corrupt = this.corruptNext > 0 && bytes.length > 0;
          if (corrupt) {
            this.corruptNext--;
            stored = Buffer.from(bytes);
            stored[stored.length - 1] = (stored[stored.length - 1] as number) ^ 0xff;
          }
          this.#write(k, stored, meta.id);
          if (corrupt) this.corrupted.add(k);
          return true;
        },
        createMetadata: async (k) => {
          faults.at('upload.put-metadata');
          await tick();
          if (this.#objects.has(`${k}.json`)) return false;
          this.#write(`${k}.json`, json);
          return true;
        },
      },
      this.describe(),
    );
    // No reply to trust: the spool verifies by stat(), which reads what this store holds.
    return { key: used, md5: fileMd5 };
  }

  async stat(key: string): Promise<StoredObject | null> {
    await tick();
    const o = this.#objects.get(key);
    if (!o) return null;
    if (this.etags === 'md5') return { size: o.bytes.length, md5: o.md5, recordingId: o.recordingId };
    return { size: o.bytes.length, multipart: { etag: multipartEtagOf(o.bytes, this.partSize), partSize: this.partSize }, recordingId: o.recordingId };
  }

  async snapshot(): Promise<Map<string, StoredCopy>> {
    const out = new Map<string, StoredCopy>();
    for (const [key, o] of this.#objects) {
      out.set(key, { key, size: o.bytes.length, md5: o.md5, identity: String(o.serial), json: key.endsWith('.json') ? parseMetadata(o.bytes) : undefined });
    }
    return out;
  }

  async lose(key: string): Promise<void> {
    this.#objects.delete(key);
    this.corrupted.delete(key);
  }
}
