/**
 * The shared PostgreSQL index away, end to end (#16): the real daemon (`dist/cli.js run`), the simulator,
 * s3rver, and a throw-away PostgreSQL that the daemon reaches only through a TCP relay (test/helpers/
 * tcp-relay.ts), which is cut and put back on the same port. Recording never depends on the index; on one
 * daemon, in order:
 *  1. the database is down when the daemon starts: it starts, records and stores every call, the API says
 *     503 naming the index, /metrics says unreachable; once the database is back the daemon connects by
 *     itself and the index holds every recording once, stored, with its node;
 *  2. the connection is lost while the daemon runs, in the middle of a statement (the relay holds what the
 *     daemon sent, then resets): the daemon lives on (same process, no crash), stores the calls made
 *     meanwhile, and the index gets every step once the database is back;
 *  3. the daemon is SIGKILLed while the database is away (its kept steps die with it): started again with
 *     the database back, it catches the index up from its journal.
 * "Stored" is checked against what the simulator finished (size and MD5 of each file as FreeSWITCH closed
 * it), each finished file stored exactly once, as the crash tests do.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { RecordingEntry } from '../../src/recordings/types';
import type { FinishedSimRecording } from '../../src/sim/uuid-record';
import { match, type FinishedFile, type StoredRecording } from '../helpers/crash-harness';
import { storedMetadata } from '../helpers/storage-fixtures';
import { Relay } from '../helpers/tcp-relay';
import { waitFor } from '../helpers/wait-for';
import { BUCKET, Cluster, PHONE, type ClusterNode } from './cluster-rig';

const md5Of = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** What a crashed Node process leaves on stderr (an unheard 'error' event, an uncaught exception or rejection). */
const CRASH = /Unhandled 'error' event|uncaughtException|unhandledRejection|UnhandledPromiseRejection/;

/**
 * The reconnect waits are the daemon's own, not configurable: ReachableIndex retries after 1 s doubling to
 * 30 s, PostgresIndex's kept steps after 0.5 s doubling to 30 s. An outage of a few seconds is back within
 * about 8 s; the bound leaves room for a slow machine.
 */
const BACK_WITHIN_MS = 40_000;

/** Every file the simulator finished, read the moment it closed it (the daemon deletes it once stored). */
function finishedFilesOf(node: ClusterNode): FinishedFile[] {
  const files: FinishedFile[] = [];
  node.sim.on('recordingFinished', (done: FinishedSimRecording) => {
    const bytes = done.discarded || !existsSync(done.path) ? Buffer.alloc(0) : readFileSync(done.path);
    files.push({ path: done.path, size: bytes.length, md5: md5Of(bytes), discarded: done.discarded, cause: done.cause });
  });
  return files;
}

/** The audio objects in the bucket, with their bytes' size and MD5 and the local path their metadata names. */
async function storedObjects(cluster: Cluster): Promise<StoredRecording[]> {
  const client = cluster.s3Client();
  const out: StoredRecording[] = [];
  for (const key of (await cluster.keys()).filter((k) => !k.endsWith('.json'))) {
    const chunks: Buffer[] = [];
    for await (const c of await client.getObject(BUCKET, key)) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const meta = (await storedMetadata(client, key, BUCKET)) as { path?: string } | undefined;
    out.push({ key, size: bytes.length, md5: md5Of(bytes), path: meta?.path });
  }
  return out;
}

/** One recorded call: answered, recording (or the daemon dead: the caller checks it lives), hung up. */
async function recordedCall(node: ClusterNode, from: string, to: string): Promise<void> {
  const c = await node.sim.createCall({ from: PHONE(from), to, bridgeTo: PHONE(to) });
  await c.answer();
  await waitFor(() => !node.running || node.sim.recordingsOf(c.aUuid).length > 0, `${node.name}: ${from} -> ${to} recording`);
  await c.hangup('a');
}

/** Why the daemon is not running, for a failure message. */
const deathOf = (node: ClusterNode): string => `exit ${JSON.stringify(node.exit)}; its output ends:\n${node.output.slice(-3000)}`;

interface Listed {
  status: number;
  recordings?: Array<Pick<RecordingEntry, 'id' | 'state' | 'node' | 'key'>>;
  error?: string;
}

async function listed(node: ClusterNode): Promise<Listed> {
  const r = await node.api<{ recordings?: Listed['recordings']; error?: string }>('/api/recordings?limit=1000');
  return { status: r.status, ...r.body };
}

t.test('the shared index away: the daemon records, stores and loses no index entry', async (t) => {
  const started = Date.now();
  const cluster = await Cluster.start(t);
  const node = await cluster.addNode('pbx-a');
  const finished = finishedFilesOf(node);
  // The relay takes a port and lets it go: the daemon is configured with a database that is not there.
  const relay = new Relay(cluster.pg.port);
  await relay.up();
  await relay.cut();
  t.teardown(() => relay.cut());
  node.writeConfig({}, cluster.databaseUrl.replace(`:${cluster.pg.port}/`, `:${relay.port}/`));

  /** Every file finished so far is stored exactly once (size and MD5), and the journal says stored for each. */
  const checkStoredOnce = async (t: Test, what: string): Promise<void> => {
    const want = (): FinishedFile[] => finished.filter((f) => !f.discarded);
    await waitFor(async () => match(want(), await storedObjects(cluster)).missing.length === 0, `${what}: every finished recording stored`, 20_000);
    await waitFor(() => {
      const journal = node.journal();
      return journal.length === want().length && journal.every((e) => e.state === 'stored');
    }, `${what}: the journal says stored for each`);
    const { missing, extra } = match(want(), await storedObjects(cluster));
    t.same(missing.map((f) => f.path), [], `${what}: every finished recording stored, with the size and MD5 FreeSWITCH wrote`);
    t.same(extra.map((s) => s.key), [], `${what}: nothing stored twice`);
    t.same(finished.filter((f) => f.discarded).map((f) => `${f.path} ${f.cause}`), [], 'no recording was discarded (each call had audio)');
  };

  /** The index, through the API and through SQL, holds every journaled recording once: stored, with its node and key. */
  const checkIndexed = async (t: Test, what: string): Promise<void> => {
    const journal = node.journal();
    const want = sorted(journal.map((e) => `${e.id} stored pbx-a ${e.key}`));
    const same = (got: string[]): boolean => got.length === want.length && got.every((g, i) => g === want[i]);
    // Watched in the database, not through the API: a read through the daemon writes its kept steps first,
    // which would hide a daemon that does not catch up by itself.
    const rows = await waitFor(async () => {
      const got = sorted((await cluster.rows().catch(() => [])).map((r) => `${r.id} ${r.state} ${r.node} ${r.key}`));
      return same(got) && got;
    }, `${what}: the database to hold all ${want.length} recordings, stored`, BACK_WITHIN_MS);
    t.same(rows, want, `${what}: the database holds one row per recording, stored, with its node and key`);
    const l = await listed(node);
    t.equal(l.status, 200, `${what}: GET /api/recordings answers 200`);
    t.same(sorted((l.recordings ?? []).map((r) => `${r.id} ${r.state} ${r.node} ${r.key}`)), want, `${what}: /api/recordings lists each recording once, stored, with its node and key`);
    t.equal(journal.length, finished.length, `${what}: one journal entry per finished file`);
  };

  const checkAlive = (t: Test, pid: number | undefined, what: string): void => {
    t.ok(node.running, `${what}: the daemon is running${node.running ? '' : ` (${deathOf(node)})`}`);
    t.equal(node.exit, undefined, `${what}: the daemon has no exit code`);
    t.equal(node.pid, pid, `${what}: the same process`);
    t.notMatch(node.output, CRASH, `${what}: no crash in the daemon's output`);
  };

  await t.test('down at start: the daemon starts, records and stores; the index catches up when the database is back', async (t) => {
    const t0 = Date.now();
    node.start();
    await node.up();
    t.ok(node.running, `the daemon is up without its index${node.running ? '' : `: ${node.output.slice(-2000)}`}`);
    if (!node.running) return;
    const pid = node.pid;
    const health = await fetch(`http://127.0.0.1:${node.httpPort}/healthz`);
    const healthBody = (await health.json()) as { eslConnected?: boolean; reasons?: string[] };
    t.same([health.status, healthBody.eslConnected, healthBody.reasons], [200, true, []], '/healthz: 200, the event socket connected, nothing refused for the index');
    t.equal(await node.metric('fsrecd_index_reachable'), 0, '/metrics: fsrecd_index_reachable 0');

    for (const [from, to] of [['1000', '1001'], ['1001', '1000'], ['1000', '1001']] as const) await recordedCall(node, from, to);
    await checkStoredOnce(t, 'database down');
    const down = await listed(node);
    t.equal(down.status, 503, 'GET /api/recordings: 503 while the index is away');
    t.match(down.error, /recordings index .*not reachable/, `the answer names the index: ${down.error}`);
    t.equal(await node.metric('fsrecd_index_reachable'), 0, '/metrics: still fsrecd_index_reachable 0');
    // Published every 5 s: the three recordings' latest steps are kept until the database is back.
    await waitFor(async () => (await node.metric('fsrecd_index_steps_pending')) === finished.length, 'fsrecd_index_steps_pending to count the kept steps', 10_000);
    t.pass(`/metrics: fsrecd_index_steps_pending ${finished.length}`);
    const schema = await cluster.sql<{ table: string | null }>("SELECT to_regclass('recordings')::text AS table");
    t.same(schema, [{ table: null }], 'the daemon has not reached the database (no schema made in it)');

    const restored = Date.now();
    await relay.up();
    await checkIndexed(t, 'database back');
    t.comment(`the index caught up ${((Date.now() - restored) / 1000).toFixed(1)} s after the database came back (${((restored - t0) / 1000).toFixed(1)} s after the daemon started)`);
    await waitFor(async () => (await node.metric('fsrecd_index_reachable')) === 1 && (await node.metric('fsrecd_index_steps_pending')) === 0, '/metrics: reachable 1, steps pending 0', 10_000);
    t.pass('/metrics: fsrecd_index_reachable 1, fsrecd_index_steps_pending 0');
    t.match(node.output, /recordings index reachable again/, 'the daemon says the index is back');
    checkAlive(t, pid, 'database back');
  });

  await t.test('lost while running, mid-statement: the daemon lives on and the index gets every step when it is back', async (t) => {
    if (!node.running) return t.fail(`the daemon is not running: ${deathOf(node)}`);
    const pid = node.pid;
    const before = node.journal().length;
    // A read leaves a connection open in the daemon's pool (idle for 10 s), which its next write takes.
    t.equal((await listed(node)).status, 200, 'the index answers before the cut');
    await waitFor(async () => Number((await cluster.sql<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'fsrecd' AND state = 'idle'"))[0]?.n) > 0, 'an open connection in the daemon\'s pool');
    // The next statement the daemon sends on it (the index step of the next call) is held, unanswered, then
    // the connection is reset under it: the client is lost while checked out for a transaction, not idle.
    relay.hold();
    await recordedCall(node, '1000', '1001');
    // Its steps were told to the index 10 ms after each (FOLLOW_BATCH_MS): once it is stored, a batch's
    // transaction is waiting for the reply to a statement the relay holds.
    await waitFor(() => node.journal().length === before + 1 && node.journal().every((e) => e.state === 'stored'), 'the call stored');
    await waitFor(() => relay.heldBytes > 0, 'the daemon to send a statement the relay holds');
    await relay.cut('reset');
    const cutAt = Date.now();
    for (const [from, to] of [['1001', '1000'], ['1000', '1001']] as const) await recordedCall(node, from, to);
    checkAlive(t, pid, 'connection lost');
    if (!node.running) return;
    await checkStoredOnce(t, 'connection lost');
    t.equal(node.journal().length, before + 3, 'three more recordings journaled');
    await waitFor(async () => (await node.metric('fsrecd_index_steps_pending')) === 3, 'fsrecd_index_steps_pending to count the three steps kept', 10_000);
    t.pass('/metrics: fsrecd_index_steps_pending 3 while the database is away');
    // A read through the daemon now: the database went away after it connected, the same outage as at start.
    const lost = await listed(node);
    t.equal(lost.status, 503, 'GET /api/recordings: 503 while the database is away (not a 500)');
    t.match(lost.error, /recordings index .*not reachable/, `the answer names the index: ${lost.error}`);

    const restored = Date.now();
    await relay.up();
    await checkIndexed(t, 'database back');
    t.comment(`outage ${((restored - cutAt) / 1000).toFixed(1)} s; the kept steps were written ${((Date.now() - restored) / 1000).toFixed(1)} s after the database came back`);
    await waitFor(async () => (await node.metric('fsrecd_index_steps_pending')) === 0, '/metrics: steps pending 0', 10_000);
    t.pass('/metrics: fsrecd_index_steps_pending 0');
    t.ok(node.output.split('\n').some((l) => l.includes('PostgreSQL index unreachable: index steps kept and retried') && l.includes('ECONNRESET')), 'the daemon said it kept the steps, the write in flight lost to the reset');
    checkAlive(t, pid, 'database back');
  });

  await t.test('killed while the database is away: started again, it catches the index up from its journal', async (t) => {
    if (!node.running) return t.fail(`the daemon is not running: ${deathOf(node)}`);
    const before = node.journal().length;
    await relay.cut('close');
    for (const [from, to] of [['1000', '1001'], ['1001', '1000']] as const) await recordedCall(node, from, to);
    await checkStoredOnce(t, 'database away');
    t.equal(node.journal().length, before + 2, 'two more recordings journaled');
    const inIndex = new Set((await cluster.rows()).map((r) => r.id));
    t.equal(node.journal().filter((e) => !inIndex.has(e.id)).length, 2, 'the database does not have the two new recordings');

    const pid = node.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await waitFor(() => node.exit !== undefined, 'the daemon to die');
    t.same(node.exit, { code: null, signal: 'SIGKILL' }, 'the daemon was killed with its steps kept in memory');

    await relay.up();
    node.start();
    await node.up();
    t.ok(node.running, `started again${node.running ? '' : `: ${node.output.slice(-2000)}`}`);
    await checkIndexed(t, 'after the restart');
    await checkStoredOnce(t, 'after the restart');
    checkAlive(t, node.pid, 'after the restart');
    t.same(cluster.proxy.overwrites, [], 'no create replaced a stored object, all along');
  });

  t.comment(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
