/**
 * The real Spool, the real S3Target and s3rver, with the fault proxy between them: each storage fault of
 * issue #11 is injected and the storage invariants are checked throughout (see spool-fault-harness.ts).
 */
import t from 'tap';
import { on } from '../helpers/s3-fault-proxy';
import { faultHarness } from '../helpers/spool-fault-harness';
import { BUCKET, defaultKeyOf } from '../helpers/storage-fixtures';
import { waitFor } from '../helpers/wait-for';

/** Where the harness's recording a.wav (acme/a.wav in the spool) is stored, and where a second one goes beside it. */
const A_KEY = defaultKeyOf('acme/a.wav');
const A2_KEY = defaultKeyOf('acme/a-2.wav');

t.test('runs of 500 and 503 answers: nothing deleted while they last; every recording stored once after', async (t) => {
  const h = await faultHarness(t);
  const slowDown = h.proxy.add(on.objectPut(), { kind: 'error', status: 503 }, Number.POSITIVE_INFINITY);
  const recs = [await h.record('a.wav'), await h.record('b.wav'), await h.record('c.wav')];
  await waitFor(() => slowDown.hits >= 6 || !h.localCopiesKept(recs), 'uploads answered 503 SlowDown');
  t.ok(h.localCopiesKept(recs), 'every local copy kept while the server answers 503');
  t.equal(h.spool.status().stored, 0);
  h.proxy.clear();
  const lists500 = h.proxy.add(on.list(), { kind: 'error', status: 500 }, 4);
  const any500 = h.proxy.add(on.any(), { kind: 'error', status: 500 }, 5);
  await h.settled();
  t.equal(lists500.hits + any500.hits, 9, 'then a run of 500 InternalError, all answered');
  await h.verify();
});

t.test('slow replies: stored once, nothing duplicated while waiting', async (t) => {
  const h = await faultHarness(t);
  const slow = h.proxy.add(on.any(), { kind: 'delay', ms: 300 }, 12);
  await h.record('a.wav');
  await h.record('b.wav');
  await h.settled();
  t.ok(slow.hits > 0, 'replies were slow');
  await h.verify();
});

t.test('connection cut after the server stored the audio: the retry finds it, sends nothing again', async (t) => {
  const h = await faultHarness(t);
  const cut = h.proxy.add(on.objectPut(A_KEY), { kind: 'reset-response' });
  await h.record('a.wav');
  await h.settled();
  t.equal(cut.hits, 1);
  t.equal(h.proxy.count((r) => r.method === 'PUT' && r.key === A_KEY), 1, 'the audio went up once');
  await h.verify();
});

t.test('connection cut in the middle of the upload: stored once, on a later try', async (t) => {
  const h = await faultHarness(t);
  const cut = h.proxy.add(on.objectPut(A_KEY), { kind: 'reset-request' }, 2);
  await h.record('a.wav', Buffer.alloc(256 * 1024, 7));
  await h.settled();
  t.equal(cut.hits, 2);
  await h.verify();
});

t.test('connection cut in the middle of a reply body: stored once', async (t) => {
  const h = await faultHarness(t);
  // The listing before each create (and the read-back after it) reads a body: cut those replies.
  const cut = h.proxy.add(on.list(), { kind: 'reset-response' }, 3);
  await h.record('a.wav');
  await h.settled();
  t.equal(cut.hits, 3);
  await h.verify();
});

t.test('a wrong ETag: the local copy stays while the ETag disagrees; stored once when it is right', async (t) => {
  const h = await faultHarness(t);
  // The read-back asks a listing first, then a HEAD where the listed ETag is not the MD5 sent: both lie.
  const listLie = h.proxy.add(on.list(), { kind: 'wrong-etag' }, Number.POSITIVE_INFINITY);
  const lie = h.proxy.add(on.head(A_KEY), { kind: 'wrong-etag' }, Number.POSITIVE_INFINITY);
  const m = await h.record('a.wav', 'the audio of a');
  await waitFor(() => lie.hits >= 4 || !h.localCopiesKept([m]), 'several verifications against the lying ETag');
  t.ok(listLie.hits >= 1, 'the listings lied too');
  t.ok(h.localCopiesKept([m]), 'the local copy is kept while the stored copy cannot be verified');
  t.equal(h.spool.status().stored, 0, 'not journaled as stored');
  t.same(await h.keysHolding('the audio of a'), [A_KEY], 'the object is there once: no duplicate was made meanwhile');
  h.proxy.clear();
  await h.settled();
  await h.verify();
});

t.test('a 200 for an upload that never reached the server: the local copy stays until the object is really there', async (t) => {
  const h = await faultHarness(t);
  const fake = h.proxy.add(on.objectPut(A_KEY), { kind: 'fake-ok' }, Number.POSITIVE_INFINITY);
  const m = await h.record('a.wav', 'the audio of a');
  await waitFor(() => fake.hits >= 3 || !h.localCopiesKept([m]), 'several uploads answered 200 and dropped');
  t.ok(h.localCopiesKept([m]), 'the local copy is kept: the object is missing');
  t.equal(h.spool.status().stored, 0, 'not journaled as stored');
  t.same(await h.keysHolding('the audio of a'), [], 'the server indeed has no such object');
  h.proxy.clear();
  await h.settled();
  await h.verify();
});

t.test('the bucket disappears for a while: nothing stored, nothing deleted; all stored once when it is back', async (t) => {
  const h = await faultHarness(t);
  await h.record('first.wav');
  await h.settled();
  const gone = h.proxy.add(on.any(), { kind: 'no-such-bucket' }, Number.POSITIVE_INFINITY);
  const recs = [await h.record('a.wav'), await h.record('b.wav'), await h.record('c.wav')];
  await waitFor(() => gone.hits >= 10 || !h.localCopiesKept(recs), 'uploads refused with NoSuchBucket');
  t.ok(h.localCopiesKept(recs), 'every local copy kept');
  t.equal(h.spool.status().stored, 1, 'only the recording stored before');
  t.match(h.spool.status().lastError, /bucket|NoSuchBucket|not/i, 'the error says what is wrong');
  h.proxy.clear();
  await h.settled();
  await h.verify();
});

t.test("another node (of the same name) already stored a recording under the same key: ours goes beside it, theirs is intact", async (t) => {
  const h = await faultHarness(t);
  await h.direct.putObject(BUCKET, A_KEY, Buffer.from('recorded by pbx2'));
  await h.record('a.wav');
  await h.settled();
  t.equal(h.spool.journal.entries.get('rec-a.wav')?.key, A2_KEY, 'the journal names the suffixed key');
  await h.verify({ [A_KEY]: 'recorded by pbx2' });
});

t.test('another node creates the key between our HEAD and our PUT (If-None-Match honoured): nothing replaced', async (t) => {
  const h = await faultHarness(t, { honourIfNoneMatch: true });
  const race = h.proxy.add(on.objectPut(A_KEY), {
    kind: 'before',
    run: async () => {
      await h.direct.putObject(BUCKET, A_KEY, Buffer.from('recorded by pbx2 at the same second'));
    },
  });
  await h.record('a.wav');
  await h.settled();
  t.equal(race.hits, 1, 'the race was run');
  await h.verify({ [A_KEY]: 'recorded by pbx2 at the same second' });
});
