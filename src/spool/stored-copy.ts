/**
 * Removing the local copy of a stored recording: after an upload (keep_local_days: 0) and when the scan
 * finds a copy past keep_local_days. Only the very file that was verified in storage is ever removed.
 */
import { stat, unlink } from 'node:fs/promises';
import type { Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { FileIdentity, Journal, JournalEntry } from './journal';
import { sameFile } from './scan-decision';

/** Removes the local file only if it is the very file that was verified in storage. */
export async function removeVerifiedCopy(e: JournalEntry, journal: Journal, faults: Faults, log: Logger): Promise<void> {
  // Only once "stored" is on disk: a crash after the unlink must find the record of where the file went.
  if (journal.durableState(e.id) !== 'stored') return;
  const st = await stat(e.meta.path).catch(() => undefined);
  if (!st) return;
  const now: FileIdentity = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
  if (e.verified ? !sameFile(now, e.verified) : st.size !== e.size) {
    log.warn('a different file is at a stored recording\'s path; it is kept and stored as its own recording', { recording: e.id, path: e.meta.path });
    return;
  }
  faults.at('spool.unlink-local');
  await unlink(e.meta.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') log.warn('could not remove a stored recording\'s local copy', { path: e.meta.path, error: err.message });
  });
  faults.at('spool.after-unlink-local');
}
