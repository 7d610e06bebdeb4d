import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { Secret } from '../../src/config/secret';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { Spool } from '../../src/spool/spool';
import { S3Target } from '../../src/storage/s3-target';
import type { RecordingMeta } from '../../src/recorder/types';
import { startS3 } from '../helpers/s3-server';
import { waitFor } from '../helpers/wait-for';
import { S3FaultProxy } from '../helpers/s3-fault-proxy';

t.test('kill -9 between the upload and the journal update: after restart, exactly one object, nothing lost', async (t) => {
  const s3 = await startS3(['recordings']);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-crash-'));
  t.teardown(async () => {
    await s3.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const stateDir = join(dir, 'state');
  const spoolDir = join(dir, 'spool');
  mkdirSync(join(spoolDir, 'acme'), { recursive: true });
  const path = join(spoolDir, 'acme', 'crash.wav');
  writeFileSync(path, 'RIFF crash-test audio');
  const meta: RecordingMeta = { id: 'crash-1', callUuid: 'c', legUuid: 'l', path, relativePath: 'acme/crash.wav', format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 'acme', node: 'n', reasons: ['r'], onDemand: false, startedAt: new Date().toISOString() };
  const target = new S3Target({ type: 's3', endpoint: '127.0.0.1', port: s3.port, useSsl: false, region: 'us-east-1', bucket: 'recordings', createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 't'), secretKey: new Secret('S3RVER', 't') }, silentLogger());
  // Journal the recording as finished, as the daemon would at RECORD_STOP.
  const setup = await Spool.open({ stateDir, spoolDir, upload: { concurrency: 1, retryMinMs: 10, retryMaxMs: 50, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 600_000, healthMaxBacklog: 500 }, target: { ...target, describe: () => 'none', keyFor: (m) => m.relativePath, put: () => Promise.reject(new Error('not now')), stat: () => Promise.reject(new Error('not now')) }, log: silentLogger(), metrics: new Metrics() });
  await setup.started(meta);
  await setup.finished(meta, { endedAt: new Date().toISOString(), durationMs: 1000, completionCause: 'success-silence' });
  await setup.stop(10);

  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'crash-after-put.ts'), stateDir, spoolDir, String(s3.port)], { stdio: 'ignore' });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  t.equal(signal, 'SIGKILL', 'the uploader died right after the put');
  const journal = JSON.parse(readFileSync(join(stateDir, 'journal', 'crash-1.json'), 'utf8')) as { state: string };
  t.equal(journal.state, 'uploading', 'the journal never heard of the stored object');
  t.ok(existsSync(path), 'the local file is still there');

  // The restarted spool talks to s3rver through a proxy that logs every request: a second PUT would show.
  const proxy = await S3FaultProxy.start(s3.port);
  t.teardown(() => proxy.close());
  const viaProxy = new S3Target({ type: 's3', endpoint: '127.0.0.1', port: proxy.port, useSsl: false, region: 'us-east-1', bucket: 'recordings', createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 't'), secretKey: new Secret('S3RVER', 't') }, silentLogger());
  const restarted = await Spool.open({ stateDir, spoolDir, upload: { concurrency: 1, retryMinMs: 10, retryMaxMs: 50, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 600_000, healthMaxBacklog: 500 }, target: viaProxy, log: silentLogger(), metrics: new Metrics() });
  await restarted.start();
  t.teardown(() => restarted.stop(10));
  await waitFor(() => restarted.status().stored === 1, 'stored after restart');
  await waitFor(() => !existsSync(path), 'local copy removed');
  t.equal(proxy.count((r) => r.method === 'PUT' && r.key === 'acme/crash.wav'), 0, 'the object already there was verified, not uploaded again');
  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
  const names: string[] = [];
  for await (const o of client.listObjectsV2('recordings', '', true)) names.push((o as { name: string }).name);
  t.same(names.sort(), ['acme/crash.wav', 'acme/crash.wav.json'], 'exactly one object (and its metadata)');
});
