import t from 'tap';
import { Client } from 'minio';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../src/config/secret';
import type { S3StorageConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { Spool } from '../../src/spool/spool';
import { S3Target } from '../../src/storage/s3-target';
import { startS3 } from '../helpers/s3-server';
import { waitFor } from '../helpers/wait-for';

function s3cfg(port: number, over: Partial<S3StorageConfig> = {}): S3StorageConfig {
  return { type: 's3', endpoint: '127.0.0.1', port, useSsl: false, region: 'us-east-1', bucket: 'recordings', createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 'test'), secretKey: new Secret('S3RVER', 'test'), ...over };
}

function meta(spoolDir: string, name: string): RecordingMeta {
  return { id: `id-${name}`, callUuid: 'call-1', legUuid: 'leg-1', path: join(spoolDir, name), relativePath: `acme/${name}`, format: 'wav', srcnum: '../../etc/passwd', dstnum: '1001', callerName: 'x', direction: 'inbound', network: 'external', domain: 'acme.example', tenantUuid: 'acme', node: 'pbx1', reasons: ['account acme inbound×external on'], onDemand: false, startedAt: new Date().toISOString() };
}

async function spoolWith(t: { teardown(fn: () => unknown): void }, cfg: S3StorageConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-s3spool-'));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 4, retryMinMs: 20, retryMaxMs: 200, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 500 }, target: new S3Target(cfg, silentLogger()), log: silentLogger(), metrics: new Metrics() });
  await spool.start();
  t.teardown(async () => {
    await spool.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });
  const record = async (name: string, body: string): Promise<RecordingMeta> => {
    const m = meta(spoolDir, name);
    await spool.started(m);
    writeFileSync(m.path, body);
    await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1000, completionCause: 'success-silence' });
    return m;
  };
  return { spool, record };
}

t.test('upload, verify, metadata, then the local copy goes', async (t) => {
  const s3 = await startS3(['recordings']);
  t.teardown(() => s3.remove());
  const { spool, record } = await spoolWith(t, s3cfg(s3.port));
  const m = await record('a.wav', 'RIFF....WAVEfmt audio');
  await waitFor(() => spool.status().stored === 1, 'stored');
  await waitFor(() => !existsSync(m.path), 'local copy removed after the stored copy was verified');
  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
  const key = `${m.node}/${m.relativePath}`;
  const st = await client.statObject('recordings', key);
  t.equal(st.size, 'RIFF....WAVEfmt audio'.length);
  t.equal(st.metaData['content-type'], 'audio/wav');
  t.equal(decodeURIComponent(String(st.metaData['srcnum'])), '../../etc/passwd', 'metadata header, encoded and intact');
  const carried = JSON.parse(Buffer.from(String(st.metaData['fsrecd-meta']), 'base64').toString('utf8')) as { id?: string };
  t.equal(carried.id, 'id-a.wav', 'the whole metadata rides on the object (it fits S3 user metadata)');
  await t.rejects(client.statObject('recordings', `${key}.json`), 'so no .json beside it');
});

t.test('storage down while 50 recordings finish: all 50 stored when it returns', async (t) => {
  const s3 = await startS3(['recordings']);
  t.teardown(() => s3.remove());
  await s3.stop();
  const { spool, record } = await spoolWith(t, s3cfg(s3.port));
  for (let i = 0; i < 50; i++) await record(`r${i}.wav`, `audio ${i}`);
  await waitFor(() => spool.status().lastError !== undefined, 'failing while down');
  t.equal(spool.status().stored, 0);
  await s3.start();
  await waitFor(() => spool.status().stored === 50, 'all 50 stored', 20_000);
  t.equal(spool.status().lost, 0);
});

t.test('missing bucket and wrong credentials: clear errors, files wait', async (t) => {
  const s3 = await startS3(['recordings']);
  t.teardown(() => s3.remove());
  const nob = await spoolWith(t, s3cfg(s3.port, { bucket: 'no-such-bucket' }));
  const m1 = await nob.record('b.wav', 'x');
  await waitFor(() => nob.spool.status().lastError, 'error');
  t.match(nob.spool.status().lastError, /bucket no-such-bucket does not exist at s3 bucket no-such-bucket at http:\/\/127\.0\.0\.1:\d+/);
  t.ok(existsSync(m1.path), 'file kept');
  const bad = await spoolWith(t, s3cfg(s3.port, { accessKey: new Secret('WRONG', 't'), secretKey: new Secret('WRONG-secret-9', 't') }));
  const m2 = await bad.record('c.wav', 'y');
  await waitFor(() => bad.spool.status().lastError, 'error');
  t.match(bad.spool.status().lastError, /access refused by s3 bucket recordings at http:\/\/127\.0\.0\.1:\d+/);
  t.notMatch(bad.spool.status().lastError, /WRONG-secret-9/, 'no secret in the message');
  t.ok(existsSync(m2.path), 'file kept');
});

t.test('a recording larger than the part size goes up in parts, streamed, and is verified by size', async (t) => {
  const s3 = await startS3(['recordings']);
  t.teardown(() => s3.remove());
  const { spool, record } = await spoolWith(t, s3cfg(s3.port));
  const big = Buffer.alloc(40 * 1024 * 1024, 0x55);
  const m = await record('big.wav', big.toString('latin1'));
  await waitFor(() => spool.status().stored === 1, 'stored', 30_000);
  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
  const st = await client.statObject('recordings', `${m.node}/${m.relativePath}`);
  t.equal(st.size, big.length, 'every byte');
  t.equal(s3.multipartUploads(), 1, 'uploaded in parts (8 MB each)');
  await waitFor(() => !existsSync(m.path), 'local copy removed');
});
