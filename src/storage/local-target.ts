/** The default target: a directory on this machine (installs without an object store). */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { NO_FAULTS, type Faults } from '../durability/faults';
import { renderObjectKey } from '../naming/object-key';
import type { RecordingMeta, RecordingResult } from '../model/recording';
import { tempPathBeside } from '../util/atomic-file';
import { walkFiles } from '../util/walk-files';
import { md5File } from './checksum';
import { linkExclusive, removeOnError } from './exclusive-file';
import { idIn, type ObjectAtKey } from './no-replace';
import { placeWithoutReplacing } from './place';
import type { ByteRange, ListedObject, PutResult, RecordingStore, StoredObject } from './target';

export class LocalTarget implements RecordingStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  describe(): string {
    return `local directory ${this.dir}`;
  }

  /** The default object key (naming/object-key.ts: `<node>/<relative path>`), a path under dir (#path confines it). */
  keyFor(meta: RecordingMeta): string {
    return renderObjectKey(undefined, meta).key;
  }

  #path(key: string): string {
    const p = resolve(this.dir, key);
    const rel = relative(this.dir, p);
    if (!rel || rel.startsWith('..')) throw new Error(`object key escapes the storage directory: ${key}`);
    return p;
  }

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string, faults: Faults = NO_FAULTS): Promise<PutResult> {
    const size = (await stat(localPath)).size;
    const fileMd5 = md5 ?? (await md5File(localPath));
    const local = { id: meta.id, size, md5: () => Promise.resolve(fileMd5) };
    const json = JSON.stringify({ ...meta, result, md5: fileMd5 }, null, 1);
    const used = await placeWithoutReplacing(key, local, {
      look: async (k) => ({ object: await this.#objectAt(k, size), metadataId: await this.#metadataIdAt(k) }),
      md5Of: (k) => md5File(this.#path(k)),
      createAudio: async (k) => {
        const dest = this.#path(k);
        await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
        const tmp = tempPathBeside(dest);
        faults.at('local.copy-temp');
        await removeOnError(tmp, copyFile(localPath, tmp));
        faults.at('local.link');
        return linkExclusive(tmp, dest);
      },
      createMetadata: async (k) => {
        const dest = `${this.#path(k)}.json`;
        const tmp = tempPathBeside(dest);
        faults.at('local.write-metadata');
        await removeOnError(tmp, writeFile(tmp, json, { mode: 0o640 }));
        return linkExclusive(tmp, dest);
      },
    }, this.describe());
    // The copy is verified by reading it back (stat hashes the stored file): no reply to trust here.
    return { key: used, md5: fileMd5 };
  }

  /** The id `<key>.json` names; '' when it exists but names none; undefined when there is none. */
  async #metadataIdAt(key: string): Promise<string | undefined> {
    const text = await readFile(`${this.#path(key)}.json`, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) return undefined;
    try {
      return idIn(JSON.parse(text)) ?? '';
    } catch {
      return '';
    }
  }

  /** The file at `key`; its MD5 only when the size could match (hashing a file of another size is wasted). */
  async #objectAt(key: string, sizeWanted: number): Promise<ObjectAtKey | undefined> {
    const p = this.#path(key);
    const s = await stat(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!s) return undefined;
    return { size: s.size, md5: s.size === sizeWanted ? await md5File(p) : undefined };
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const p = this.#path(key);
      const s = await stat(p);
      return { size: s.size, md5: await md5File(p) };
    } catch {
      return null;
    }
  }

  async *list(): AsyncIterable<ListedObject> {
    for await (const p of walkFiles(this.dir)) {
      const s = await stat(p).catch(() => undefined);
      if (s) yield { key: relative(this.dir, p).split('\\').join('/'), size: s.size, lastModified: s.mtime };
    }
  }

  async readJson(key: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.#path(key), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async open(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.#path(key);
    await stat(p);
    return createReadStream(p, range ? { start: range.start, end: range.end } : {});
  }

  async presign(): Promise<string | undefined> {
    return undefined;
  }
}

