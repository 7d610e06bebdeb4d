/**
 * Removing the local copy of a stored recording: after an upload (keep_local_days: 0) and when the scan
 * finds a copy past keep_local_days. Only the very file that was verified in storage is ever removed.
 */
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { FileIdentity, Journal, JournalEntry } from './journal';
import { sameFile } from './scan-decision';

/**
 * Removes the local file only if it is the very file that was verified in storage. The file is first moved
 * aside (an atomic rename), then checked, then unlinked: between a check at its path and an unlink there, a
 * writer (a dialplan recording reusing the name) could put a new file at the path, and that file would go.
 * What the rename took is checked where nobody else looks; if it is not the verified file it is put back.
 */
export async function removeVerifiedCopy(e: JournalEntry, journal: Journal, faults: Faults, log: Logger): Promise<void> {
  // Only once "stored" is on disk: a crash after the unlink must find the record of where the file went.
  if (journal.durableState(e.id) !== 'stored') return;
  const path = e.meta.path;
  const st = await stat(path).catch(() => undefined);
  if (!st) return;
  if (!isVerified(st, e)) {
    log.warn('a different file is at a stored recording\'s path; it is kept and stored as its own recording', { recording: e.id, path });
    return;
  }
  // Dot-named: the spool scan never takes it for a recording; a crash right here leaves it for finishRemoval.
  const aside = asideOf(path);
  faults.at('spool.set-aside-local');
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('could not remove a stored recording\'s local copy', { path, error: String(err) });
    return;
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved && !isVerified(moved, e)) {
    // A writer got in between: its file goes back (link refuses to replace a newer one; then it stays aside
    // under a name the scan skips, and the operator is told).
    await link(aside, path).then( // durable-exempt: puts back another writer's file moved a moment ago; no state of ours changes
      () => unlink(aside), // durable-exempt: the file is back at its path; this drops the second name only
      (err: unknown) => log.error('a file written at a stored recording\'s path during its removal is kept aside', { path, kept: aside, error: String(err) }),
    );
    return;
  }
  faults.at('spool.unlink-local');
  await unlink(aside).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') log.warn('could not remove a stored recording\'s local copy', { path: aside, error: err.message });
  });
  faults.at('spool.after-unlink-local');
}

function isVerified(st: { size: number; mtimeMs: number; ino: number; dev: number }, e: JournalEntry): boolean {
  const now: FileIdentity = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
  return e.verified ? sameFile(now, e.verified) : st.size === e.size;
}

const ASIDE_SUFFIX = '.fsrecd-removing';

function asideOf(path: string): string {
  return join(dirname(path), `.${basename(path)}${ASIDE_SUFFIX}`);
}

/** A name the spool scan must see although it is dotted: a copy a crash left moved aside. */
export function isAside(name: string): boolean {
  return name.startsWith('.') && name.endsWith(ASIDE_SUFFIX);
}

/**
 * A copy a crash left moved aside: the verified copy of a stored recording is unlinked as planned; anything
 * else goes back to its path (when the path is free) so the scan treats it as the recording it is.
 */
export async function finishRemoval(aside: string, journal: Journal, faults: Faults, log: Logger): Promise<void> {
  const path = join(dirname(aside), basename(aside).slice(1, -ASIDE_SUFFIX.length));
  const st = await stat(aside).catch(() => undefined);
  if (!st) return;
  const owner = journal.byPath(path);
  if (owner && journal.durableState(owner.id) === 'stored' && isVerified(st, owner)) {
    faults.at('spool.unlink-local');
    await unlink(aside).catch(() => undefined);
    return;
  }
  await link(aside, path).then( // durable-exempt: puts a file moved aside back at its own free path
    () => unlink(aside), // durable-exempt: the file is back at its path; this drops the second name only
    (err: unknown) => log.error('a file moved aside during a removal cannot go back to its path; it is kept', { path, kept: aside, error: String(err) }),
  );
}
