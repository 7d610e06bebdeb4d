/** Exclusive, crash-safe file creation: the directory target's equivalent of S3's `If-None-Match: *`. */
import { open, link, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Gives the finished temp file `tmp` the name `dest` only if nothing has that name: link(2) refuses an
 * existing name atomically (rename(2) would replace it). The temp name goes either way. False when `dest` existed.
 */
export async function linkExclusive(tmp: string, dest: string): Promise<boolean> {
  try {
    await fsyncPath(tmp);
    await link(tmp, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncPath(dirname(dest));
  return true;
}

/** Awaits a write into the temp file `tmp`; if it fails (disk full), the partial temp goes too. */
export async function removeOnError(tmp: string, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
