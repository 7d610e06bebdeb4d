/**
 * Upload throughput through the spool (journal + S3 target + verify) against a bare minio
 * putObject loop with the same concurrency, to a local S3-compatible server in another process; and the
 * peak RSS of this process while the large files go up.
 *
 * The spool runs with keep_local_days 1 (the bare loop reads the files after it), so a single-part upload
 * is verified by its PUT reply. Small files are measured twice: as configured by default (a look before
 * each create, which servers that ignore If-None-Match need, s3rver among them: one listing of the
 * directory shared by the uploads in flight together) and with storage.trust_if_none_match (AWS S3, MinIO:
 * create first; one request per file). s3rver ignores the condition, so the second run is safe here only
 * because every key is new. The metadata rides on each object (it fits S3's 2 KB): no `.json` PUT.
 */
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { createReadStream } from 'node:fs';
import { Secret } from '../src/config/secret';
import { silentLogger } from '../src/log';
import { Metrics } from '../src/metrics';
import type { RecordingMeta } from '../src/model/recording';
import { Spool } from '../src/spool/spool';
import { S3Target } from '../src/storage/s3-target';

function makeFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(1 << 20, 7);
  for (let left = bytes; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(block.length, left));
  closeSync(fd);
}

async function bareLoop(client: Client, files: string[], prefix: string, concurrency: number, size: number): Promise<number> {
  const t0 = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++] as string;
      await client.putObject('bench', `${prefix}/${f.split('/').pop()}`, createReadStream(f), size);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (files.length * size) / 1e6 / ((Date.now() - t0) / 1000);
}

async function spoolRun(port: number, dir: string, files: string[], concurrency: number, size: number, tag: string, trustIfNoneMatch = false): Promise<{ mbps: number; peakRssMb: number }> {
  const spoolDir = join(dir, 'spool');
  const target = new S3Target({ type: 's3', endpoint: '127.0.0.1', port, useSsl: false, region: 'us-east-1', bucket: 'bench', createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 'b'), secretKey: new Secret('S3RVER', 'b'), trustIfNoneMatch }, silentLogger());
  const spool = await Spool.open({ stateDir: join(dir, `state-${tag}`), spoolDir, upload: { concurrency, retryMinMs: 100, retryMaxMs: 1000, keepLocalDays: 1, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 3_600_000, healthMaxBacklog: 500 }, target, log: silentLogger(), metrics: new Metrics() });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = Date.now();
  await spool.start();
  for (const [i, path] of files.entries()) {
    const rel = path.slice(spoolDir.length + 1);
    const meta: RecordingMeta = { id: `${tag}-${i}`, callUuid: 'c', legUuid: 'l', path, relativePath: `${tag}/${rel}`, format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 't', node: 'n', reasons: ['bench'], onDemand: false, startedAt: new Date().toISOString() };
    await spool.started(meta);
    await spool.finished(meta, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  }
  while (spool.status().stored < files.length) await new Promise((r) => setTimeout(r, 20));
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  await spool.stop(100);
  return { mbps: (files.length * size) / 1e6 / seconds, peakRssMb: Math.round(peak / 1e6) };
}

export interface UploadResult {
  label: string;
  spoolMBps?: number;
  bareMBps?: number;
  ratio?: number;
  /** Small files with storage.trust_if_none_match (no HEAD before the create). */
  trustedMBps?: number;
  trustedRatio?: number;
  peakRssMb?: number;
  error?: string;
}

/** The target for both sizes (#15.1). */
export const UPLOAD_RATIO_TARGET = 0.9;

export async function measureUploads(): Promise<UploadResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-upbench-'));
  const child = fork(join(__dirname, 's3rver-child.cjs'), [join(dir, 's3')], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const client = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
  const out: UploadResult[] = [];
  try {
    for (const [label, count, size] of [
      ['200 files of 1 MB', 200, 1 << 20],
      ['5 files of 200 MB', 5, 200 << 20],
    ] as const) {
      const spoolDir = join(dir, 'spool', label.replace(/\W+/g, '-'));
      mkdirSync(spoolDir, { recursive: true });
      const files = Array.from({ length: count }, (_, i) => join(spoolDir, `f${i}.wav`));
      for (const f of files) makeFile(f, size);
      try {
        // The spool first: RSS never shrinks much once grown, and the bare loop buffers 64 MB parts. The spool
        // keeps the local files (keep_local_days) so the bare loop can read them after.
        const run = await spoolRun(port, dir, files, 4, size, `spool-${count}`);
        const bare = await bareLoop(client, files, `bare-${count}`, 4, size);
        const r: UploadResult = { label, spoolMBps: Math.round(run.mbps), bareMBps: Math.round(bare), ratio: Math.round((run.mbps / bare) * 100) / 100, peakRssMb: run.peakRssMb };
        if (size <= 8 << 20) {
          const trusted = await spoolRun(port, dir, files, 4, size, `trusted-${count}`, true);
          const bare2 = await bareLoop(client, files, `bare2-${count}`, 4, size);
          r.trustedMBps = Math.round(trusted.mbps);
          r.trustedRatio = Math.round((trusted.mbps / bare2) * 100) / 100;
        }
        out.push(r);
      } catch (err) {
        out.push({ label, error: err instanceof Error ? err.message : String(err) });
      }
      rmSync(spoolDir, { recursive: true, force: true });
    }
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
