/** Time from the simulator's CHANNEL_ANSWER to the uuid_record it receives, at several call rates. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startFsrecd } from '../src/app';
import { loadConfigFromString } from '../src/config/load';
import { silentLogger } from '../src/log';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function message<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

export async function measureAnswerToRecord(rates: number[], seconds = 3): Promise<Array<{ cps: number; calls: number; p50: number; p99: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-bench-'));
  const password = 'bench-pw';
  const worker = new Worker(join(__dirname, 'sim-worker.cjs'), { workerData: { password }, execArgv: [] });
  const { port } = await message<{ port: number }>(worker);
  const loaded = await loadConfigFromString(
    `esl: {port: ${port}, password: ${password}}\nspool_dir: ${dir}/spool\nstate_dir: ${dir}/state\nstorage: {type: local, dir: ${dir}/stored}\ndefault_account: {record_account: on}\nhttp: {listen: null}\n`,
    'bench.yml',
  );
  if (!loaded.ok) throw new Error(String(loaded.errors[0]));
  const app = await startFsrecd({ config: loaded.config, log: silentLogger() });
  while (!app.esl.connected) await new Promise((r) => setTimeout(r, 5));
  const out = [];
  for (const cps of rates) {
    worker.postMessage({ cps, seconds });
    const { latencies } = await message<{ latencies: number[] }>(worker);
    const sorted = [...latencies].sort((a, b) => a - b);
    out.push({ cps, calls: sorted.length, p50: pct(sorted, 50), p99: pct(sorted, 99) });
  }
  await app.stop(5000);
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
  return out;
}
