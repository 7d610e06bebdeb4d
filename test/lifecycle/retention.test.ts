/**
 * Retention against the real storage targets (a directory and s3rver): exactly the expired, unheld, stored
 * recordings go (object, metadata object, kept local copy), with a tombstone, an audit event and metrics;
 * a dry run deletes nothing; a second run finds nothing; two enforcers at once delete each one once; a
 * reindex keeps the tombstones and the holds, and a late journal entry does not bring a deleted one back.
 * Each on both index engines (test/recordings/engines.ts); the lock is the one the daemon takes for its
 * engine (PostgreSQL's advisory lock, or the lease object in storage for SQLite).
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FsrecdConfig } from '../../src/config/types';
import { StorageLease, type ClusterLock } from '../../src/lifecycle/cluster-lock';
import { createLifecycle, type LifecycleService } from '../../src/lifecycle/lifecycle';
import { journalLocalCopies } from '../../src/lifecycle/local-copies';
import { RetentionEnforcer } from '../../src/lifecycle/retention';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { entryFromJournal } from '../../src/recordings/entry-from';
import type { RecordingIndex } from '../../src/recordings/index-store';
import { reindexFromStorage } from '../../src/recordings/reindex';
import { objectLifecycleOf } from '../../src/storage/object-lifecycle';
import { LocalTarget } from '../../src/storage/local-target';
import type { RecordingStore } from '../../src/storage/target';
import { startS3 } from '../helpers/s3-server';
import { eachEngine, indexPlace } from '../recordings/engines';
import { BUCKET, s3Target, tempDir } from '../helpers/storage-fixtures';
import { configWith, keyOf, localCopyExists, NOW, storedWorld, type Spec, type World } from './fixture';

const ADMIN = { name: 'cli:op', role: 'admin' as const, from: 'cli' };

/** Which rule each recording falls under (config: default 30, acme 10, alice 400, queue support 5). */
const SPECS: Spec[] = [
  { id: 'acme-old', ageDays: 20, bytes: 1100 }, // account 10 d: expired
  { id: 'acme-young', ageDays: 5 }, // account 10 d: kept
  { id: 'alice-old', ageDays: 100, user: 'alice' }, // user 400 d: kept
  { id: 'queue-old', ageDays: 7, queue: 'support@acme.example', bytes: 1300 }, // queue 5 d (shorter than the account's): expired
  { id: 'queue-alice', ageDays: 7, queue: 'support@acme.example', user: 'alice' }, // queue 5 and user 400: the longer wins, kept
  { id: 'other-old', ageDays: 40, tenant: 'other', domain: 'other.example', bytes: 1700 }, // no account: default 30 d, expired
  { id: 'other-young', ageDays: 20, tenant: 'other', domain: 'other.example' }, // default 30 d: kept
  { id: 'held-old', ageDays: 20 }, // account 10 d but held: kept
];
const EXPIRED = ['other-old', 'acme-old', 'queue-old'];

interface Setup {
  world: World;
  store: RecordingStore;
  cfg: FsrecdConfig;
  lifecycle: LifecycleService;
  exists(key: string): Promise<boolean>;
}

async function setup(t: { teardown(fn: () => unknown): void }, kind: 'local' | 's3', index: RecordingIndex): Promise<Setup> {
  const dir = tempDir(t, `fsrecd-retention-${kind}-`);
  let store: RecordingStore;
  let storageYaml: string;
  if (kind === 's3') {
    const s3 = await startS3([BUCKET]);
    t.teardown(() => s3.remove());
    store = s3Target(s3.port);
    storageYaml = `{type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: ${BUCKET}, access_key: S3RVER, secret_key: S3RVER}`;
  } else {
    store = new LocalTarget(join(dir, 'stored'));
    storageYaml = '{type: local, dir: stored}';
  }
  const cfg = await configWith(dir, storageYaml);
  const world = await storedWorld(dir, store, SPECS, index);
  t.teardown(async () => {
    await world.spool.stop(0);
    await world.index.close();
  });
  const lifecycle = createLifecycle({ index: world.index, store, log: silentLogger(), now: () => NOW, localCopies: journalLocalCopies(world.spool.journal, silentLogger()) });
  await lifecycle.hold('held-old', ADMIN, 'case 42');
  return { world, store, cfg, lifecycle, exists: async (key) => (await store.stat(key)) !== null };
}

/** Which lock the daemon's retention takes (daemon-side.ts retentionLock), the storage lease settling sooner. */
function lockFor(index: RecordingIndex, store: RecordingStore, settleMs = 300): ClusterLock {
  return index.clusterLock?.('retention') ?? new StorageLease(objectLifecycleOf(store), { settleMs });
}

function enforcer(s: Setup, metrics = new Metrics(), index = s.world.index, lifecycle = s.lifecycle): RetentionEnforcer {
  return new RetentionEnforcer({ lifecycle, index, config: () => s.cfg, lock: lockFor(index, s.store), log: silentLogger(), metrics, now: () => NOW });
}

for (const kind of ['local', 's3'] as const) {
  eachEngine(`${kind}: dry run lists exactly the expired ones and deletes nothing; a run deletes them everywhere`, async (t, place) => {
    const s = await setup(t, kind, await place.open());
    const dry = await enforcer(s).runOnce({ dryRun: true });
    t.same(dry.items.map((i) => i.entry.id), EXPIRED, 'oldest first; held, younger, user- and longer-rule ones are not listed');
    t.same(dry.items.map((i) => `${i.rule.days} ${i.rule.source}`), ['30 default', '10 account', '5 queue']);
    t.equal(dry.bytes, 1700 + 1100 + 1300, 'the bytes it would free');
    for (const spec of SPECS) {
      t.ok(await s.exists(keyOf(s.world, spec.id)), `dry run left ${spec.id}`);
      t.equal((await s.world.index.get(spec.id))?.state, 'stored');
    }

    const metrics = new Metrics();
    const run = await enforcer(s, metrics).runOnce();
    t.ok(run.ran);
    t.same(run.items.map((i) => i.entry.id), EXPIRED);
    t.equal(run.deleted, 3);
    t.equal(run.bytes, 4100);
    for (const spec of SPECS) {
      const gone = EXPIRED.includes(spec.id);
      const key = keyOf(s.world, spec.id);
      t.equal(await s.exists(key), !gone, `${spec.id}: object ${gone ? 'deleted' : 'kept'}`);
      // The metadata is the `.json` (a directory; S3 when too large) or rides on the S3 object itself.
      const metadata = (await s.store.readJson(`${key}.json`)) ?? (await s.store.readObjectMetadata?.(key));
      t.equal(metadata !== undefined, !gone, `${spec.id}: metadata ${gone ? 'deleted' : 'kept'}`);
      if (gone) t.notOk(await s.exists(`${key}.json`), `${spec.id}: no metadata object left`);
      t.equal(localCopyExists(s.world, spec.id), !gone, `${spec.id}: local copy ${gone ? 'deleted' : 'kept'}`);
      const e = await s.world.index.get(spec.id);
      t.equal(e?.state, gone ? 'deleted' : 'stored');
      if (gone) t.match(e?.deleted, { deletedBy: 'retention', cause: 'retention', reason: /^retention (30|10|5) days \((default|account|queue)\)$/ });
    }
    t.equal(metrics.value('fsrecd_retention_deleted_total'), 3);
    t.equal(metrics.value('fsrecd_retention_deleted_bytes_total'), 4100);
    t.equal(metrics.value('fsrecd_retention_errors_total'), 0);
    t.equal(metrics.value('fsrecd_retention_last_run_timestamp_seconds'), NOW / 1000);
    const audit = await s.lifecycle.audit({ action: 'retention-delete', limit: 10 }, ADMIN);
    t.same(audit.events.map((e) => e.recordingId).sort(), [...EXPIRED].sort());
    t.ok(audit.events.every((e) => e.actor === 'retention' && e.outcome === 'ok'));

    // The spool's next scan finds no copy to upload again (the copy is gone; its journal entry still says stored).
    await s.world.spool.scan();
    for (const id of EXPIRED) t.notOk(await s.exists(keyOf(s.world, id)), `${id} was not uploaded again`);

    const again = await enforcer(s).runOnce();
    t.equal(again.deleted, 0, 'a second run finds nothing');
  });

  eachEngine(`${kind}: two enforcers at once (two nodes) delete each expired recording once`, async (t, place) => {
    const s = await setup(t, kind, await place.open());
    // SQLite: node B has its own file and learns the recordings from the bucket. PostgreSQL: the nodes share the database.
    const shared = place.engine === 'postgres';
    const other = await (shared ? place : await indexPlace(t, place.engine)).open();
    if (!shared) await reindexFromStorage(other, s.store);
    t.equal((await other.get('held-old'))?.hold?.reason, 'case 42', shared ? 'node B sees the hold' : 'node B learnt the hold from its marker');
    const lifecycleB = createLifecycle({ index: other, store: s.store, log: silentLogger(), now: () => NOW });
    const [a, b] = await Promise.all([enforcer(s).runOnce(), enforcer(s, new Metrics(), other, lifecycleB).runOnce()]);
    t.equal([a, b].filter((r) => r.ran).length, 1, 'one of them holds the lock, the other does nothing');
    t.equal(a.deleted + b.deleted, 3);
    const trails = shared ? [s.lifecycle] : [s.lifecycle, lifecycleB];
    const all = (await Promise.all(trails.map((l) => l.audit({ action: 'retention-delete', limit: 10 }, ADMIN)))).flatMap((p) => p.events);
    t.same(all.map((e) => e.recordingId).sort(), [...EXPIRED].sort(), 'each deleted (and audited) exactly once');
    // The lock is released after a run: the other node runs next and deletes nothing more; with its own index
    // it finds the objects gone and learns the tombstones, with the shared one it has nothing left to look at.
    const [index, lifecycle] = a.ran ? [other, lifecycleB] : [s.world.index, s.lifecycle];
    const later = await enforcer(s, new Metrics(), index, lifecycle).runOnce();
    t.ok(later.ran);
    t.equal(later.deleted, 0, 'nothing deleted twice');
    t.equal(later.alreadyGone, shared ? 0 : 3);
    for (const id of EXPIRED) t.equal((await index.get(id))?.state, 'deleted');
    t.ok(await s.exists(keyOf(s.world, 'held-old')), 'the held recording survived both nodes');
  });

  eachEngine(`${kind}: reindex keeps tombstones and holds; a late journal entry does not bring a deleted recording back`, async (t, place) => {
    const s = await setup(t, kind, await place.open());
    await enforcer(s).runOnce();
    const report = await reindexFromStorage(s.world.index, s.store);
    t.equal(report.removed, 0, 'no stored recording was dropped');
    for (const id of EXPIRED) t.equal((await s.world.index.get(id))?.state, 'deleted', `${id} is still a tombstone`);
    t.equal((await s.world.index.get('held-old'))?.hold?.reason, 'case 42');
    // The journal still says stored for them: replaying it (the start-up sync) changes nothing.
    for (const id of EXPIRED) await s.world.index.upsert(entryFromJournal(s.world.spool.journal.entries.get(id) as never));
    for (const id of EXPIRED) t.match(await s.world.index.get(id), { state: 'deleted', deleted: { cause: 'retention' } });
    t.equal((await s.world.index.counts()).byState.deleted, 3);
  });
}

eachEngine('a file the spool has not finished with is never retention\'s, however old', async (t, place) => {
  const dir = tempDir(t, 'fsrecd-retention-pending-');
  const store = new LocalTarget(join(dir, 'stored'));
  const cfg = await configWith(dir, '{type: local, dir: stored}');
  const world = await storedWorld(dir, store, [{ id: 'stored-old', ageDays: 50 }], await place.open());
  t.teardown(async () => {
    await world.spool.stop(0);
    await world.index.close();
  });
  const waiting = join(world.spoolDir, 'rec', 'waiting.wav');
  writeFileSync(waiting, 'audio');
  const base = await world.index.get('stored-old');
  if (!base) throw new Error('fixture');
  await world.index.upsert({ ...base, id: 'waiting-old', state: 'finished', key: 'rec/waiting.wav', localPath: waiting });
  const lifecycle = createLifecycle({ index: world.index, store, log: silentLogger(), now: () => NOW });
  const r = await new RetentionEnforcer({ lifecycle, index: world.index, config: () => cfg, lock: lockFor(world.index, store, 0), log: silentLogger(), now: () => NOW }).runOnce();
  t.same(r.items.map((i) => i.entry.id), ['stored-old']);
  t.ok(existsSync(waiting), 'the waiting file is untouched');
  t.equal((await world.index.get('waiting-old'))?.state, 'finished');
});

// The storage lease (SQLite's lock) is what could be taken needlessly here: one engine.
t.test('no rule anywhere: nothing expires and no lease is taken', async (t) => {
  const dir = tempDir(t, 'fsrecd-retention-none-');
  const store = new LocalTarget(join(dir, 'stored'));
  const cfg = await configWith(dir, '{type: local, dir: stored}', '');
  const world = await storedWorld(dir, store, [{ id: 'ancient', ageDays: 3000 }]);
  t.teardown(async () => {
    await world.spool.stop(0);
    await world.index.close();
  });
  const lifecycle = createLifecycle({ index: world.index, store, log: silentLogger(), now: () => NOW });
  const r = await new RetentionEnforcer({ lifecycle, index: world.index, config: () => cfg, lock: new StorageLease(objectLifecycleOf(store)), log: silentLogger(), now: () => NOW }).runOnce();
  t.equal(r.deleted, 0);
  t.equal((await world.index.get('ancient'))?.state, 'stored');
  t.notOk(existsSync(join(dir, 'stored', '.fsrecd')), 'no lease object was written');
});
