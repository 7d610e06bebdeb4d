/**
 * The daemon's own memory (issue #15: under 150 MB with uploads in flight), measured in its own process
 * (dist/cli.js run, bench/daemon-process.ts) from /proc/<pid>/status while it: idles connected; uploads
 * 200 files of 1 MB and a few of 200 MB to an S3-compatible server (s3rver, a third process); holds 10,000
 * live recorded calls (the simulator in a worker thread of this process places them and never hangs up);
 * and uploads 200 files of 1 MB while those calls are live. The files are put in the spool as finished
 * files no journal names (moved in whole), which the daemon adopts and uploads like any recording.
 */
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { residentMb, RssSampler, startDaemonProcess, type DaemonProcess } from './daemon-process';
import { message } from './latency';

export const RSS_TARGET_MB = 150;

export interface MemoryPhase {
  label: string;
  peakRssMb: number;
  /** Seconds the phase took (uploads: until every file was stored). */
  seconds: number;
  note?: string;
  /** Uploads were in flight: the phases issue #15's target is about. */
  uploads?: boolean;
}

function makeFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(1 << 20, 7);
  for (let left = bytes; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(block.length, left));
  closeSync(fd);
}

function uploadsOk(metrics: string): number {
  return Number(/^fsrecd_uploads_total\{result="ok"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/** Writes the files outside the spool, moves them in at once, and samples RSS until all are stored. */
async function uploadPhase(daemon: DaemonProcess, dir: string, spoolDir: string, label: string, count: number, bytes: number): Promise<MemoryPhase> {
  const staging = join(dir, 'staging', label.replace(/\W+/g, '-'));
  const target = join(spoolDir, label.replace(/\W+/g, '-'));
  mkdirSync(staging, { recursive: true });
  mkdirSync(target, { recursive: true });
  for (let i = 0; i < count; i++) makeFile(join(staging, `f${i}.wav`), bytes);
  const before = uploadsOk(await daemon.metrics());
  const sampler = new RssSampler(daemon.pid);
  const t0 = Date.now();
  for (let i = 0; i < count; i++) renameSync(join(staging, `f${i}.wav`), join(target, `f${i}.wav`));
  const deadline = Date.now() + 600_000;
  let stored = 0;
  while ((stored = uploadsOk(await daemon.metrics()) - before) < count) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - t0) / 1000;
  return { label, peakRssMb: Math.round(sampler.stop()), seconds: Math.round(seconds * 10) / 10, uploads: true, note: stored < count ? `only ${stored} of ${count} stored within 10 minutes` : undefined };
}

export async function measureDaemonMemory(): Promise<{ phases: MemoryPhase[]; hwmMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-membench-'));
  const s3 = fork(join(__dirname, 's3rver-child.cjs'), [join(dir, 's3')], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const password = 'bench-pw';
  const worker = new Worker(join(__dirname, 'sim-worker.cjs'), { workerData: { password }, execArgv: [] });
  // Both listeners now: a worker's message with no listener yet is lost.
  const s3Ready = new Promise<number>((resolve) => s3.once('message', (m: { port: number }) => resolve(m.port)));
  const simReady = message<{ port: number }>(worker);
  const phases: MemoryPhase[] = [];
  let hwmMb = NaN;
  try {
    const s3Port = await s3Ready;
    const { port } = await simReady;
    const spoolDir = join(dir, 'spool');
    const daemon = await startDaemonProcess(
      dir,
      [
        `esl: {port: ${port}, password: ${password}}`,
        `spool_dir: ${spoolDir}`,
        `state_dir: ${dir}/state`,
        `storage: {type: s3, endpoint: 127.0.0.1, port: ${s3Port}, use_ssl: false, bucket: bench, path_style: true, access_key: S3RVER, secret_key: S3RVER}`,
        'upload: {concurrency: 4, orphan_stable_ms: 200, retry_min_ms: 100, retry_max_ms: 2000}',
        'default_account: {record_account: on}',
      ].join('\n'),
    );
    try {
      const idle = new RssSampler(daemon.pid);
      await new Promise((r) => setTimeout(r, 2000));
      phases.push({ label: 'connected, idle', peakRssMb: Math.round(idle.stop()), seconds: 2 });
      phases.push(await uploadPhase(daemon, dir, spoolDir, '200 files of 1 MB', 200, 1 << 20));
      phases.push(await uploadPhase(daemon, dir, spoolDir, '3 files of 200 MB', 3, 200 << 20));

      const live = new RssSampler(daemon.pid);
      const t0 = Date.now();
      worker.postMessage({ kind: 'hold', calls: 10_000, cps: 500 });
      const held = await message<{ placed: number; recorded: number }>(worker);
      await new Promise((r) => setTimeout(r, 2000));
      phases.push({
        label: '10,000 live recorded calls',
        peakRssMb: Math.round(live.stop()),
        seconds: Math.round((Date.now() - t0) / 100) / 10,
        note: held.recorded < held.placed ? `only ${held.recorded} of ${held.placed} calls recorded` : undefined,
      });
      phases.push(await uploadPhase(daemon, dir, spoolDir, '200 files of 1 MB with 10,000 calls live', 200, 1 << 20));
      hwmMb = Math.round(residentMb(daemon.pid).hwm);
    } finally {
      await daemon.stop();
    }
  } finally {
    await worker.terminate();
    s3.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return { phases, hwmMb };
}

export function printDaemonMemory(r: { phases: MemoryPhase[]; hwmMb: number }): void {
  for (const p of r.phases) {
    const target = p.uploads ? `  target < ${RSS_TARGET_MB} MB: ${p.peakRssMb < RSS_TARGET_MB && !p.note ? 'met' : 'NOT met'}` : '';
    console.log(`   ${p.label.padEnd(42)} peak RSS ${String(p.peakRssMb).padStart(4)} MB  (${p.seconds} s)${p.note ? `  ${p.note}` : ''}${target}`);
  }
  const uploads = r.phases.filter((p) => p.uploads);
  const met = uploads.length > 0 && uploads.every((p) => p.peakRssMb < RSS_TARGET_MB && !p.note);
  console.log(`   whole run: VmHWM ${r.hwmMb} MB; target < ${RSS_TARGET_MB} MB with uploads in flight (every upload phase): ${met ? 'met' : 'NOT met'}`);
}
