/**
 * The reference model: what FreeSWITCH did with each recording, and from that alone what the spool owes it.
 * The spool is never consulted here; the checks compare this with what is really on disk and in storage.
 */
import type { RecordingMeta } from '../../../src/model/recording';
import { md5Hex } from './store-view';

export type RecordingKind =
  /** Started by fsrecd (uuid_record answered +OK). */
  | 'daemon'
  /** Started by fsrecd, but the reply to uuid_record was lost: FreeSWITCH may or may not be recording. */
  | 'lost-start'
  /** Recorded by the dialplan: a file no journal entry names, adopted by the scan. */
  | 'dialplan';

export type SpoolEvent = 'started' | 'finished' | 'discarded' | 'failed';

export interface ModelRecording {
  n: number;
  kind: RecordingKind;
  /** The recorder's meta (undefined for a dialplan recording: the spool makes its own at adoption). */
  meta?: RecordingMeta;
  path: string;
  rel: string;
  /** Every byte FreeSWITCH wrote, in order. */
  content: Buffer;
  /** FreeSWITCH has the file open and may still append. */
  writing: boolean;
  /** FreeSWITCH left a file (a lost start may never have made one; a discard may have deleted it). */
  onDisk: boolean;
  /** A later recording reused the name after this one's verified copy: the file at the path is not this one's. */
  overwritten: boolean;
  /** The recorder of the running instance follows it (it will hear its RECORD_STOP). */
  followed: boolean;
  /** The last event a live spool took (its call returned). */
  told?: SpoolEvent;
  /**
   * Which spool instance took `told` (the model counts the starts). The call returns once the first journal
   * write is tried: a write that failed (ENOSPC) is retried in the background, and dies with that instance.
   */
  toldBy?: number;
  /** The mtime FreeSWITCH's last write left on the file (model clock, ms): the scan's "stable" counts from it. */
  writtenAtMs?: number;
  /** FreeSWITCH's completion cause when it discarded the recording. */
  discardCause?: string;
  /** The recorder's reason when it settled the recording as failed. */
  failReason?: string;
  /**
   * A settling event (discard, failure) that reached no live spool (it crashed or was down); the recorder
   * gives it again after a restart, from the call's end.
   */
  owed?: 'discarded' | 'failed';
}

export type Outcome = 'stored' | 'discarded' | 'failed' | 'open';

/** What the spool must end with for this recording, from FreeSWITCH's facts alone. */
export function expectedOutcome(r: ModelRecording): Outcome {
  if (r.writing) return 'open';
  // Real audio left on disk is stored, whatever the recorder called it (a discard FreeSWITCH did not carry
  // out, a start whose reply was lost, a recording the recorder gave up on while FreeSWITCH kept writing).
  if (r.onDisk && r.content.length > 0) return 'stored';
  if (r.discardCause !== undefined) return 'discarded';
  return 'failed';
}

const md5s = new WeakMap<Buffer, string>();

export function contentMd5(r: ModelRecording): string {
  let m = md5s.get(r.content);
  if (m === undefined) {
    m = md5Hex(r.content);
    md5s.set(r.content, m);
  }
  return m;
}

/** A stored metadata object or journal entry names this recording: by id, or (adopted) by path. */
export function namesRecording(r: ModelRecording, id: string | undefined, path: string | undefined): boolean {
  if (id === undefined) return false;
  if (r.meta && id === r.meta.id) return true;
  return id.startsWith('adopted-') && path === r.path;
}

export function describeRecording(r: ModelRecording): string {
  const facts = [r.kind, r.writing ? 'writing' : 'stopped', r.onDisk ? `${r.content.length} B on disk` : 'no file', r.told ? `told ${r.told}` : 'told nothing'];
  if (r.overwritten) facts.push('name reused');
  if (r.discardCause) facts.push(`discarded ${r.discardCause}`);
  if (r.failReason) facts.push('failed');
  return `#${r.n} ${r.rel} (${r.meta?.id ?? 'no id'}; ${facts.join(', ')})`;
}
