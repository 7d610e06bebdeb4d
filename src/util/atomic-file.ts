/** Crash-safe file replacement: write a temp file beside it, fsync, rename, fsync the directory. */
import { open, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Renames `tmp` over `path` once its bytes are on disk, then makes the rename itself durable. */
export async function commitFile(tmp: string, path: string): Promise<void> {
  await fsyncPath(tmp, 'r');
  await rename(tmp, path);
  await fsyncPath(dirname(path), 'r');
}

export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = tempPathBeside(path);
  await writeFile(tmp, data, { mode: 0o640 });
  await commitFile(tmp, path);
}
