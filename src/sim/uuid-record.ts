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

export interface ActiveSimRecording {
  path: string;
  startedUs: number;
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

export function finishRecording(rec: ActiveSimRecording, nowUs: number, cause: string, media: boolean): FinishedSimRecording {
  let ms = Math.max(0, Math.round((nowUs - rec.startedUs) / 1000));
  if (rec.limitSec > 0) ms = Math.min(ms, rec.limitSec * 1000);
  if (!media) {
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
  const segments: Array<{ samples: number; silent: boolean }> = [];
  let at = 0;
  for (const [from, to] of rec.masks) {
    const start = Math.min(samples, Math.max(at, Math.round((from - rec.startedUs) * perUs)));
    const end = Math.min(samples, to === undefined ? samples : Math.round((to - rec.startedUs) * perUs));
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
