/** Brings the index up to the journal: after a start, or for a CLI command that read the journal itself. */
import type { Journal } from '../spool/journal';
import { entryFromJournal } from './entry-from';
import type { RecordingIndex } from './index-store';

export async function syncIndexFromJournal(index: RecordingIndex, journal: Journal): Promise<number> {
  const stale = await index.staleOf([...journal.entries.values()].map(entryFromJournal));
  if (stale.length) {
    await index.upsertMany(stale);
    await index.optimize();
  }
  return stale.length;
}
