/**
 * #15.1: the upload reads the file once and, where the PUT's reply proves the bytes (a single-part ETag
 * that is the MD5 computed while sending), does not read the object back while the local copy stays
 * (keep_local_days > 0). Before such a copy is removed, the object is read back (confirmStoredCopy): a 200
 * for an object the server does not have costs nothing then either.
 */
import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { DurableJournal } from '../../src/spool/durable-journal';
import { Spool } from '../../src/spool/spool';
import { confirmStoredCopy } from '../../src/spool/uploader';
import { S3Target } from '../../src/storage/s3-target';
import { on, S3FaultProxy } from '../helpers/s3-fault-proxy';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, defaultKeyOf, recordingMeta, s3Config, tempDir } from '../helpers/storage-fixtures';
import { waitFor } from '../helpers/wait-for';

/** Where record('a') is stored (the fixture's node, then acme/a.wav), and the directory a listing looks in. */
const A_KEY = defaultKeyOf('acme/a.wav');
const A_DIR = A_KEY.slice(0, A_KEY.lastIndexOf('/') + 1);

/** The requests for A_KEY and the listings of its directory, in order (the bucket check before them left out). */
function requestsOf(proxy: S3FaultProxy): string[] {
  return proxy.requests.flatMap((r) => (r.key === A_KEY ? [`${r.method} ${r.key}`] : r.key === '' && r.query.includes(`prefix=${encodeURIComponent(A_DIR)}`) ? [`LIST ${A_DIR}`] : []));
}

async function rig(t: { teardown(fn: () => unknown): void }, keepLocalDays: number) {
  const s3 = await startS3([BUCKET]);
  const proxy = await S3FaultProxy.start(s3.port);
  t.teardown(async () => {
    await proxy.close();
    await s3.remove();
  });
  const dir = tempDir(t, 'fsrecd-reply-');
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  const target = new S3Target(s3Config(proxy.port), silentLogger());
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 2, retryMinMs: 20, retryMaxMs: 100, keepLocalDays, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 600_000, healthMaxBacklog: 500 }, target, log: silentLogger(), metrics: new Metrics() });
  await spool.start();
  t.teardown(() => spool.stop(100));
  const record = async (id: string, body: string) => {
    const m = recordingMeta(spoolDir, id, `acme/${id}.wav`);
    await spool.started(m);
    writeFileSync(m.path, body);
    await spool.finished(m, { endedAt: '2026-11-24T10:00:05.000Z', durationMs: 5000, completionCause: 'success-silence' });
    return m;
  };
  return { proxy, spool, record, target };
}

t.test('local copy kept: verified by the PUT reply, no HEAD after the PUT; journaled readBack: false', async (t) => {
  const { proxy, spool, record } = await rig(t, 1);
  await record('a', 'the audio of a');
  await waitFor(() => spool.status().stored === 1, 'stored');
  const e = spool.journal.entries.get('a');
  t.equal(e?.verifiedBy, 'md5');
  t.equal(e?.readBack, false);
  t.match(e?.sha256, /^[0-9a-f]{64}$/, 'the SHA-256 from the same read is journaled');
  // The look before the create is a listing of the directory (batched with any other key looked at then).
  t.same(requestsOf(proxy), [`LIST ${A_DIR}`, `PUT ${A_KEY}`], 'the look before the create, the PUT, and no read-back');
});

t.test('local copy removed at once: the object is read back before "stored"', async (t) => {
  const { proxy, spool, record } = await rig(t, 0);
  const m = await record('a', 'the audio of a');
  await waitFor(() => spool.status().stored === 1 && !existsSync(m.path), 'stored, local copy removed');
  t.same(requestsOf(proxy), [`LIST ${A_DIR}`, `PUT ${A_KEY}`, `LIST ${A_DIR}`], 'the look, the PUT, the read-back (a listing: size and the ETag that is the MD5 sent)');
  t.equal(spool.journal.entries.get('a')?.readBack, true);
});

t.test('a 200 for an object the server does not have: caught when the kept copy is to be removed, stored again', async (t) => {
  const { proxy, spool, record, target } = await rig(t, 1);
  const fake = proxy.add(on.objectPut(A_KEY), { kind: 'fake-ok' }, 1);
  const m = await record('a', 'the audio of a');
  await waitFor(() => spool.status().stored === 1, 'journaled stored on the (fake) reply');
  t.equal(fake.hits, 1);
  const e = spool.journal.entries.get('a');
  if (!e) throw new Error('no entry');
  const writes = new DurableJournal(spool.journal, { stateDir: 'x', retryMinMs: 10, retryMaxMs: 10, log: silentLogger(), metrics: new Metrics(), now: Date.now, running: () => true });
  t.equal(await confirmStoredCopy(e, { target, writes, sink: spool, log: silentLogger() }), false, 'the removal is refused');
  t.ok(existsSync(m.path), 'the local copy stays');
  // The refusal queued the upload again (the pump starts it now) and this drain asks for one too: the drain
  // must wait for the pump's upload, not start a second beside it (both would look, find nothing, and PUT).
  await spool.drain();
  await waitFor(() => spool.journal.entries.get('a')?.state === 'stored' && spool.journal.entries.get('a')?.readBack === false, 'stored again');
  t.equal(proxy.count((r) => r.method === 'PUT' && r.key === A_KEY), 2, 'one more PUT: the fake one, then one real one (not two at once)');
  const again = spool.journal.entries.get('a');
  t.equal(await confirmStoredCopy(again ?? e, { target, writes, sink: spool, log: silentLogger() }), true, 'now the object reads back');
});
