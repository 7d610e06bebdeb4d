/** Brings the index up to the journal: after a start, or for a CLI command that read the journal itself. */
import type { Journal } from '../spool/journal';
import { entryFromJournal } from './entry-from';
import type { RecordingIndex } from './index-db';

export function syncIndexFromJournal(index: RecordingIndex, journal: Journal): number {
  const stale = index.staleOf([...journal.entries.values()].map(entryFromJournal));
  if (stale.length) {
    index.upsertMany(stale);
    index.optimize();
  }
  return stale.length;
}
