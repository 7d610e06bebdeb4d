/**
 * What is really in storage, read past the target's API (which a lying server can falsify): every object with
 * its bytes' MD5 and an identity that changes whenever the object is written again. The model checks "no stored
 * object is ever replaced" and "stored exactly once" against this, for the real LocalTarget (its directory) and
 * for the in-memory target alike.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface StoredCopy {
  key: string;
  size: number;
  md5: string;
  /** Changes when the object is written again (an inode, a write serial). */
  identity: string;
  /** For metadata objects (`<key>.json`): the parsed JSON, or undefined when it is not JSON. */
  json?: { id?: string; path?: string; md5?: string };
}

export interface StoreView {
  /** Every object now, metadata objects included, keyed by object key. */
  snapshot(): Promise<Map<string, StoredCopy>>;
  /** Removes the audio object at `key`, as a storage that loses data after answering 200 would. */
  lose(key: string): Promise<void>;
}

export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

export function parseMetadata(bytes: Buffer): StoredCopy['json'] {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as StoredCopy['json']) : undefined;
  } catch {
    return undefined;
  }
}

/** The directory of a LocalTarget, read with fs; files are hashed once per (inode, size, mtime). */
export class LocalStoreView implements StoreView {
  readonly #hashes = new Map<string, { md5: string; json?: StoredCopy['json'] }>();

  constructor(readonly dir: string) {}

  /** Synchronous, like the spool-side look (observe.ts): one instant between two steps. */
  async snapshot(): Promise<Map<string, StoredCopy>> {
    const out = new Map<string, StoredCopy>();
    const walk = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of entries) {
        if (d.name.startsWith('.')) continue; // the target's temporaries
        const p = join(dir, d.name);
        if (d.isDirectory()) {
          walk(p);
          continue;
        }
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        const key = relative(this.dir, p).split('\\').join('/');
        const identity = `${st.ino}:${st.size}:${st.mtimeMs}`;
        let h = this.#hashes.get(identity);
        if (!h) {
          const bytes = readFileSync(p);
          h = { md5: md5Hex(bytes), json: key.endsWith('.json') ? parseMetadata(bytes) : undefined };
          this.#hashes.set(identity, h);
        }
        out.set(key, { key, size: st.size, md5: h.md5, identity: `${st.ino}:${h.md5}`, json: h.json });
      }
    };
    walk(this.dir);
    return out;
  }

  async lose(key: string): Promise<void> {
    await unlink(join(this.dir, key));
  }
}

/**
 * Compares successive snapshots: an object that changed identity or vanished was replaced or deleted, unless
 * the storage was told to lose it (then a new object may take the key).
 */
export class ReplaceWatch {
  #seen = new Map<string, StoredCopy>();
  /** Keys the fault layer made the storage lose since the last look. */
  readonly lost = new Set<string>();

  /** Violations since the previous snapshot. */
  look(now: ReadonlyMap<string, StoredCopy>): string[] {
    const bad: string[] = [];
    for (const [key, before] of this.#seen) {
      const after = now.get(key);
      if (after?.identity === before.identity) continue;
      if (this.lost.has(key)) {
        this.lost.delete(key);
        continue;
      }
      bad.push(after ? `stored object ${key} was replaced (md5 ${before.md5} -> ${after.md5})` : `stored object ${key} vanished`);
    }
    this.#seen = new Map(now);
    return bad;
  }
}
