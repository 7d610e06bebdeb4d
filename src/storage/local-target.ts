/** The default target: a directory on this machine (installs without an object store). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { RecordingMeta, RecordingResult } from '../recorder/types';
import { commitFile, tempPathBeside, writeFileAtomic } from '../util/atomic-file';
import { walkFiles } from '../util/walk-files';
import type { ByteRange, ListedObject, RecordingStore, StoredObject } from './target';

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class LocalTarget implements RecordingStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  describe(): string {
    return `local directory ${this.dir}`;
  }

  keyFor(meta: RecordingMeta): string {
    return meta.relativePath;
  }

  #path(key: string): string {
    const p = resolve(this.dir, key);
    const rel = relative(this.dir, p);
    if (!rel || rel.startsWith('..')) throw new Error(`object key escapes the storage directory: ${key}`);
    return p;
  }

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string): Promise<void> {
    const dest = this.#path(key);
    await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
    const tmp = tempPathBeside(dest);
    await copyFile(localPath, tmp);
    await commitFile(tmp, dest);
    await writeFileAtomic(`${dest}.json`, JSON.stringify({ ...meta, result, md5 }, null, 1));
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
