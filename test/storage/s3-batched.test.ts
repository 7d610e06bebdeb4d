/**
 * The batched look before a create and read-back after it, against s3rver through the fault proxy: puts in
 * flight together in one directory share one listing, and the no-replace rule is exactly what it was.
 */
import t from 'tap';
import { on, S3FaultProxy } from '../helpers/s3-fault-proxy';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, directClient, listKeys, md5, objectBytes, s3Target, storedMetadata, tempDir, writeRecording } from '../helpers/storage-fixtures';

const RESULT = { endedAt: '2026-11-24T10:00:05.000Z', durationMs: 5000, completionCause: 'success' };

async function setup(t: { teardown(fn: () => unknown): void }) {
  const s3 = await startS3([BUCKET]);
  const proxy = await S3FaultProxy.start(s3.port);
  t.teardown(async () => {
    await proxy.close();
    await s3.remove();
  });
  return { proxy, direct: directClient(s3.port), target: s3Target(proxy.port), dir: tempDir(t, 'fsrecd-s3-batch-') };
}

const listings = (proxy: S3FaultProxy): number => proxy.count((r) => r.method === 'GET' && r.key === '');
const heads = (proxy: S3FaultProxy): number => proxy.count((r) => r.method === 'HEAD');

t.test('six puts in flight together: one listing looks at all six keys and their .json; a taken key is still suffixed; the same bytes are not sent again', async (t) => {
  const { proxy, direct, target, dir } = await setup(t);
  // Already there: another node's recording under c.wav, and this very recording (an earlier run) under e.wav.
  await direct.putObject(BUCKET, 'acme/c.wav', Buffer.from('recorded by pbx2'));
  const e = writeRecording(dir, 'rec-e', 'acme/e.wav', 'audio e');
  await target.put(e.path, 'acme/e.wav', e, RESULT);
  const before = { listings: listings(proxy), heads: heads(proxy), puts: proxy.count((r) => r.method === 'PUT') };

  // The first listing is held back, so every key asked after it was sent waits for the next one (the
  // puts reach their look after a local stat each: not all in the same tick).
  proxy.add(on.list(), { kind: 'delay', ms: 300 }, 1);
  const recs = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => (n === 'e' ? e : writeRecording(dir, `rec-${n}`, `acme/${n}.wav`, `audio ${n}`)));
  const keys = await Promise.all(recs.map((m) => target.put(m.path, m.relativePath, m, RESULT).then((r) => r.key)));
  t.same(keys, ['acme/a.wav', 'acme/b.wav', 'acme/c-2.wav', 'acme/d.wav', 'acme/e.wav', 'acme/f.wav'], "c's key was taken: suffixed; e's held its own bytes: reused");
  const looks = proxy.requests.filter((r) => r.method === 'GET' && r.key === '');
  const made = listings(proxy) - before.listings;
  t.ok(made >= 2 && made <= 3, `${made} listings for 13 looks: one for the keys asked first, one for all asked while it ran, one for c-2.wav`);
  t.ok(looks.every((r) => r.query.includes('prefix=acme%2F')), 'listings of the directory');
  t.equal(heads(proxy) - before.heads, 2, 'a HEAD only where the listing found an object (c.wav, e.wav)');
  t.equal(proxy.count((r) => r.method === 'PUT') - before.puts, 5, 'five PUTs: e was not sent again, and no .json');
  t.equal((await objectBytes(direct, 'acme/c.wav'))?.toString(), 'recorded by pbx2', "the other node's object is intact");
  t.equal((await storedMetadata(direct, 'acme/c-2.wav'))?.id, 'rec-c');
  t.same(proxy.overwrites, []);
  t.same(await listKeys(direct), ['acme/a.wav', 'acme/b.wav', 'acme/c-2.wav', 'acme/c.wav', 'acme/d.wav', 'acme/e.wav', 'acme/f.wav']);
});

t.test('read-backs in flight together: one listing verifies them all; a 200 whose object is missing is not found', async (t) => {
  const { proxy, target, dir } = await setup(t);
  const recs = ['a', 'b', 'c'].map((n) => writeRecording(dir, `rec-${n}`, `acme/${n}.wav`, `audio ${n}`));
  const fake = proxy.add(on.objectPut('acme/b.wav'), { kind: 'fake-ok' });
  const puts = await Promise.all(recs.map((m) => target.put(m.path, m.relativePath, m, RESULT)));
  t.equal(fake.hits, 1, "b's PUT was answered 200 and dropped");
  const before = { listings: listings(proxy), heads: heads(proxy) };
  const stats = await Promise.all(puts.map((p) => target.stat(p.key, { md5: p.md5 })));
  t.same(stats[0], { size: 'audio a'.length, md5: md5('audio a') }, 'size and the MD5 the server computed, from the listing');
  t.same(stats[2], { size: 'audio c'.length, md5: md5('audio c') });
  t.equal(stats[1], null, 'the object that is not there is not there');
  t.equal(listings(proxy) - before.listings, 1, 'one listing for the three');
  t.equal(heads(proxy) - before.heads, 1, 'and a HEAD only for the one the listing did not verify');
});
