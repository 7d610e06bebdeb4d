/**
 * Reads a RECORD_STOP: what FreeSWITCH did with the file. Every field is validated here, at the edge
 * (docs/design.md section 9): a time a Date cannot hold falls back to now, a size or duration that is not a
 * finite non-negative number is unknown, a path with NUL/CR/LF is not one of ours. Nothing here throws:
 * one malformed event must not lose the recordings after it.
 */
import { microsToMs, validPath, validUuid } from './leg-from-event';
import type { EslEvent } from '../esl/types';
import type { RecordingResult } from '../model/recording';

/** Causes for which FreeSWITCH deletes the file itself: a discard, not a loss. */
const DISCARD_CAUSES = new Set(['empty-file', 'input-too-short']);
/** A completion cause is a short token (`success-silence`, `uri-failure`); it becomes a metric label. */
const CAUSE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** 100 years of audio, in ms; and 1 PB: anything larger is a corrupted number, not a recording. */
const MAX_DURATION_MS = 100 * 365 * 24 * 3600 * 1000;
const MAX_SIZE = 2 ** 50;

export interface RecordStart {
  path: string;
  legUuid?: string;
}

export interface RecordStopInfo {
  path: string;
  legUuid?: string;
  result: RecordingResult;
  discarded: boolean;
  /** The recorded channel is hanging up (not a stop on request): its far party may carry the conversation on. */
  legHungUp: boolean;
  /** The channel it was bridged to when the recording stopped. */
  otherLegUuid?: string;
}

const HANGUP_STATES = new Set(['CS_HANGUP', 'CS_REPORTING', 'CS_DESTROY']);

/** A finite number in [0, max] written as a plain decimal, or undefined. */
function amount(value: string | undefined, max: number): number | undefined {
  if (value === undefined || !/^\d{1,20}(\.\d{1,9})?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n <= max ? n : undefined;
}

/** ISO 8601 of a ms time; a caller's clock that is not one gives the real now instead of a RangeError. */
function iso(ms: number): string {
  return new Date(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : Date.now()).toISOString();
}

function duration(ev: EslEvent): number {
  const ms = amount(ev.get('variable_record_ms'), MAX_DURATION_MS);
  if (ms !== undefined) return Math.round(ms);
  const seconds = amount(ev.get('variable_record_seconds'), MAX_DURATION_MS / 1000);
  return seconds === undefined ? 0 : Math.round(seconds * 1000);
}

/** undefined when the event names no usable file (then it cannot be one of ours). */
export function readRecordStart(ev: EslEvent): RecordStart | undefined {
  const path = validPath(ev.get('Record-File-Path'));
  return path ? { path, legUuid: validUuid(ev.get('Unique-ID')) } : undefined;
}

/** undefined when the event names no usable file (then it cannot be one of ours). */
export function readRecordStop(ev: EslEvent, nowMs: number): RecordStopInfo | undefined {
  const path = validPath(ev.get('Record-File-Path'));
  if (!path) return undefined;
  const reported = ev.get('variable_record_completion_cause');
  const cause = reported !== undefined && CAUSE.test(reported) ? reported : 'unknown';
  const discardedFlag = (ev.get('variable_RECORD_DISCARDED') ?? ev.get('RECORD_DISCARDED')) === 'true';
  const size = amount(ev.get('variable_record_file_size'), MAX_SIZE);
  return {
    path,
    legUuid: validUuid(ev.get('Unique-ID')),
    legHungUp: ev.get('Answer-State') === 'hangup' || HANGUP_STATES.has(ev.get('Channel-State') ?? ''),
    otherLegUuid: validUuid(ev.get('Other-Leg-Unique-ID')),
    // The flag alone is not trusted on a success cause: channel variables linger from earlier recordings.
    discarded: DISCARD_CAUSES.has(cause) || (discardedFlag && !cause.startsWith('success')),
    result: {
      endedAt: iso(microsToMs(ev.get('Event-Date-Timestamp')) ?? nowMs),
      durationMs: duration(ev),
      reportedSize: size === undefined ? undefined : Math.floor(size),
      completionCause: cause,
    },
  };
}
