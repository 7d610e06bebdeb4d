/** Crash-safe file replacement: write a temp file beside it, fsync, rename, fsync the directory. */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isSimulatedCrash, type AtomicWriter, type Faults } from '../durability/faults';

/** Which crash points a write reports: none for files whose loss costs nothing (a CLI download). */
export interface AtomicSteps {
  faults: Faults;
  writer: AtomicWriter;
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Renames `tmp` over `path` once its bytes are on disk, then makes the rename itself durable. */
export async function commitFile(tmp: string, path: string, steps?: AtomicSteps): Promise<void> {
  steps?.faults.at(`${steps.writer}.fsync-temp`);
  await fsyncPath(tmp, 'r');
  steps?.faults.at(`${steps.writer}.rename`);
  await rename(tmp, path);
  steps?.faults.at(`${steps.writer}.fsync-dir`);
  await fsyncPath(dirname(path), 'r');
}

let tempCounter = 0;

/** Unique per write, even for two writes of one file in the same millisecond (pid, counter, random). */
export function tempPathBeside(path: string): string {
  tempCounter = (tempCounter + 1) % 0x7fffffff;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tempCounter.toString(36)}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, data: string | Buffer, steps?: AtomicSteps): Promise<void> {
  const tmp = tempPathBeside(path);
  steps?.faults.at(`${steps.writer}.write-temp`);
  try {
    await writeFile(tmp, data, { mode: 0o640 });
    await commitFile(tmp, path, steps);
  } catch (err) {
    // A half-written temp (disk full) must not fill the disk further; the old file is untouched.
    if (!isSimulatedCrash(err)) await unlink(tmp).catch(() => undefined); // durable-exempt: removes our own temp, never a recording or entry
    throw err;
  }
}
