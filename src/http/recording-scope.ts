/**
 * What a credential may see of one recording: its tenant's only (another tenant's recording is "not
 * found", like one that never existed), by an id checked before anything is looked up.
 */
import type { Principal } from '../config/credentials-file';
import { isRecordingId } from '../recordings/query';
import type { RecordingEntry } from '../recordings/types';

export function visible(e: RecordingEntry | undefined, who: Principal): e is RecordingEntry {
  return e !== undefined && (who.tenant === undefined || e.tenant === who.tenant);
}

/** The id in a path segment, or the 400 message when it cannot be one (nothing to traverse with). */
export function recordingIdOf(segment: string): { id: string } | { problem: string } {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return { problem: 'malformed recording id' };
  }
  return isRecordingId(id) ? { id } : { problem: 'not a recording id' };
}
