/** Where a recording's audio can be read from: the storage target once stored, the spool file before that. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { audioContentType } from '../storage/content-type';
import type { ByteRange, StorageReader } from '../storage/target';
import type { RecordingEntry } from './types';

/** The name a download is saved under: the object key's last part (already a sanitised template result). */
export function downloadName(e: RecordingEntry): string {
  return e.key.split('/').pop() || `${e.id}.${e.format || 'wav'}`;
}

export class MediaUnavailable extends Error {}

export interface MediaSource {
  size: number;
  contentType: string;
  open(range?: ByteRange): Promise<Readable>;
}

export async function mediaOf(e: RecordingEntry, store: StorageReader): Promise<MediaSource> {
  const contentType = audioContentType(e.key || e.format);
  if (e.state === 'stored') {
    const st = await store.stat(e.key);
    if (!st) throw new MediaUnavailable(`the object ${e.key} is no longer in ${store.describe()}; run fsrecd recordings reindex`);
    return { size: st.size, contentType, open: (range) => store.open(e.key, range) };
  }
  // Finished but not stored yet (storage down, or waiting its turn): the spool holds the only copy.
  if ((e.state === 'finished' || e.state === 'uploading' || e.state === 'failed') && e.localPath) {
    const path = e.localPath;
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) return { size: st.size, contentType, open: async (range) => createReadStream(path, range ? { start: range.start, end: range.end } : {}) };
  }
  throw new MediaUnavailable(`no audio for a recording that is ${e.state}${e.lastError ? ` (${e.lastError})` : ''}`);
}
