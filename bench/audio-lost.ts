/**
 * Audio lost at the start of a call: from the answer (the bridge, for `start: bridge`) to the first sample
 * written to the file, as the simulator's recording timelines model FreeSWITCH (src/sim/recordings.ts), with
 * the real daemon deciding and sending uuid_record. The simulator runs in a worker thread (the other core).
 *
 * One daemon, one account per start mode, so each mode is reached the way an operator would configure it:
 * - armed: the caller's own device records; decided at CHANNEL_CREATE, armed with RECORD_ANSWER_REQ.
 * - at answer: only the callee's device records; that needs the answering party, so it starts at answer.
 * - bridge: the account records with `recording: {start: bridge}`; armed with RECORD_BRIDGE_REQ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startFsrecd, type Fsrecd } from '../src/app';
import { loadConfigFromString } from '../src/config/load';
import { silentLogger } from '../src/log';

export type StartMode = 'armed' | 'at answer' | 'bridge';

interface ModeSetup {
  mode: StartMode;
  domain: string;
  /** What the loss is counted from: the recorded leg's answer, or its first bridge. */
  measureFrom: 'answer' | 'bridge';
  /** The gate FreeSWITCH should hold the file behind when the daemon decided as this mode intends. */
  expectedGate: 'answer' | 'none' | 'bridge';
}

const MODES: readonly ModeSetup[] = [
  { mode: 'armed', domain: 'armed.bench', measureFrom: 'answer', expectedGate: 'answer' },
  { mode: 'at answer', domain: 'callee.bench', measureFrom: 'answer', expectedGate: 'none' },
  { mode: 'bridge', domain: 'bridge.bench', measureFrom: 'bridge', expectedGate: 'bridge' },
];

/** Each account records for one reason only (see the header); callers are device 1000, callees device 2000. */
const ACCOUNTS = `accounts:
  armed.bench: {devices: {'1000': {record: on}}}
  callee.bench: {devices: {'2000': {record: on}}}
  bridge.bench: {record_account: on, recording: {start: bridge}}
`;

export interface AudioLostResult {
  mode: StartMode;
  cps: number;
  calls: number;
  /** Calls whose recording has no timeline with a first sample (no uuid_record, or nothing written). */
  noTimeline: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls whose recording FreeSWITCH gated as this mode intends (RECORD_ANSWER_REQ, none, RECORD_BRIDGE_REQ). */
  asIntended: number;
  /** Calls whose uuid_record came before the answer (bridge): an armed mode loses nothing on these. */
  armedInTime: number;
  /** CHANNEL_CREATE -> uuid_record start, p99 (ms): against the ring time, the margin an armed decision has. */
  createToArmP99Ms: number;
  /** p99 event-loop delay during the run, of the daemon's thread and of the simulator's: who was behind. */
  daemonLoopP99Ms: number;
  simLoopP99Ms: number;
}

export interface AudioLostOptions {
  rates: number[];
  /** Calls placed per mode and rate. */
  calls: (cps: number) => number;
  ringMs: number;
  talkMs: number;
}

/**
 * What `make bench` runs: 4 s of calls per mode and rate (200 at 50/s, 800 at 200/s), each ringing 500 ms (as
 * on the real FreeSWITCH of issue 12: answered ~500 ms after the armed RECORD_START) and talking 1 s.
 */
export const AUDIO_LOST_BENCH: AudioLostOptions = { rates: [50, 200], calls: (cps) => cps * 4, ringMs: 500, talkMs: 1000 };

export const AUDIO_LOST_HEADING =
  'Audio lost at the start of a call: answer (bridge, for start: bridge) -> first recorded sample, as the simulator models FreeSWITCH (ms; simulator in a worker thread on the other core; calls ring 500 ms, talk 1 s; target 0 ms for armable decisions):';

interface WorkerReply {
  calls: number;
  lostUs: number[];
  createToArmUs: number[];
  gates: Record<string, number>;
  noTimeline: number;
  armedInTime: number;
  loopDelayP99Ms: number;
}

/** The loop-delay histogram records whole timer intervals: this period is subtracted to leave the delay. */
const LOOP_SAMPLE_MS = 1;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function message<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Waits until the previous run's recordings are stored, so one run's file work does not load the next. */
async function settled(app: Fsrecd, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const s = app.spool.status();
    if (s.inProgress === 0 && s.backlogFiles === 0 && app.daemon.recorder.activeCount === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(`   (the previous run's recordings were still being stored after ${deadlineMs / 1000} s; the next run shares the daemon with that work)`);
}

export async function measureAudioLostAtStart(opts: AudioLostOptions): Promise<AudioLostResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-bench-start-'));
  const password = 'bench-pw';
  const worker = new Worker(join(__dirname, 'start-sim-worker.cjs'), { workerData: { password }, execArgv: [] });
  const out: AudioLostResult[] = [];
  try {
    const { port } = await message<{ port: number }>(worker);
    const loaded = await loadConfigFromString(
      `esl: {port: ${port}, password: ${password}}\nspool_dir: ${dir}/spool\nstate_dir: ${dir}/state\nstorage: {type: local, dir: ${dir}/stored}\nhttp: {listen: null}\n${ACCOUNTS}`,
      'bench-start.yml',
    );
    if (!loaded.ok) throw new Error(String(loaded.errors[0]));
    const app = await startFsrecd({ config: loaded.config, log: silentLogger() });
    try {
      while (!app.esl.connected) await new Promise((r) => setTimeout(r, 5));
      for (const cps of opts.rates) {
        for (const m of MODES) {
          await settled(app);
          const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
          loopDelay.enable();
          worker.postMessage({ cps, calls: opts.calls(cps), domain: m.domain, measureFrom: m.measureFrom, ringMs: opts.ringMs, talkMs: opts.talkMs });
          const reply = await message<WorkerReply>(worker);
          loopDelay.disable();
          const sorted = reply.lostUs.map((us) => us / 1000).sort((a, b) => a - b);
          const createToArm = reply.createToArmUs.map((us) => us / 1000).sort((a, b) => a - b);
          out.push({
            mode: m.mode,
            cps,
            calls: reply.calls,
            noTimeline: reply.noTimeline,
            p50Ms: pct(sorted, 50),
            p99Ms: pct(sorted, 99),
            maxMs: sorted.at(-1) ?? NaN,
            asIntended: reply.gates[m.expectedGate] ?? 0,
            armedInTime: reply.armedInTime,
            createToArmP99Ms: m.expectedGate === 'none' ? NaN : pct(createToArm, 99),
            daemonLoopP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_SAMPLE_MS),
            simLoopP99Ms: reply.loopDelayP99Ms,
          });
        }
      }
    } finally {
      await app.stop(5000);
    }
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** The table `make bench` prints. */
export function printAudioLost(rows: AudioLostResult[]): void {
  const head = ['start mode'.padEnd(10), 'calls/s'.padStart(7), 'calls'.padStart(6), 'p50'.padStart(8), 'p99'.padStart(8), 'max'.padStart(8), 'gated as intended', 'armed before answer/bridge', 'create->armed p99', 'no timeline', 'loop delay p99 daemon/sim'];
  console.log(`   ${head.join('  ')}`);
  for (const r of rows) {
    const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(2)).padStart(8);
    const of = (n: number, width: number): string => `${n}/${r.calls}`.padStart(width);
    const cells = [r.mode.padEnd(10), String(r.cps).padStart(7), String(r.calls).padStart(6), ms(r.p50Ms), ms(r.p99Ms), ms(r.maxMs), of(r.asIntended, 17), of(r.armedInTime, 26), ms(r.createToArmP99Ms).padStart(17), String(r.noTimeline).padStart(11), `${r.daemonLoopP99Ms.toFixed(0)}/${r.simLoopP99Ms.toFixed(0)} ms`.padStart(25)];
    console.log(`   ${cells.join('  ')}`);
  }
}
