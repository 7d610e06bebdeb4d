/**
 * uuid_record as FreeSWITCH 1.10.9 parses it (mod_commands.c): split on blanks with single-quote grouping,
 * a leading `^^X` switches the separator to X; `<uuid> start|stop|mask|unmask <path> [<limit>] [{vars}]`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordEventFault } from './faults';
import { writeWav, type WavFormat } from './wav';

export function splitArgs(line: string): string[] {
  let sep = ' ';
  let text = line;
  if (text.startsWith('^^') && text.length > 2) {
    sep = text[2] as string;
    text = text.slice(3);
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    else if (ch === sep && !quoted) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export function parseRecordingVars(arg: string | undefined): Map<string, string> {
  const vars = new Map<string, string>();
  if (!arg || !arg.startsWith('{') || !arg.endsWith('}')) return vars;
  for (const pair of arg.slice(1, -1).split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) vars.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
  }
  return vars;
}

/**
 * What gates a recording's writing (switch_ivr_async.c, switch_ivr_record_session_event: RECORD_ANSWER_REQ sets
 * SMBF_ANSWER_REQ, RECORD_BRIDGE_REQ sets SMBF_BRIDGE_REQ; switch_core_io.c skips such a media bug's frames while
 * the channel is not CF_ANSWERED, resp. not CF_BRIDGED).
 */
export type RecordGate = 'none' | 'answer' | 'bridge';

export interface ActiveSimRecording {
  path: string;
  /** When uuid_record start ran (the media bug was added, RECORD_START sent, the limit counts from here). */
  startedUs: number;
  gate: RecordGate;
  /** Stretches the media bug was fed frames, [fromUs, toUs); the last one open while writing goes on. */
  open: Array<[number, number | undefined]>;
  limitSec: number;
  format: WavFormat;
  minSec: number;
  /** Masked stretches, as [startUs, endUs]. */
  masks: Array<[number, number | undefined]>;
  /** Fault injection (src/sim/faults.ts): how this recording's RECORD_START/RECORD_STOP go out. */
  eventFault?: RecordEventFault;
  /** RECORD_START held back until after RECORD_STOP ('stop-before-start'). */
  heldStart?: Array<[string, string]>;
}

export interface FinishedSimRecording {
  path: string;
  ms: number;
  samples: number;
  size: number;
  cause: string;
  discarded: boolean;
}

/** The minimum audio a simulated recording gets, so files are never trivially small. */
const MIN_AUDIO_MS = 300;

/** Microseconds of audio written up to `atUs`: the open stretches before it, limited to the recording's limit. */
function writtenUs(rec: ActiveSimRecording, atUs: number): number {
  const endUs = rec.limitSec > 0 ? Math.min(atUs, rec.startedUs + rec.limitSec * 1_000_000) : atUs;
  let us = 0;
  for (const [from, to] of rec.open) us += Math.max(0, Math.min(to ?? endUs, endUs) - from);
  return us;
}

/**
 * The file as FreeSWITCH's record_callback (SWITCH_ABC_TYPE_CLOSE) leaves it: a recording that never wrote a
 * frame (`!rh->writes`: no media, or gated by RECORD_ANSWER_REQ/RECORD_BRIDGE_REQ on a channel never answered
 * or bridged) is removed with cause `empty-file`; one shorter than RECORD_MIN_SEC with `input-too-short`.
 */
export function finishRecording(rec: ActiveSimRecording, nowUs: number, cause: string, media: boolean): FinishedSimRecording {
  const ms = Math.max(0, Math.round(writtenUs(rec, nowUs) / 1000));
  if (!media || rec.open.length === 0) {
    rmSync(rec.path, { force: true });
    return { path: rec.path, ms: 0, samples: 0, size: 0, cause: 'empty-file', discarded: true };
  }
  if (rec.minSec > 0 && ms < rec.minSec * 1000) {
    rmSync(rec.path, { force: true });
    return { path: rec.path, ms, samples: 0, size: 0, cause: 'input-too-short', discarded: true };
  }
  const audioMs = Math.max(ms, MIN_AUDIO_MS);
  const samples = Math.round((audioMs * rec.format.sampleRate) / 1000);
  const segments = maskSegments(rec, samples);
  const size = writeWav(rec.path, rec.format, segments);
  return { path: rec.path, ms, samples, size, cause, discarded: false };
}

function maskSegments(rec: ActiveSimRecording, samples: number): Array<{ samples: number; silent: boolean }> {
  if (rec.masks.length === 0) return [{ samples, silent: false }];
  const perUs = rec.format.sampleRate / 1_000_000;
  const sampleAt = (us: number): number => Math.round(writtenUs(rec, us) * perUs);
  const segments: Array<{ samples: number; silent: boolean }> = [];
  let at = 0;
  for (const [from, to] of rec.masks) {
    const start = Math.min(samples, Math.max(at, sampleAt(from)));
    const end = Math.min(samples, to === undefined ? samples : sampleAt(to));
    if (start > at) segments.push({ samples: start - at, silent: false });
    if (end > start) segments.push({ samples: end - start, silent: true });
    at = Math.max(at, end);
  }
  if (samples > at) segments.push({ samples: samples - at, silent: false });
  return segments;
}

/** FreeSWITCH creates missing directories (mode 0750) and an empty file at start. */
export function prepareRecordingFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
}
