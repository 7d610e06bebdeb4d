/**
 * Delete on request, legal holds and the audit trail through the lifecycle service, against s3rver (which
 * has no S3 Object Lock: the index-only branch, the clear message, object_lock: require refused) and a
 * directory: every refusal has its code and message and is audited; a tenant sees only its own. The index
 * (recordings, holds, tombstones, the audit trail) is each engine in turn (test/recordings/engines.ts).
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { describeObjectLock, ObjectLockRequiredError, startLifecycleSide } from '../../src/lifecycle/daemon-side';
import { createLifecycle } from '../../src/lifecycle/lifecycle';
import { journalLocalCopies } from '../../src/lifecycle/local-copies';
import { LifecycleError, type Actor } from '../../src/lifecycle/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { SqliteIndex } from '../../src/recordings/index-db';
import { LocalTarget } from '../../src/storage/local-target';
import { objectLifecycleOf } from '../../src/storage/object-lifecycle';
import { startS3 } from '../helpers/s3-server';
import { eachEngine } from '../recordings/engines';
import { BUCKET, s3Config, s3Target, tempDir } from '../helpers/storage-fixtures';
import { configWith, keyOf, localCopyExists, NOW, storedWorld } from './fixture';

const ADMIN: Actor = { name: 'cli:op', role: 'admin', from: 'cli' };
const ACME_ADMIN: Actor = { name: 'alice', role: 'admin', tenant: 'acme', from: '127.0.0.1' };
const OTHER_ADMIN: Actor = { name: 'oscar', role: 'admin', tenant: 'other', from: '127.0.0.2' };
const READER: Actor = { name: 'rita', role: 'reader', from: '127.0.0.3' };

/** Asserts `p` rejects with a LifecycleError of this code and message. */
function rejecting(t: Test) {
  return async (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof LifecycleError, `a LifecycleError (${code})`);
    t.match(err, { code, message });
  };
}

eachEngine('s3rver: delete, hold, release, every refusal, and the Object Lock branch it does not support', async (t, place) => {
  const s3 = await startS3([BUCKET]);
  t.teardown(() => s3.remove());
  const dir = tempDir(t, 'fsrecd-lifecycle-s3-');
  const store = s3Target(s3.port);
  const w = await storedWorld(dir, store, [{ id: 'a1', ageDays: 1 }, { id: 'a2', ageDays: 1 }, { id: 'o1', ageDays: 1, tenant: 'other', domain: 'other.example' }], await place.open());
  t.teardown(async () => {
    await w.spool.stop(0);
    await w.index.close();
  });
  const lc = createLifecycle({ index: w.index, store, log: silentLogger(), now: () => NOW, localCopies: journalLocalCopies(w.spool.journal, silentLogger()) });
  const rejectsWith = rejecting(t);

  const support = await lc.objectLockSupport();
  t.same(support, { enabled: false, detail: support.detail });
  t.match(support.detail, /^bucket recordings has no S3 Object Lock/);
  const line = await describeObjectLock(s3Config(s3.port), () => lc.objectLockSupport());
  t.equal(line.line, 'storage: bucket recordings has no S3 Object Lock: legal holds are kept in the index only');
  t.equal(line.problem, undefined, 'auto: said, not refused');
  const required = await describeObjectLock({ ...s3Config(s3.port), objectLock: 'require' }, () => lc.objectLockSupport());
  t.match(required.problem, /storage.object_lock is require but bucket recordings has no S3 Object Lock/);

  // Refusals, each with its code, each audited.
  await rejectsWith(lc.delete('nope', ADMIN, 'gdpr'), 'not-found', /no recording nope/);
  await rejectsWith(lc.delete('a1', ADMIN, '  '), 'bad-input', /a reason is required/);
  await rejectsWith(lc.delete('a1', READER, 'gdpr'), 'forbidden', /delete is for admins/);
  await rejectsWith(lc.delete('o1', ACME_ADMIN, 'gdpr'), 'not-found', /no recording o1 in tenant acme/);
  await rejectsWith(lc.release('a1', ADMIN, 'done'), 'not-held', /is not under legal hold/);

  const hold = await lc.hold('a1', ACME_ADMIN, 'case 7');
  t.match(hold, { reason: 'case 7', by: 'alice', objectLock: false });
  t.ok(await store.stat(`${keyOf(w, 'a1')}.hold.json`), 'the hold marker is beside the object');
  t.equal((await w.index.get('a1'))?.hold?.reason, 'case 7');
  await rejectsWith(lc.hold('a1', ADMIN, 'again'), 'held', /already under legal hold \(case 7, by alice/);
  await rejectsWith(lc.delete('a1', ADMIN, 'gdpr'), 'held', /under legal hold \(case 7.*release it first/);
  t.ok(await store.stat(keyOf(w, 'a1')), 'a held recording is not deleted');

  await lc.release('a1', ADMIN, 'case closed');
  t.equal((await w.index.get('a1'))?.hold, undefined);
  t.equal(await store.stat(`${keyOf(w, 'a1')}.hold.json`), null, 'the marker went with the hold');

  t.ok(localCopyExists(w, 'a1'), 'keep_local_days kept a local copy');
  const dead = await lc.delete('a1', ACME_ADMIN, 'data subject request 12');
  t.match(dead, { state: 'deleted', deleted: { deletedBy: 'alice', reason: 'data subject request 12', cause: 'request' } });
  t.equal(await store.stat(keyOf(w, 'a1')), null, 'object deleted');
  t.equal(await store.stat(`${keyOf(w, 'a1')}.json`), null, 'metadata object deleted');
  t.notOk(localCopyExists(w, 'a1'), 'local copy deleted');
  await rejectsWith(lc.delete('a1', ADMIN, 'again'), 'deleted', /was deleted on .* by alice \(data subject request 12\)/);
  await rejectsWith(lc.hold('a1', ADMIN, 'too late'), 'deleted', /recording a1 was deleted/);

  // object_lock: require without Object Lock: the hold is refused, not silently kept in the index.
  const strict = createLifecycle({ index: w.index, store, log: silentLogger(), now: () => NOW, objectLock: 'require' });
  await rejectsWith(strict.hold('a2', ADMIN, 'case 8'), 'storage', /storage.object_lock is require but bucket recordings has no S3 Object Lock.*the hold was not set/);
  t.equal((await w.index.get('a2'))?.hold, undefined);
  t.equal(await store.stat(`${keyOf(w, 'a2')}.hold.json`), null);

  await lc.recordAccess('download', (await w.index.get('a2')) as never, READER);
  await lc.recordAccess('url', (await w.index.get('o1')) as never, OTHER_ADMIN);

  // The trail: newest first, filters, cursor, tenant scoping, admins only.
  const all = (await lc.audit({ limit: 100 }, ADMIN)).events;
  t.same(
    all.map((e) => `${e.action} ${e.recordingId} ${e.outcome}`),
    ['url o1 ok', 'download a2 ok', 'hold a2 refused', 'hold a1 refused', 'delete a1 refused', 'delete a1 ok', 'release a1 ok', 'delete a1 refused', 'hold a1 refused', 'hold a1 ok', 'release a1 refused', 'delete o1 refused', 'delete a1 refused', 'delete a1 refused', 'delete nope refused'],
  );
  t.ok(all.every((e, i) => i === 0 || (all[i - 1] as { seq: number }).seq > e.seq), 'newest first by seq');
  t.match(all.find((e) => e.action === 'delete' && e.outcome === 'ok'), { actor: 'alice', from: '127.0.0.1', tenant: 'acme', reason: 'data subject request 12' });
  t.match(all.find((e) => e.recordingId === 'o1' && e.action === 'delete'), { tenant: 'acme', detail: /^not-found: / }, 'a refusal for another tenant\'s id is filed under the asker\'s tenant');
  t.same((await lc.audit({ limit: 100, action: 'hold', recordingId: 'a1' }, ADMIN)).events.map((e) => e.outcome), ['refused', 'refused', 'ok']);
  t.same((await lc.audit({ limit: 100, actor: 'oscar' }, ADMIN)).events.map((e) => e.action), ['url']);
  t.same((await lc.audit({ limit: 100, fromMs: NOW + 1 }, ADMIN)).events, [], 'nothing after now');
  t.equal((await lc.audit({ limit: 100, fromMs: NOW, toMs: NOW + 1 }, ADMIN)).events.length, all.length);
  t.same((await lc.audit({ limit: 100 }, OTHER_ADMIN)).events.map((e) => `${e.action} ${e.recordingId}`), ['url o1'], 'a tenant admin sees only its tenant');
  t.ok((await lc.audit({ limit: 100, tenant: 'acme' }, OTHER_ADMIN)).events.every((e) => e.tenant === 'other'), 'asking for another tenant does not widen it');
  const p1 = await lc.audit({ limit: 6 }, ADMIN);
  const p2 = await lc.audit({ limit: 6, before: p1.next ?? undefined }, ADMIN);
  const p3 = await lc.audit({ limit: 6, before: p2.next ?? undefined }, ADMIN);
  t.same([...p1.events, ...p2.events, ...p3.events].map((e) => e.seq), all.map((e) => e.seq), 'pages join up');
  t.equal(p3.next, null);
  await t.rejects(lc.audit({ limit: 10 }, READER), { code: 'forbidden' });
  await t.rejects(lc.audit({ limit: 0 }, ADMIN), { code: 'bad-input' });
});

eachEngine('directory target: no Object Lock, holds kept in the index and the marker; delete removes the file and its metadata', async (t, place) => {
  const dir = tempDir(t, 'fsrecd-lifecycle-local-');
  const store = new LocalTarget(join(dir, 'stored'));
  const w = await storedWorld(dir, store, [{ id: 'l1', ageDays: 1 }], await place.open());
  t.teardown(async () => {
    await w.spool.stop(0);
    await w.index.close();
  });
  const lc = createLifecycle({ index: w.index, store, log: silentLogger(), now: () => NOW });
  t.match(await objectLifecycleOf(store).objectLock(), { enabled: false, detail: /is a directory: no S3 Object Lock/ });
  t.match(await lc.hold('l1', ADMIN, 'case 9'), { objectLock: false });
  await lc.release('l1', ADMIN, 'closed');
  t.ok(await store.stat(keyOf(w, 'l1')), 'the object is there before the delete');
  await lc.delete('l1', ADMIN, 'asked');
  t.equal(await store.stat(keyOf(w, 'l1')), null);
  t.equal(await store.stat(`${keyOf(w, 'l1')}.json`), null);
  t.equal((await w.index.get('l1'))?.state, 'deleted');
  t.equal(await objectLifecycleOf(store).remove(keyOf(w, 'l1')), false, 'removing it again is fine: nothing was there');
});

// The bucket's Object Lock, not the index: one engine is enough.
t.test('the daemon refuses to start with storage.object_lock: require on a bucket without Object Lock', async (t) => {
  const s3 = await startS3([BUCKET]);
  t.teardown(() => s3.remove());
  const dir = tempDir(t, 'fsrecd-lifecycle-require-');
  const index = SqliteIndex.open(join(dir, 'i.sqlite'));
  t.teardown(() => index.close());
  const store = s3Target(s3.port);
  const config = await configWith(dir, `{type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: ${BUCKET}, access_key: S3RVER, secret_key: S3RVER, object_lock: require}`);
  const lifecycle = createLifecycle({ index, store, log: silentLogger(), objectLock: 'require' });
  const err = await startLifecycleSide({ lifecycle, index, store, config: () => config, log: silentLogger(), metrics: new Metrics() }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof ObjectLockRequiredError);
  t.match(err, { message: /storage.object_lock is require but bucket recordings has no S3 Object Lock/ });
});
