/**
 * Many FreeSWITCH servers, one archive (#16): two nodes (simulators `pbx-a` and `pbx-b`, each with the real
 * daemon `dist/cli.js run`) share one bucket and one PostgreSQL index, with the same filename template and
 * key settings. In order, on the same cluster:
 *  1. the same call at the same second on both nodes gives the same relative path, and two objects (the
 *     default key starts with the node), nothing replaced;
 *  2. either node's API and `fsrecd recordings list` (with either node's configuration) list every
 *     recording once, with the node that made it; the node filter lists one node's only;
 *  3. `fsrecd recordings reindex` on node B twice: the same rows, every node kept, a lost row back with its
 *     node; a rebuild into an empty database from storage alone gives the same rows;
 *  4. retention on both nodes at once (both daemons' schedules and `retention --run` with each node's
 *     configuration, started together), then the two runs alone: each expired recording deleted and
 *     audited exactly once, a tombstone for each, nothing unexpired touched;
 *  5. a `retention --run` SIGKILLed in the middle of a deletion (holding the lock) leaves no lock: the other
 *     node's run takes it at once and finishes the job, still exactly once.
 */
import t, { type Test } from 'tap';
import type { RecordingEntry } from '../../src/recordings/types';
import type { SimCall } from '../../src/sim/simulator';
import { waitFor } from '../helpers/wait-for';
import { Cluster, PHONE, type ClusterNode, type OldRecording } from './cluster-rig';

/**
 * Made before the daemons started, by age: 100 d and more expire at 80 days (the four-way race), 50-53 d at
 * 45 (the two runs' race), 41-44 d at 40 (the killed run), 20 d never here.
 */
const SHARED_OLD_PATH = 'acme/2025-01-01T10_00_00UTC-1000-1001.wav';
const old = (node: 'a' | 'b', ageDays: number, relativePath = `acme/${node}-${ageDays}-1000-1001.wav`): OldRecording => ({ id: `${node}-old-${ageDays}`, ageDays, relativePath });
const OLD: Record<'pbx-a' | 'pbx-b', OldRecording[]> = {
  'pbx-a': [old('a', 100, SHARED_OLD_PATH), old('a', 101), old('a', 52), old('a', 50), old('a', 44), old('a', 42), old('a', 20)],
  'pbx-b': [old('b', 100, SHARED_OLD_PATH), old('b', 102), old('b', 53), old('b', 51), old('b', 43), old('b', 41), old('b', 20)],
};
const EXPIRED_AT_80 = ['a-old-100', 'a-old-101', 'b-old-100', 'b-old-102'];
const EXPIRED_AT_45 = ['b-old-53', 'a-old-52', 'b-old-51', 'a-old-50'];
/** Oldest first, as retention goes: the killed run finishes a-old-44 and dies before b-old-43's tombstone. */
const EXPIRED_AT_40 = ['a-old-44', 'b-old-43', 'a-old-42', 'b-old-41'];

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const idNode = (rows: Array<Pick<RecordingEntry, 'id' | 'node'>>): string[] => sorted(rows.map((r) => `${r.id} ${r.node}`));

/** One recorded call on a node: answered, recording, hung up. Returns the a-leg's uuid. */
async function recordedCall(node: ClusterNode, from: string, to: string): Promise<SimCall> {
  const c = await node.sim.createCall({ from: PHONE(from), to, bridgeTo: PHONE(to) });
  await c.answer();
  await waitFor(() => node.sim.recordingsOf(c.aUuid).length > 0, `${node.name}: ${from} -> ${to} recording`);
  await c.hangup('a');
  return c;
}

function entryOfCall(node: ClusterNode, call: SimCall): { id: string; relativePath: string; node: string } | undefined {
  const e = node.journal().find((j) => j.meta.callUuid === call.aUuid);
  return e && { id: e.id, relativePath: e.meta.relativePath, node: e.meta.node };
}

function parseJson<T>(what: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what}: not JSON: ${text.slice(0, 500)}`);
  }
}

interface RetentionJson {
  ran: boolean;
  deleted: number;
  errors: number;
  recordings: Array<{ id: string }>;
}

t.test('two nodes, one bucket, one PostgreSQL index', async (t) => {
  const started = Date.now();
  const cluster = await Cluster.start(t);
  const a = await cluster.addNode('pbx-a');
  const b = await cluster.addNode('pbx-b');
  await cluster.seedOld(a, OLD['pbx-a']);
  await cluster.seedOld(b, OLD['pbx-b']);
  a.start();
  b.start();
  await Promise.all([a.up(), b.up()]);
  t.ok(a.running && b.running, `both daemons up${a.running ? '' : `\nA: ${a.output.slice(-2000)}`}${b.running ? '' : `\nB: ${b.output.slice(-2000)}`}`);
  if (!a.running || !b.running) return;

  const keyOf = new Map<string, string>();
  const nodeOf = new Map<string, string>();
  let liveCalls = 0;

  await t.test('the same call at the same second on both nodes: one relative path, two objects', async (t) => {
    // The template names files to the second: both calls are answered early in one second. Should the pair
    // still straddle a second on a loaded machine, another pair is placed (the precondition is checked below).
    let pair: Array<{ id: string; relativePath: string; node: string }> = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitFor(() => Date.now() % 1000 < 100, 'the start of a second', 2000);
      const [ca, cb] = await Promise.all([recordedCall(a, '1000', '1001'), recordedCall(b, '1000', '1001')]);
      liveCalls += 2;
      pair = await waitFor(() => {
        const ea = entryOfCall(a, ca);
        const eb = entryOfCall(b, cb);
        return ea && eb && [ea, eb];
      }, 'both calls journaled');
      if (pair[0]?.relativePath === pair[1]?.relativePath) break;
      t.comment(`attempt ${attempt}: the two calls were named in different seconds (${pair.map((p) => p.relativePath).join(', ')}); again`);
    }
    const [ea, eb] = pair;
    if (!ea || !eb) throw new Error('no pair');
    t.equal(ea.relativePath, eb.relativePath, 'the same relative path on both nodes (same template, numbers, tenant and second)');
    t.same([ea.node, eb.node], ['pbx-a', 'pbx-b'], 'each node took its name from its FreeSWITCH-Hostname');
    // One more call on each node, the other way round.
    await Promise.all([recordedCall(a, '1001', '1000'), recordedCall(b, '1001', '1000')]);
    liveCalls += 2;

    const total = OLD['pbx-a'].length + OLD['pbx-b'].length + liveCalls;
    await waitFor(() => a.journal().length + b.journal().length === total && [a, b].every((n) => n.journal().every((e) => e.state === 'stored')), `all ${total} recordings stored (journals)`, 20_000);
    for (const n of [a, b]) for (const e of n.journal()) nodeOf.set(e.id, n.name);
    await waitFor(async () => {
      const rows = await cluster.rows();
      return rows.length === total && rows.every((r) => r.state === 'stored');
    }, `the shared index has all ${total} recordings, stored`, 20_000);
    for (const row of await cluster.rows()) keyOf.set(row.id, row.key);

    const keys = await cluster.keys();
    const liveKeys = [keyOf.get(ea.id), keyOf.get(eb.id)];
    t.same(liveKeys, [`pbx-a/${ea.relativePath}`, `pbx-b/${eb.relativePath}`], 'the default key is <node>/<relative path>');
    t.ok(liveKeys.every((k) => k !== undefined && keys.includes(k)), 'both objects are in the bucket');
    t.same(['a-old-100', 'b-old-100'].map((id) => keyOf.get(id)), [`pbx-a/${SHARED_OLD_PATH}`, `pbx-b/${SHARED_OLD_PATH}`], 'the old pair with one relative path: two keys too');
    t.equal(new Set(keyOf.values()).size, keyOf.size, 'no two recordings share a key');
    const audio = keys.filter((k) => !k.endsWith('.json'));
    t.same(audio, sorted(keyOf.values()), 'the bucket holds exactly one object per recording');
    t.same(cluster.proxy.overwrites, [], 'no create replaced an object');
  });

  await t.test('either node lists every recording once, with its node', async (t) => {
    // Each node's recordings are the ones in its own journal (nodeOf), whatever the index says.
    const want = idNode([...nodeOf].map(([id, node]) => ({ id, node })));
    t.equal(want.length, keyOf.size, 'the journals name every recording of the index');
    const wantOf = (node: string): string[] => want.filter((l) => l.endsWith(` ${node}`));
    for (const n of [a, b]) {
      const all = await n.api<{ recordings: RecordingEntry[]; next: string | null }>('/api/recordings?limit=1000');
      t.equal(all.status, 200, `${n.name} API answers`);
      t.same(idNode(all.body.recordings), want, `${n.name} API: every recording once, node right`);
      t.equal(all.body.next, null, `${n.name} API: one page`);
      for (const node of ['pbx-a', 'pbx-b']) {
        const one = await n.api<{ recordings: RecordingEntry[] }>(`/api/recordings?limit=1000&node=${node}`);
        t.same(idNode(one.body.recordings), wantOf(node), `${n.name} API ?node=${node}: ${node}'s only`);
      }
    }
    const lists = await Promise.all([a.cli(['recordings', 'list', '--json', '--limit', '1000']), b.cli(['recordings', 'list', '--json', '--limit', '1000']), a.cli(['recordings', 'list', '--json', '--limit', '1000', '--node', 'pbx-b']), b.cli(['recordings', 'list', '--json', '--limit', '1000', '--node', 'pbx-a'])]);
    for (const l of lists) t.equal(l.status, 0, `recordings list runs${l.stderr ? `: ${l.stderr.slice(-500)}` : ''}`);
    const [la, lb, laB, lbA] = lists.map((l) => parseJson<{ recordings: RecordingEntry[] }>('recordings list', l.stdout).recordings);
    t.same(idNode(la ?? []), want, "fsrecd recordings list with A's config: every recording once, node right");
    t.same(idNode(lb ?? []), want, "fsrecd recordings list with B's config: the same");
    t.same(idNode(laB ?? []), wantOf('pbx-b'), "A's config, --node pbx-b: B's only");
    t.same(idNode(lbA ?? []), wantOf('pbx-a'), "B's config, --node pbx-a: A's only");
  });

  await t.test('reindex on node B: idempotent, every node kept, a lost row back with its node', async (t) => {
    const before = await cluster.rows();
    const lost = before.find((r) => r.node === 'pbx-a' && !r.id.includes('-old-'));
    if (!lost) throw new Error('no live recording of A');
    await cluster.sql('DELETE FROM recordings WHERE id = $1', [lost.id]);
    const first = await b.cli(['recordings', 'reindex']);
    t.equal(first.status, 0, `reindex runs${first.stderr ? `: ${first.stderr.slice(-500)}` : ''}`);
    const afterFirst = await cluster.rows();
    t.same(afterFirst, before, `the same rows as before; ${lost.id} is back with node ${lost.node}`);
    const docs1 = await cluster.sql<{ id: string; node: string; doc: unknown }>('SELECT id, node, doc FROM recordings ORDER BY id');
    const second = await b.cli(['recordings', 'reindex']);
    t.equal(second.status, 0, `reindex runs again${second.stderr ? `: ${second.stderr.slice(-500)}` : ''}`);
    const counts = (out: string): string[] => out.split('\n').map((l) => l.replace(/ in [0-9.]+ s$/, ''));
    t.same(counts(second.stdout), counts(first.stdout), `the second run reports the same counts (${first.stdout.trim().split('\n').join(' / ')})`);
    t.match(first.stdout, new RegExp(`: ${before.length} recording\\(s\\) in`), 'the index counts every recording');
    t.same(await cluster.rows(), before, 'the second run: the same rows, every node unchanged');
    t.same(await cluster.sql('SELECT id, node, doc FROM recordings ORDER BY id'), docs1, 'the second run changed no row at all');

    // From storage alone, into an empty database: every recording with its node.
    const rebuiltUrl = await cluster.pg.createDatabase('rebuilt');
    const rebuild = await b.cli(['recordings', 'reindex'], { config: b.configFor(rebuiltUrl) });
    t.equal(rebuild.status, 0, `reindex into an empty database runs${rebuild.stderr ? `: ${rebuild.stderr.slice(-500)}` : ''}`);
    t.same(await cluster.rows(rebuiltUrl), before, 'rebuilt from the bucket alone: the same ids, nodes, keys, states and times');
  });

  /** Exactly-once, across the shared database and the bucket, after retention removed `gone`. */
  async function checkRetention(t: Test, gone: string[]): Promise<void> {
    const audit = await cluster.sql<{ recording_id: string; outcome: string; actor: string }>("SELECT recording_id, outcome, actor FROM audit WHERE action = 'retention-delete' ORDER BY seq");
    t.same(sorted(audit.map((e) => `${e.recording_id} ${e.outcome}`)), sorted(gone.map((id) => `${id} ok`)), 'audit: exactly one ok retention-delete per expired recording, nothing else');
    const rows = await cluster.rows();
    const tombstones = await cluster.sql<{ id: string; cause: string }>("SELECT id, doc->'deleted'->>'cause' AS cause FROM recordings WHERE state = 'deleted' ORDER BY id");
    t.same(tombstones, sorted(gone).map((id) => ({ id, cause: 'retention' })), 'a retention tombstone for each, for nothing else');
    t.same(rows.filter((r) => !gone.includes(r.id) && r.state !== 'stored').map((r) => `${r.id} ${r.state}`), [], 'every other recording still stored');
    t.same(idNode(rows), idNode([...nodeOf].map(([id, node]) => ({ id, node }))), 'every recording still has one row, with the node that made it');
    const keys = new Set(await cluster.keys());
    for (const [id, key] of keyOf) {
      const wanted = !gone.includes(id);
      if (keys.has(key) !== wanted) t.fail(`${id}: object ${key} ${wanted ? 'missing' : 'still there'}`);
      if (!wanted && keys.has(`${key}.json`)) t.fail(`${id}: metadata object left`);
    }
    t.pass(`objects: ${gone.length} gone, ${keyOf.size - gone.length} kept`);
  }

  await t.test('retention on both nodes at once: each expired recording deleted once', async (t) => {
    const reloads = [a.reloads(), b.reloads()];
    // Both configurations now keep recordings 80 days: both daemons reload (watched files, 1 s schedule)
    // while retention --run starts with each node's configuration, all four at the same moment.
    a.writeConfig({ defaultDays: 80 });
    b.writeConfig({ defaultDays: 80 });
    const runs = await Promise.all([a.cli(['retention', '--run', '--json']), b.cli(['retention', '--run', '--json'])]);
    for (const r of runs) t.equal(r.status, 0, `retention --run exits 0${r.stderr ? `: ${r.stderr.slice(-500)}` : ''}`);
    const reports = runs.map((r) => parseJson<RetentionJson>('retention --run', r.stdout));
    await waitFor(() => a.reloads() > (reloads[0] ?? 0) && b.reloads() > (reloads[1] ?? 0), 'both daemons reloaded', 10_000);
    // Each daemon's schedule ran under the lock at least once (the metric is set by a run that held it).
    await waitFor(async () => (await a.metric('fsrecd_retention_last_run_timestamp_seconds')) !== undefined && (await b.metric('fsrecd_retention_last_run_timestamp_seconds')) !== undefined, "both daemons' schedules ran retention", 15_000);
    const byDaemons = ((await a.metric('fsrecd_retention_deleted_total')) ?? 0) + ((await b.metric('fsrecd_retention_deleted_total')) ?? 0);
    const byCli = reports.reduce((n, r) => n + r.deleted, 0);
    t.comment(`deleted by retention --run: ${reports.map((r) => (r.ran ? r.deleted : 'lock held elsewhere')).join(', ')}; by the daemons' schedules: ${byDaemons}`);
    t.equal(byCli + byDaemons, EXPIRED_AT_80.length, 'the objects deleted, across the four enforcers, are the expired ones, once each');
    await checkRetention(t, EXPIRED_AT_80);
  });

  await t.test('retention --run with each node\'s configuration at the same moment, the daemons stopped: once each', async (t) => {
    // The daemons stop: their 1 s schedules won the race above; now the two runs race each other alone.
    for (const n of [a, b]) t.same(await n.stop(), { code: 0, signal: null }, `${n.name}: the daemon stops cleanly`);
    a.writeConfig({ defaultDays: 45 });
    b.writeConfig({ defaultDays: 45 });
    const runs = await Promise.all([a.cli(['retention', '--run', '--json']), b.cli(['retention', '--run', '--json'])]);
    for (const r of runs) t.equal(r.status, 0, `retention --run exits 0${r.stderr ? `: ${r.stderr.slice(-500)}` : ''}`);
    const [ra, rb] = runs.map((r) => parseJson<RetentionJson>('retention --run', r.stdout));
    if (!ra || !rb) throw new Error('no reports');
    t.comment(`A's run: ${ra.ran ? `deleted ${ra.deleted}` : 'lock held by B'}; B's run: ${rb.ran ? `deleted ${rb.deleted}` : 'lock held by A'}`);
    t.ok(ra.ran || rb.ran, 'one of them ran');
    t.equal(ra.deleted + rb.deleted, EXPIRED_AT_45.length, 'between them, each expired object deleted once');
    await checkRetention(t, [...EXPIRED_AT_80, ...EXPIRED_AT_45]);
  });

  await t.test('a node killed holding the retention lock leaves none: the other finishes the job, once', async (t) => {
    a.writeConfig({ defaultDays: 40 });
    b.writeConfig({ defaultDays: 40 });
    // Killed after the object of its second recording went, before that recording's tombstone.
    const killed = await a.cli(['retention', '--run', '--json'], { env: { FSRECD_TEST_CRASH_AT: 'lifecycle.tombstone:2' } });
    t.equal(killed.signal, 'SIGKILL', `retention --run with A's config died at lifecycle.tombstone:2 (${killed.stderr.slice(-300)})`);
    await waitFor(async () => Number((await cluster.sql<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"))[0]?.n) === 0, 'the dead run holds no advisory lock', 5000);
    t.pass('the dead run\'s advisory lock went with its connection');
    // It was at work when it died: its first recording deleted, the second's object gone, no tombstone yet.
    const half = EXPIRED_AT_40[1] ?? '';
    t.same((await cluster.sql<{ recording_id: string }>("SELECT recording_id FROM audit WHERE action = 'retention-delete' AND recording_id = ANY($1)", [EXPIRED_AT_40])).map((e) => e.recording_id), [EXPIRED_AT_40[0]], 'the killed run had deleted its first recording');
    t.same([(await cluster.rows()).find((r) => r.id === half)?.state, (await cluster.keys()).includes(keyOf.get(half) ?? '')], ['stored', false], `${half}: object gone, still stored in the index (cut before its tombstone)`);
    const other = await b.cli(['retention', '--run', '--json']);
    t.equal(other.status, 0, `retention --run with B's config exits 0${other.stderr ? `: ${other.stderr.slice(-500)}` : ''}`);
    const report = parseJson<RetentionJson>('retention --run', other.stdout);
    t.ok(report.ran, "B's run took the lock");
    t.same(report.recordings.map((r) => r.id), EXPIRED_AT_40.slice(1), 'it finished the rest: the half-deleted one and the two not begun');
    t.equal(report.deleted, 2, 'it deleted the objects of the two not begun (the half-deleted one had none left)');
    t.equal(report.errors, 0, 'no deletion failed');
    await checkRetention(t, [...EXPIRED_AT_80, ...EXPIRED_AT_45, ...EXPIRED_AT_40]);
    t.same(cluster.proxy.overwrites, [], 'no create replaced an object, all along');
  });

  t.comment(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
