/**
 * Rebuilds the index from the storage target alone: every object and the metadata fsrecd stored with it —
 * the `<key>.json` beside it where there is one (a directory; older S3 objects; metadata too large for S3's
 * 2 KB of user metadata), else what the object itself carries (S3 x-amz-meta-fsrecd-meta, one HEAD). A new
 * server, or a second FreeSWITCH node sharing the bucket, sees every recording this way.
 */
import type { ListedObject, StorageReader } from '../storage/target';
import { entryFromStorage } from './entry-from';
import { holdFromMarker, isHoldMarker } from './hold-marker';
import type { RecordingIndex } from './index-store';
import type { RecordingEntry } from './types';

export interface ReindexReport {
  objects: number;
  recordings: number;
  /** Recordings with no readable metadata object: indexed from what the key and object tell. */
  withoutMetadata: number;
  /** Index rows for stored recordings that storage no longer has (a deleted recording's tombstone stays). */
  removed: number;
  /** Legal holds found beside their objects (hold markers) that the index did not have. */
  holdsRestored: number;
}

const METADATA_READS_IN_FLIGHT = 16;
const BATCH = 500;

export async function reindexFromStorage(index: RecordingIndex, store: StorageReader, onProgress?: (r: ReindexReport) => void): Promise<ReindexReport> {
  const report: ReindexReport = { objects: 0, recordings: 0, withoutMetadata: 0, removed: 0, holdsRestored: 0 };
  const markers: string[] = [];
  const gen = await index.beginGeneration();
  let batch: RecordingEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  const flush = async (): Promise<void> => {
    const writing = batch;
    batch = [];
    await index.upsertMany(writing);
    onProgress?.({ ...report });
  };
  for await (const obj of store.list()) {
    report.objects++;
    // Metadata objects are read with their recording, never indexed themselves; hold markers after the listing.
    if (isHoldMarker(obj.key)) markers.push(obj.key);
    if (obj.key.endsWith('.json')) continue;
    const p = metadataOf(store, obj).then((meta) => {
      if (meta === undefined) report.withoutMetadata++;
      batch.push(entryFromStorage(obj, meta));
      report.recordings++;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= METADATA_READS_IN_FLIGHT) await Promise.race(inFlight);
    if (batch.length >= BATCH) await flush();
  }
  await Promise.all(inFlight);
  await flush();
  // A hold set on another node (or before this index was rebuilt) is known from its marker.
  for (const key of markers) {
    const m = holdFromMarker(await store.readJson(key));
    const e = m && (await index.get(m.id));
    if (m && e && !e.hold && (await index.setHold(m.id, m.hold))) report.holdsRestored++;
  }
  report.removed = await index.endGeneration(gen);
  return report;
}

/**
 * The `.json` where the listing says there is one or cannot tell; else the metadata on the object, and the
 * `.json` after all when the object carries none (a listing that was out of order, a `.json` added since).
 */
async function metadataOf(store: StorageReader, obj: ListedObject): Promise<unknown> {
  if (obj.metadataObject === false && store.readObjectMetadata) {
    const onObject = await store.readObjectMetadata(obj.key);
    if (onObject !== undefined) return onObject;
  }
  return store.readJson(`${obj.key}.json`);
}
