/**
 * Against s3rver on 127.0.0.1: a second node (an empty index, on each engine) rebuilds everything from the
 * bucket; audio is read back in ranges; presigned URLs work and expire.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../src/config/secret';
import type { S3StorageConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import type { RecordingMeta } from '../../src/model/recording';
import { mediaOf } from '../../src/recordings/media';
import { reindexFromStorage } from '../../src/recordings/reindex';
import { md5File } from '../../src/storage/checksum';
import { S3Target } from '../../src/storage/s3-target';
import { wavHeader } from '../../src/sim/wav';
import { startS3 } from '../helpers/s3-server';
import { eachEngineIndex } from './engines';

function cfg(port: number): S3StorageConfig {
  return { type: 's3', endpoint: '127.0.0.1', port, useSsl: false, region: 'us-east-1', bucket: 'recordings', createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 'test'), secretKey: new Secret('S3RVER', 'test') };
}

function meta(dir: string, n: number, over: Partial<RecordingMeta> = {}): RecordingMeta {
  const name = `2026-11-2${n}T10_00_00UTC-100${n}-200${n}.wav`;
  return {
    id: `call-${n}-1`,
    callUuid: `call-${n}`,
    legUuid: `call-${n}`,
    path: join(dir, name),
    relativePath: `tenant-${n % 2}/${name}`,
    format: 'wav',
    srcnum: `100${n}`,
    dstnum: `200${n}`,
    callerName: `Caller ${n}`,
    direction: n % 2 ? 'inbound' : 'outbound',
    network: 'external',
    user: `u${n}`,
    device: `d${n}`,
    domain: `tenant-${n % 2}.example`,
    tenantUuid: `tenant-${n % 2}`,
    node: n < 3 ? 'pbx-a' : 'pbx-b',
    reasons: [`account tenant-${n % 2} inbound×external on`],
    onDemand: n === 4,
    startedAt: `2026-11-2${n}T10:00:00.000Z`,
    ...over,
  };
}

eachEngineIndex('reindex from the bucket alone; Range reads; presigned URLs', async (t, index) => {
  const s3 = await startS3(['recordings']);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-reindex-'));
  t.teardown(async () => {
    await s3.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const store = new S3Target(cfg(s3.port), silentLogger());
  const sums = new Map<string, string>();
  for (let n = 1; n <= 4; n++) {
    const m = meta(dir, n);
    const pcm = Buffer.alloc(8000 * 2 * n, n);
    writeFileSync(m.path, Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1 }, pcm.length), pcm]));
    const md5 = await md5File(m.path);
    sums.set(m.id, md5);
    await store.put(m.path, m.relativePath, m, { endedAt: '2026-11-24T10:00:05.000Z', durationMs: n * 1000, completionCause: 'success' }, md5);
  }
  // An object some other tool put in the bucket, with no metadata at all (no .json, nothing on the object).
  const { Client } = await import('minio');
  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER' });
  await client.putObject('recordings', 'imported/stray.wav', Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1 }, 16), Buffer.alloc(16)]));
  // An older recording (fsrecd before the metadata rode on the object): only its .json says what it is.
  const old = meta(dir, 5, { node: 'pbx-old' });
  await client.putObject('recordings', old.relativePath, Buffer.from('older audio'));
  await client.putObject('recordings', `${old.relativePath}.json`, Buffer.from(JSON.stringify({ ...old, result: { endedAt: old.startedAt, durationMs: 5000, completionCause: 'success' }, md5: 'm' })));
  // Every recording stored now carries its metadata itself, with no .json beside it.
  const keys: string[] = [];
  for await (const o of client.listObjectsV2('recordings', '', true)) keys.push((o as { name: string }).name);
  t.same(keys.filter((k) => k.endsWith('.json')), [`${old.relativePath}.json`], 'the only .json is the older recording\'s');

  const report = await reindexFromStorage(index, store);
  t.match(report, { objects: 7, recordings: 6, withoutMetadata: 1, removed: 0 });
  t.match(await index.get('call-5-1'), { node: 'pbx-old', durationMs: 5000, source: 'storage' }, 'an older recording: from its .json');
  const all = (await index.query({ limit: 50 })).recordings;
  t.equal(all.length, 6);
  const one = await index.get('call-3-1');
  t.match(one, { srcnum: '1003', dstnum: '2003', tenant: 'tenant-1', node: 'pbx-b', state: 'stored', source: 'storage', durationMs: 3000, key: 'tenant-1/2026-11-23T10_00_00UTC-1003-2003.wav', md5: sums.get('call-3-1') });
  t.equal((await index.query({ limit: 50, trigger: 'on-demand' })).recordings[0]?.id, 'call-4-1');
  t.equal((await index.query({ limit: 50, tenant: 'tenant-0' })).recordings.length, 2);
  t.same((await index.query({ limit: 50, node: 'pbx-a' })).recordings.map((e) => e.id), ['call-2-1', 'call-1-1'], 'the node each recording\'s metadata names');
  const strayEntry = (await index.query({ limit: 50 })).recordings.find((r) => r.key === 'imported/stray.wav');
  t.match(strayEntry, { key: 'imported/stray.wav', reasons: ['found in storage'], state: 'stored' });
  t.match(strayEntry?.id, /^obj-[0-9a-f]{32}$/);

  // Twice gives the same index; an object deleted from the bucket leaves it.
  await client.removeObject('recordings', 'imported/stray.wav');
  const again = await reindexFromStorage(index, store);
  t.match(again, { recordings: 5, removed: 1 });
  t.equal((await index.query({ limit: 50 })).recordings.length, 5);

  const media = await mediaOf(one as NonNullable<typeof one>, store);
  const whole = readFileSync(meta(dir, 3).path);
  t.equal(media.size, whole.length);
  const chunks: Buffer[] = [];
  for await (const c of await media.open({ start: 100, end: 1099 })) chunks.push(c as Buffer);
  t.ok(Buffer.concat(chunks).equals(whole.subarray(100, 1100)), 'a byte range from S3');

  const url = await store.presign('tenant-1/2026-11-23T10_00_00UTC-1003-2003.wav', 60, '2026-11-23T10_00_00UTC-1003-2003.wav');
  t.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${s3.port}/recordings/tenant-1/.*X-Amz-Expires=60`));
  const got = await fetch(url);
  t.equal(got.status, 200);
  t.ok(Buffer.from(await got.arrayBuffer()).equals(whole), 'the presigned URL serves the object');
  // (s3rver does not check presigned signatures, so their enforcement is S3's to test, not ours.)
  const q = new URL(url as string).searchParams;
  t.match(q.get('X-Amz-Signature'), /^[0-9a-f]{64}$/);
  t.equal(q.get('response-content-disposition'), `attachment; filename="2026-11-23T10_00_00UTC-1003-2003.wav"; filename*=UTF-8''2026-11-23T10_00_00UTC-1003-2003.wav`, 'the download keeps its name');
});

eachEngineIndex('reindex from the bucket alone brings conversations back: segments, parties, transfers, queue', async (t, index) => {
  const s3 = await startS3(['recordings']);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-reindex-conv-'));
  t.teardown(async () => {
    await s3.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const store = new S3Target(cfg(s3.port), silentLogger());
  const customer = { role: 'caller' as const, number: '+15557770001', name: 'Customer Co' };
  const segments = (['1001', '1002', '1003'] as const).map((callee, i) =>
    meta(dir, i + 1, {
      id: `seg-${i + 1}-1`,
      callUuid: `seg-${i + 1}`,
      srcnum: customer.number,
      dstnum: callee,
      tenantUuid: 'tenant-1',
      conversationId: 'conv-s3',
      segment: i + 1,
      startedBy: i === 0 ? 'answer' : 'transfer',
      parties: [customer, { role: 'callee', number: callee, user: `u${callee}`, legUuid: `leg-${callee}` }],
      ...(i > 0 ? { transferFrom: { recordingId: `seg-${i}-1`, kind: i === 1 ? ('attended' as const) : ('park' as const) } } : {}),
      ...(i === 2 ? { queue: 'support@tenant-1.example', agent: '1003@tenant-1.example' } : {}),
    }),
  );
  // Uploaded last segment first: the order comes from the metadata, not from the bucket listing.
  for (const m of [...segments].reverse()) {
    writeFileSync(m.path, Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1 }, 160), Buffer.alloc(160, m.segment)]));
    await store.put(m.path, m.relativePath, m, { endedAt: m.startedAt, durationMs: 1000 * (m.segment ?? 1), completionCause: 'success' });
  }
  const older = meta(dir, 4);
  writeFileSync(older.path, Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1 }, 160), Buffer.alloc(160)]));
  await store.put(older.path, older.relativePath, older, undefined);

  const { Client } = await import('minio');
  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER' });
  const head = await client.statObject('recordings', (segments[1] as RecordingMeta).relativePath);
  t.match(head.metaData, { conversation: 'conv-s3', segment: '2' }, 'the object itself says which conversation and segment');
  t.match((await client.statObject('recordings', older.relativePath)).metaData, { conversation: 'call-4', segment: '1' }, 'an older recording: its own call, segment 1');

  t.match(await reindexFromStorage(index, store), { recordings: 4, withoutMetadata: 0 });
  const back = await index.segmentsOf('conv-s3');
  t.same(back.map((e) => [e.id, e.segment, e.startedBy, e.transferFrom?.kind ?? null, e.transferFrom?.recordingId ?? null]), [
    ['seg-1-1', 1, 'answer', null, null],
    ['seg-2-1', 2, 'transfer', 'attended', 'seg-1-1'],
    ['seg-3-1', 3, 'transfer', 'park', 'seg-2-1'],
  ]);
  t.same(back[2]?.parties, segments[2]?.parties, 'parties as recorded');
  t.match(back[2], { queue: 'support@tenant-1.example', agent: '1003@tenant-1.example', source: 'storage', durationMs: 3000 });
  const grouped = (await index.conversations({ limit: 10 })).conversations;
  t.same(grouped.map((c) => [c.conversationId, c.segmentCount, c.durationMs]), [['call-4', 1, 0], ['conv-s3', 3, 6000]], 'grouped as before the index was lost');
  t.same((await index.conversations({ limit: 10, text: 'u1003' })).conversations.map((c) => c.segments.length), [3], 'and found by a later segment\'s party');
  t.same((await index.query({ limit: 10, queue: 'support' })).recordings.map((e) => e.id), ['seg-3-1']);
});
