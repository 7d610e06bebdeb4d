import t from 'tap';
import type { RecordingMeta } from '../../src/model/recording';
import { on, S3FaultProxy } from '../helpers/s3-fault-proxy';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, directClient, listKeys, md5, objectBytes, s3Target, storedMetadata, tempDir, writeRecording } from '../helpers/storage-fixtures';

const RESULT = { endedAt: '2026-11-24T10:00:05.000Z', durationMs: 5000, completionCause: 'success' };

/** s3rver, the fault proxy in front of it, and a client that reads the server past the proxy. */
async function setup(t: { teardown(fn: () => unknown): void }) {
  const s3 = await startS3([BUCKET]);
  const proxy = await S3FaultProxy.start(s3.port);
  t.teardown(async () => {
    await proxy.close();
    await s3.remove();
  });
  return { proxy, direct: directClient(s3.port), target: s3Target(proxy.port), dir: tempDir(t, 'fsrecd-s3-nr-') };
}

/** The id the metadata stored with `key` names (on the object, or in its `.json` when it did not fit). */
async function metadataId(direct: ReturnType<typeof directClient>, key: string): Promise<unknown> {
  return (await storedMetadata(direct, key))?.id;
}

const audioPuts = (proxy: S3FaultProxy, key: string): number => proxy.count((r) => r.method === 'PUT' && r.key === key);

t.test('two recordings under one key: two objects, the first untouched, the second suffixed', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'first recording');
  const b = writeRecording(dir, 'rec-b', 'acme/call.wav', 'second, other bytes');
  t.match(await target.put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.match(await target.put(b.path, 'acme/call.wav', b, RESULT), { key: 'acme/call-2.wav' }, 'the key actually used is returned');
  t.equal((await objectBytes(direct, 'acme/call.wav'))?.toString(), 'first recording', 'not replaced');
  t.equal((await objectBytes(direct, 'acme/call-2.wav'))?.toString(), 'second, other bytes');
  t.equal(await metadataId(direct, 'acme/call.wav'), 'rec-a', 'first metadata not replaced');
  t.equal(await metadataId(direct, 'acme/call-2.wav'), 'rec-b', 'metadata beside the key used');
  t.same(await listKeys(direct), ['acme/call-2.wav', 'acme/call.wav'], 'the metadata rides on the objects: no .json');
  t.same(proxy.overwrites, [], 'no create replaced anything');
  const st = await target.stat('acme/call-2.wav');
  t.equal(st?.size, 'second, other bytes'.length);
  t.equal(st?.md5, md5('second, other bytes'), 'stat gives the MD5 the server computed');
  t.equal(st?.recordingId, 'rec-b', 'and the recording id the object carries');
});

t.test('the same recording again after a crash: not uploaded again, not duplicated', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio');
  await target.put(a.path, 'acme/call.wav', a, RESULT);
  t.equal(audioPuts(proxy, 'acme/call.wav'), 1);
  const restarted = s3Target(proxy.port);
  t.match(await restarted.put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.equal(audioPuts(proxy, 'acme/call.wav'), 1, 'no second PUT of the audio');
  t.equal(audioPuts(proxy, 'acme/call.wav.json'), 0, 'nor a metadata object (the metadata is on the object)');
  t.same(await listKeys(direct), ['acme/call.wav'], 'one object');
});

t.test('metadata too large for the object, died between the audio and its .json: the next put writes the .json only', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  // A caller name past S3's 2 KB of user metadata: the metadata goes in `<key>.json`.
  const a = { ...writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio'), callerName: 'c'.repeat(3000) };
  proxy.add(on.objectPut('acme/call.wav.json'), { kind: 'reset-request' });
  await t.rejects(target.put(a.path, 'acme/call.wav', a, RESULT), 'the metadata upload was cut');
  t.same(await listKeys(direct), ['acme/call.wav'], 'the audio is there, its metadata is not');
  t.match(await s3Target(proxy.port).put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.equal(audioPuts(proxy, 'acme/call.wav'), 1, 'the audio was not sent again');
  t.equal(await metadataId(direct, 'acme/call.wav'), 'rec-a');
  t.ok(await objectBytes(direct, 'acme/call.wav.json'), 'in its .json');
  t.equal((await direct.statObject(BUCKET, 'acme/call.wav')).metaData['fsrecd-meta'], undefined, 'not on the object');
});

t.test('an ETag that lies about our own object: the bytes are read and compared, nothing uploaded twice', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio');
  await target.put(a.path, 'acme/call.wav', a, RESULT);
  const lie = proxy.add(on.head('acme/call.wav'), { kind: 'wrong-etag' });
  t.match(await target.put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.equal(lie.hits, 1, 'the HEAD did lie');
  t.equal(proxy.count((r) => r.method === 'GET' && r.key === 'acme/call.wav'), 1, 'so the object was read');
  t.equal(audioPuts(proxy, 'acme/call.wav'), 1);
  t.same(await listKeys(direct), ['acme/call.wav']);
});

t.test('another writer creates the key between our HEAD and our PUT: nothing replaced (If-None-Match: * honoured)', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  proxy.honourIfNoneMatch = true; // as AWS S3 and MinIO do; s3rver itself ignores the header
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'our recording');
  const race = proxy.add(on.objectPut('acme/call.wav'), {
    kind: 'before',
    run: async () => {
      await direct.putObject(BUCKET, 'acme/call.wav', Buffer.from('another node recorded this'));
    },
  });
  t.match(await target.put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call-2.wav' });
  t.equal(race.hits, 1, 'the race happened: the key was free at our HEAD, taken at our PUT');
  const firstLook = proxy.requests.findIndex((r) => r.method === 'GET' && r.key === '' && r.query.includes('prefix=acme'));
  const firstPut = proxy.requests.findIndex((r) => r.method === 'PUT' && r.key === 'acme/call.wav');
  t.ok(firstLook >= 0 && firstLook < firstPut, 'we looked (a listing of acme/) before the PUT');
  t.equal((await objectBytes(direct, 'acme/call.wav'))?.toString(), 'another node recorded this', "the other writer's object is intact");
  t.equal((await objectBytes(direct, 'acme/call-2.wav'))?.toString(), 'our recording');
  t.equal(await metadataId(direct, 'acme/call-2.wav'), 'rec-a');
  t.same(proxy.overwrites, []);
});

t.test('eight recordings racing for one key: eight objects, none replaced (If-None-Match: * honoured)', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  proxy.honourIfNoneMatch = true;
  const recs: RecordingMeta[] = Array.from({ length: 8 }, (_, i) => writeRecording(dir, `rec-${i}`, 'acme/call.wav', `recording number ${i}`));
  const keys = await Promise.all(recs.map((m) => target.put(m.path, 'acme/call.wav', m, RESULT).then((r) => r.key)));
  t.equal(new Set(keys).size, 8, 'eight keys');
  for (const [i, key] of keys.entries()) {
    t.equal((await objectBytes(direct, key))?.toString(), `recording number ${i}`, `${key} holds recording ${i}`);
    t.equal(await metadataId(direct, key), `rec-${i}`);
  }
  t.same(proxy.overwrites, []);
  t.ok(proxy.count((r) => r.method === 'PUT') >= 8, 'every one went through the proxy');
});

t.test('a recording uploaded in parts: another under its key is suffixed; itself again is not re-sent', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  const big = Buffer.alloc(9 * 1024 * 1024, 0x41);
  const other = Buffer.alloc(9 * 1024 * 1024, 0x42);
  const a = writeRecording(dir, 'rec-a', 'acme/big.wav', big);
  const b = writeRecording(dir, 'rec-b', 'acme/big.wav', other);
  t.match(await target.put(a.path, 'acme/big.wav', a, RESULT), { key: 'acme/big.wav' });
  const parts = proxy.count((r) => r.method === 'PUT' && r.query.includes('partNumber'));
  t.equal(parts, 2, 'two parts of 8 MB at most');
  t.match(await target.put(a.path, 'acme/big.wav', a, RESULT), { key: 'acme/big.wav' });
  t.equal(proxy.count((r) => r.method === 'PUT' && r.query.includes('partNumber')), parts, 'not sent again');
  t.match(await target.put(b.path, 'acme/big.wav', b, RESULT), { key: 'acme/big-2.wav' });
  t.equal(md5((await objectBytes(direct, 'acme/big.wav')) ?? ''), md5(big), 'the first untouched');
  t.equal(md5((await objectBytes(direct, 'acme/big-2.wav')) ?? ''), md5(other));
  t.same(proxy.overwrites, []);
});
