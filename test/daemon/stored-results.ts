/**
 * What the end-to-end tests of #12 read back: the simulator's stepped clock (so file durations are exact), and
 * each stored recording as the storage target holds it (the `<key>` WAV and its `<key>.json` RecordingMeta).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordingMeta } from '../../src/model/recording';
import type { JournalEntry } from '../../src/spool/journal';
import type { Test } from 'tap';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/** The simulator's microsecond clock, moved only by the test: audio spans in the files are exact. */
export interface SteppedClock {
  now: number;
  advanceMs(ms: number): void;
}

export function steppedClock(): SteppedClock {
  return {
    now: Date.now() * 1000,
    advanceMs(ms: number): void {
      this.now += ms * 1000;
    },
  };
}

export interface StoredRecording {
  entry: JournalEntry;
  /** The `<key>.json` the storage target wrote beside the object. */
  meta: RecordingMeta;
  wavPath: string;
  /** Audio in the stored file, from its WAV header and data size (ms). */
  audioMs: number;
  /** The first four bytes: RIFF for a real WAV. */
  magic: string;
}

/** Milliseconds of audio in a PCM WAV as the simulator writes it (44-byte header, 16-bit samples). */
export function wavAudioMs(path: string): number {
  const buf = readFileSync(path);
  const channels = buf.readUInt16LE(22);
  const rate = buf.readUInt32LE(24);
  const dataBytes = buf.readUInt32LE(40);
  return (dataBytes / (channels * 2) / rate) * 1000;
}

/** Every journal entry in state `stored`, with its object and metadata, oldest start first. */
export function storedRecordings(s: Stack): StoredRecording[] {
  const entries = [...s.app.spool.journal.entries.values()].filter((e) => e.state === 'stored');
  entries.sort((x, y) => x.meta.startedAt.localeCompare(y.meta.startedAt) || (x.meta.segment ?? 1) - (y.meta.segment ?? 1));
  return entries.map((entry) => {
    const wavPath = join(s.dir, 'stored', entry.key);
    return {
      entry,
      meta: JSON.parse(readFileSync(`${wavPath}.json`, 'utf8')) as RecordingMeta,
      wavPath,
      audioMs: wavAudioMs(wavPath),
      magic: readFileSync(wavPath).subarray(0, 4).toString(),
    };
  });
}

/** Objects in the storage target (WAVs only, not their .json). */
export function storedWavs(s: Stack): string[] {
  return s.files('stored').filter((f) => f.endsWith('.wav'));
}

/** uuid_record start commands the simulator received, in order. */
export function recordStarts(s: Stack): string[] {
  return s.sim.commands.filter((c) => c.startsWith('uuid_record') && c.includes(' start '));
}

export interface SteppedStack {
  s: Stack;
  clock: SteppedClock;
  /** Every decision the recorder made, in order: which call, at which trigger, record or not. */
  decided: Array<{ call: string; trigger: string; record: boolean }>;
}

/**
 * A stack whose simulator clock only the test moves; `roundTripMs` moves it at each uuid_record start, so the
 * delay between an answer and a command that follows it shows as a fixed amount of lost audio.
 */
export async function steppedStack(t: Test, rules: string, roundTripMs = 0): Promise<SteppedStack> {
  const clock = steppedClock();
  const s = await startStack(t, rules, { clockUs: () => clock.now });
  if (roundTripMs) {
    s.sim.on('command', (cmd: string) => {
      if (cmd.startsWith('uuid_record') && cmd.includes(' start ')) clock.advanceMs(roundTripMs);
    });
  }
  const decided: SteppedStack['decided'] = [];
  s.app.daemon.bus.on('decided', (call, decision, trigger) => decided.push({ call: call.uuid, trigger, record: decision.record }));
  await waitFor(() => s.app.esl.connected, 'connected');
  return { s, clock, decided };
}

/** Resolves once the daemon has seen the call end (every command it sends for the call was sent before). */
export function callEnded(s: Stack, uuid: string): Promise<void> {
  return new Promise((resolve) => s.app.daemon.bus.on('callEnded', (call) => call.uuid === uuid && resolve()));
}

export const partyNumbers = (parties: ReadonlyArray<{ role: string; number: string }> | undefined): string[][] => (parties ?? []).map((p) => [p.role, p.number]);
