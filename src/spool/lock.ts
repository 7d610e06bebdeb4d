/**
 * One owner of the spool and journal at a time: state_dir/fsrecd.lock holds the owner's pid. Two processes
 * acting on one journal (the daemon and `fsrecd sync`) would each believe the other's files lost.
 * A lock whose pid is not running (a kill -9) is taken over.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_FAULTS, type Faults } from '../durability/faults';
import { tempPathBeside } from '../util/atomic-file';

export const LOCK_FILE = 'fsrecd.lock';

export class SpoolLockedError extends Error {
  constructor(
    readonly pid: number,
    readonly stateDir: string,
  ) {
    super(`another fsrecd process (pid ${pid}) owns the spool and journal in ${stateDir}`);
    this.name = 'SpoolLockedError';
  }
}

export interface SpoolLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The pid in the lock when that process is alive, else undefined (no lock, or a stale one). */
export async function lockOwner(stateDir: string, isAlive: (pid: number) => boolean = pidAlive): Promise<number | undefined> {
  const text = await readFile(join(stateDir, LOCK_FILE), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireSpoolLock(stateDir: string, faults: Faults = NO_FAULTS): Promise<SpoolLock> {
  const path = join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    faults.at('lock.write');
    try {
      const fh = await open(path, 'wx', 0o640);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return lockAt(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await lockOwner(stateDir);
    if (owner !== undefined) throw new SpoolLockedError(owner, stateDir);
    // Stale (its process is gone): replace it atomically, then check we won against another taker.
    const tmp = tempPathBeside(path);
    faults.at('lock.write');
    const fh = await open(tmp, 'wx', 0o640);
    await fh.writeFile(`${process.pid}\n`);
    await fh.close();
    await rename(tmp, path);
    if (Number.parseInt(await readFile(path, 'utf8'), 10) === process.pid) return lockAt(path);
  }
  throw new Error(`could not take the spool lock ${path}: other processes keep taking it`);
}

function lockAt(path: string): SpoolLock {
  return {
    path,
    release: async () => {
      const text = await readFile(path, 'utf8').catch(() => '');
      if (Number.parseInt(text, 10) === process.pid) await unlink(path).catch(() => undefined); // durable-exempt: our own lock
    },
  };
}

