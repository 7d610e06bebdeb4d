/** The default target: a directory on this machine (installs without an object store). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { RecordingMeta, RecordingResult } from '../recorder/types';
import { commitFile, tempPathBeside, writeFileAtomic } from '../util/atomic-file';
import type { StorageTarget, StoredObject } from './target';

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class LocalTarget implements StorageTarget {
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

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined): Promise<void> {
    const dest = this.#path(key);
    await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
    const tmp = tempPathBeside(dest);
    await copyFile(localPath, tmp);
    await commitFile(tmp, dest);
    await writeFileAtomic(`${dest}.json`, JSON.stringify({ ...meta, result }, null, 1));
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
}
