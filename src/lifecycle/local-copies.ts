/**
 * A stored recording's local copy that upload.keep_local_days keeps in spool_dir, found through the spool's
 * journal (the index forgets the path once a recording is stored). Only the very file that was verified in
 * storage is removed (spool/stored-copy.ts): a new recording written at the same path is never touched.
 */
import { NO_FAULTS } from '../durability/faults';
import type { Logger } from '../log';
import type { Journal } from '../spool/journal';
import { removeVerifiedCopy } from '../spool/stored-copy';
import type { LocalCopies } from './lifecycle';
import { stat } from 'node:fs/promises';

export function journalLocalCopies(journal: Journal, log: Logger): LocalCopies {
  return {
    async remove(id: string): Promise<boolean> {
      const e = journal.entries.get(id);
      // Only a stored entry's copy: a file the spool has not finished with is never the lifecycle's.
      if (!e || e.state !== 'stored') return false;
      const there = await stat(e.meta.path).then(() => true, () => false);
      if (!there) return false;
      await removeVerifiedCopy(e, journal, NO_FAULTS, log);
      return !(await stat(e.meta.path).then(() => true, () => false));
    },
  };
}
