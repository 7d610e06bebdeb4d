/** Reads a RECORD_STOP: what FreeSWITCH did with the file. */
import type { EslEvent } from '../esl/types';
import type { RecordingResult } from './types';

/** Causes for which FreeSWITCH deletes the file itself: a discard, not a loss. */
const DISCARD_CAUSES = new Set(['empty-file', 'input-too-short']);

export interface RecordStopInfo {
  path: string;
  result: RecordingResult;
  discarded: boolean;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function readRecordStop(ev: EslEvent, nowMs: number): RecordStopInfo | undefined {
  const path = ev.get('Record-File-Path');
  if (!path) return undefined;
  const cause = ev.get('variable_record_completion_cause') ?? 'unknown';
  const micros = num(ev.get('Event-Date-Timestamp'));
  const discardedFlag = (ev.get('variable_RECORD_DISCARDED') ?? ev.get('RECORD_DISCARDED')) === 'true';
  return {
    path,
    // The flag alone is not trusted on a success cause: channel variables linger from earlier recordings.
    discarded: DISCARD_CAUSES.has(cause) || (discardedFlag && !cause.startsWith('success')),
    result: {
      endedAt: new Date(micros ? Math.floor(micros / 1000) : nowMs).toISOString(),
      durationMs: num(ev.get('variable_record_ms')) ?? (num(ev.get('variable_record_seconds')) ?? 0) * 1000,
      reportedSize: num(ev.get('variable_record_file_size')),
      completionCause: cause,
    },
  };
}
