/**
 * Rebuilds the index from the storage target alone: every object and the metadata object fsrecd wrote
 * beside it. A new server, or a second FreeSWITCH node sharing the bucket, sees every recording this way.
 */
import type { StorageReader } from '../storage/target';
import { entryFromStorage } from './entry-from';
import type { RecordingIndex } from './index-db';
import type { RecordingEntry } from './types';

export interface ReindexReport {
  objects: number;
  recordings: number;
  /** Recordings with no readable metadata object: indexed from what the key and object tell. */
  withoutMetadata: number;
  /** Index rows for stored recordings that storage no longer has. */
  removed: number;
}

const METADATA_READS_IN_FLIGHT = 16;
const BATCH = 500;

export async function reindexFromStorage(index: RecordingIndex, store: StorageReader, onProgress?: (r: ReindexReport) => void): Promise<ReindexReport> {
  const report: ReindexReport = { objects: 0, recordings: 0, withoutMetadata: 0, removed: 0 };
  const gen = index.beginGeneration();
  let batch: RecordingEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  const flush = (): void => {
    index.upsertMany(batch);
    batch = [];
    onProgress?.({ ...report });
  };
  for await (const obj of store.list()) {
    report.objects++;
    // Metadata objects are read with their recording, never indexed themselves.
    if (obj.key.endsWith('.json')) continue;
    const p = store.readJson(`${obj.key}.json`).then((meta) => {
      if (meta === undefined) report.withoutMetadata++;
      batch.push(entryFromStorage(obj, meta));
      report.recordings++;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= METADATA_READS_IN_FLIGHT) await Promise.race(inFlight);
    if (batch.length >= BATCH) flush();
  }
  await Promise.all(inFlight);
  flush();
  report.removed = index.endGeneration(gen);
  return report;
}
