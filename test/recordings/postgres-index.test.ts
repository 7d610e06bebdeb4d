/**
 * PostgresIndex where PostgreSQL differs from SQLite: two pools on one database are two nodes writing at
 * once. Races are made certain, not hoped for: a third session holds the row's lock while both nodes'
 * statements queue behind it, then lets go. Then a smoke of the reads (the general index tests run against
 * both engines elsewhere).
 */
import t from 'tap';
import { Client } from 'pg';
import type { PostgresIndexConfig } from '../../src/config/types';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import type { RecordingEntry, Tombstone } from '../../src/recordings/types';
import { postgresFor } from '../helpers/postgres-server';
import { waitFor } from '../helpers/wait-for';

const T0 = Date.UTC(2026, 0, 1);

function entry(i: number, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return {
    id: `rec-${String(i).padStart(4, '0')}`,
    callUuid: `call-${i}`,
    legUuid: `call-${i}`,
    startedAt: new Date(T0 + i * 60_000).toISOString(),
    state: 'stored',
    direction: i % 2 ? 'inbound' : 'outbound',
    network: 'external',
    srcnum: `+1555${String(i).padStart(7, '0')}`,
    dstnum: String(1000 + (i % 10)),
    callerName: `Caller ${i}`,
    user: `u${i % 10}`,
    device: `d${i % 10}`,
    domain: 'acme.example',
    tenant: i % 4 ? 'acme' : 'other',
    node: i % 2 ? 'pbx-a' : 'pbx-b',
    reasons: [`account acme on`],
    trigger: 'rule',
    format: 'wav',
    key: `k/${i}.wav`,
    size: i,
    source: 'journal',
    conversationId: `call-${i}`,
    segment: 1,
    ...over,
  };
}

const tomb = (by: string): Tombstone => ({ deletedAt: '2026-02-01T00:00:00.000Z', deletedBy: by, reason: 'test', cause: 'request' });

t.test('postgres index', async (t) => {
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('index');
  const cfg: PostgresIndexConfig = { url, passwordFile: pg.passwordFile, poolSize: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, tls: { mode: 'disable' } };
  const a = await PostgresIndex.connect(cfg);
  const b = await PostgresIndex.connect(cfg);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const admin = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database: 'index' });
  await admin.connect();
  t.teardown(() => admin.end());

  /** Runs `race` while a third session holds `id`'s row lock, lets go once `waiting` statements queue on it. */
  async function behindRowLock<T>(id: string, waiting: number, race: () => Promise<T>): Promise<T> {
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [id]);
    const done = race();
    await waitFor(
      async () => Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'index' AND wait_event_type = 'Lock'")).rows[0]?.n) >= waiting,
      `${waiting} statements waiting on the row lock`,
    );
    await admin.query('COMMIT');
    return done;
  }

  t.test('two nodes deleting the same recording at once: exactly one gets it (and audits it)', async (t) => {
    await a.upsert(entry(1));
    const [ra, rb] = await behindRowLock('rec-0001', 2, () => Promise.all([a.markDeleted('rec-0001', tomb('a')), b.markDeleted('rec-0001', tomb('b'))]));
    const winners = [ra, rb].filter((r) => r !== undefined);
    t.equal(winners.length, 1, 'one tombstone made');
    t.equal(winners[0]?.state, 'deleted');
    const stored = await b.get('rec-0001');
    t.equal(stored?.deleted?.deletedBy, winners[0]?.deleted?.deletedBy, 'the winner\'s tombstone is the one kept');
    // And without a lock in between, many at once.
    await a.upsertMany(Array.from({ length: 40 }, (_, i) => entry(100 + i)));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => Promise.all([a.markDeleted(entry(100 + i).id, tomb('a')), b.markDeleted(entry(100 + i).id, tomb('b'))])));
    t.same(
      results.map((pair) => pair.filter((r) => r !== undefined).length),
      Array.from({ length: 40 }, () => 1),
    );
  });

  t.test("a journal step racing another node's delete never brings the recording back", async (t) => {
    await a.upsert(entry(2, { state: 'uploading' }));
    // The delete queues first, then the late journal step (upsert, and a followed step on the other node).
    const late = entry(2, { state: 'stored', size: 999 });
    const [dead] = await behindRowLock('rec-0002', 2, async () => {
      const del = a.markDeleted('rec-0002', tomb('a'));
      await waitFor(async () => Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'index' AND wait_event_type = 'Lock'")).rows[0]?.n) >= 1, 'the delete to wait');
      b.follow(late.id, () => late);
      return Promise.all([del, b.flush()]);
    });
    t.equal(dead?.state, 'deleted');
    const now = await a.get('rec-0002');
    t.equal(now?.state, 'deleted', 'still a tombstone');
    t.equal(now?.size, 2, 'the late step wrote nothing');
    // And a storage entry (reindex on a third node) cannot either.
    await b.upsertMany([entry(2, { source: 'storage', state: 'stored' })]);
    t.equal((await a.get('rec-0002'))?.state, 'deleted');
  });

  t.test("a hold is kept whatever another node's journal or reindex writes next", async (t) => {
    await a.upsert(entry(3));
    const hold = { reason: 'lawsuit', by: 'admin', at: '2026-02-01T00:00:00.000Z', objectLock: false };
    await behindRowLock('rec-0003', 2, () => Promise.all([a.setHold('rec-0003', hold), b.upsert(entry(3, { size: 333 }))]));
    await b.upsertMany([entry(3, { source: 'storage', md5: 'abc', size: 333 })]);
    const now = await a.get('rec-0003');
    t.same(now?.hold, hold, 'the hold stays');
    t.equal(now?.source, 'journal', 'storage only fills in');
    t.equal(now?.md5, 'abc');
    t.equal(now?.size, 333);
    t.same((await a.retentionCandidates(T0 + 10 * 60_000, 10)).entries.map((e) => e.id), [], 'a held recording is no retention candidate');
    t.equal((await b.setHold('rec-0003', undefined))?.hold, undefined);
    t.same((await a.retentionCandidates(T0 + 10 * 60_000, 10)).entries.map((e) => e.id), ['rec-0003']);
  });

  t.test("a recording another node stores during this node's reindex is not dropped by endGeneration", async (t) => {
    await admin.query('DELETE FROM recordings');
    await a.upsertMany([entry(10), entry(11), entry(12)]);
    const gen = await a.beginGeneration();
    // Node b connected before the generation began, and stores a new recording meanwhile.
    await b.upsert(entry(13));
    b.follow(entry(14).id, () => entry(14));
    await b.flush();
    // Node a's reindex lists storage: 10 and 11 are still there, 12 is gone.
    await a.upsertMany([entry(10, { source: 'storage' }), entry(11, { source: 'storage' })]);
    t.equal(await a.endGeneration(gen), 1, 'only the recording storage no longer has');
    t.same(
      (await b.query({ limit: 10 })).recordings.map((e) => e.id),
      ['rec-0014', 'rec-0013', 'rec-0011', 'rec-0010'],
    );
    t.equal(await b.beginGeneration(), gen + 1, 'the generation is the database\'s, shared');
  });

  t.test('follow: batched, read back at once by this node, an entry that fails alone is reported alone', async (t) => {
    await admin.query('DELETE FROM recordings');
    const failed: string[] = [];
    a.onFollowError = (id) => failed.push(id);
    t.teardown(() => (a.onFollowError = () => undefined));
    for (let i = 0; i < 300; i++) a.follow(entry(i).id, () => entry(i, { state: 'uploading' }));
    for (let i = 0; i < 300; i++) a.follow(entry(i).id, () => entry(i));
    // PostgreSQL refuses a NUL in text: this one entry cannot be written.
    a.follow('bad', () => entry(999, { id: 'bad', callerName: 'nul\u0000here' }));
    a.follow('thrower', () => {
      throw new Error('cannot build');
    });
    t.ok(a.followPending > 0);
    const counts = await a.counts();
    t.equal(a.followPending, 0);
    t.same(counts, { total: 300, byState: { stored: 300 } }, 'the latest step of each, the bad ones left out');
    t.same(failed.sort(), ['bad', 'thrower']);
    // The timer writes what nobody reads: seen by the other node without a flush here.
    a.follow(entry(500).id, () => entry(500));
    await waitFor(async () => (await b.get(entry(500).id)) !== undefined || undefined, 'the followed step to be written by its timer');
    t.pass('written within the batch time');
  });

  t.test('reads: filters, node, cursors, conversations, namesakes, search, staleOf, audit', async (t) => {
    await admin.query('DELETE FROM recordings');
    const all = Array.from({ length: 120 }, (_, i) => entry(i));
    // Conversation c-1: three segments on two nodes, the middle one of another tenant.
    all.push(entry(200, { conversationId: 'c-1', segment: 1, tenant: 'acme', queue: 'support@acme.example' }));
    all.push(entry(201, { conversationId: 'c-1', segment: 2, tenant: 'other', queue: 'support@other.example', agent: 'agent-1@acme.example' }));
    all.push(entry(202, { conversationId: 'c-1', segment: 3, tenant: 'acme', callerName: 'Zebediah Quux', queue: 'supporters@acme.example' }));
    t.equal(await a.upsertMany(all), all.length);

    const pages: string[] = [];
    let before: string | undefined;
    do {
      const page = await b.query({ limit: 7, ...(before ? { before } : {}) });
      pages.push(...page.recordings.map((e) => e.id));
      before = page.next ?? undefined;
    } while (before);
    t.equal(pages.length, all.length, 'every row once across pages');
    t.same(pages, [...all].sort((x, y) => Date.parse(y.startedAt) - Date.parse(x.startedAt)).map((e) => e.id), 'newest first');

    const nodeA = await b.query({ limit: 1000, node: 'pbx-a' });
    t.ok(nodeA.recordings.length > 0 && nodeA.recordings.every((e) => e.node === 'pbx-a'));
    t.equal(nodeA.recordings.length, all.filter((e) => e.node === 'pbx-a').length);
    t.same(
      (await b.query({ limit: 1000, tenant: 'other', direction: 'inbound', user: 'u1' })).recordings.map((e) => e.id),
      all.filter((e) => e.tenant === 'other' && e.direction === 'inbound' && e.user === 'u1').map((e) => e.id).reverse(),
    );
    t.same(
      (await b.query({ limit: 10, queue: 'support' })).recordings.map((e) => e.id),
      ['rec-0201', 'rec-0200'],
      'support means support@ any domain, not supporters@',
    );
    t.same((await b.query({ limit: 10, queue: 'support@acme.example' })).recordings.map((e) => e.id), ['rec-0200']);
    t.same((await b.query({ limit: 10, queue: 'nobody' })).recordings, []);
    t.same((await b.query({ limit: 10, agent: 'agent-1' })).recordings.map((e) => e.id), ['rec-0201']);
    t.same((await b.query({ limit: 10, text: 'zebediah q' })).recordings.map((e) => e.id), ['rec-0202'], 'search: a rare term');
    t.equal((await b.query({ limit: 1000, text: '+1555' })).recordings.length, all.length, 'search: a common term');
    t.same((await b.query({ limit: 10, text: '0000105' })).recordings.map((e) => e.id), ['rec-0105']);
    t.same((await b.query({ limit: 10, text: '%' })).recordings, [], 'a wildcard character is a character');
    t.equal((await b.query({ limit: 1000, reason: 'ACME' })).recordings.length, all.length, 'reason: case-insensitive substring');

    const conv = await b.conversations({ limit: 10, tenant: 'acme', text: 'zebediah' });
    t.equal(conv.conversations.length, 1);
    t.same(
      conv.conversations[0]?.segments.map((e) => e.id),
      ['rec-0200', 'rec-0202'],
      "listed by its matching segment, with the tenant's segments",
    );
    const heads = await b.conversations({ limit: 1000 });
    t.equal(heads.conversations.length, 121, 'c-1 once, in the place of its newest segment');
    t.equal(heads.conversations[0]?.conversationId, 'c-1');
    t.equal(heads.conversations[0]?.segmentCount, 3);
    const firstTwo = await b.conversations({ limit: 2 });
    const nextTwo = await b.conversations({ limit: 2, before: firstTwo.next ?? undefined });
    t.same(
      [...firstTwo.conversations, ...nextTwo.conversations].map((c) => c.conversationId),
      heads.conversations.slice(0, 4).map((c) => c.conversationId),
      'paged like the list',
    );
    t.same((await b.segmentsOf('c-1', 'other')).map((e) => e.id), ['rec-0201']);

    const stale = await b.staleOf([entry(1, { journalUpdatedAt: 'x' }), entry(2), entry(9999)]);
    t.same(
      stale.map((e) => e.id),
      ['rec-0001', 'rec-9999'],
    );

    const first = await a.retentionCandidates(T0 + 50 * 60_000, 20);
    const second = await a.retentionCandidates(T0 + 50 * 60_000, 40, first.next ?? undefined);
    t.same(
      [...first.entries, ...second.entries].map((e) => e.id),
      all.slice(0, 50).map((e) => e.id),
    );
    t.equal(second.next, null);

    const events = [];
    for (let i = 0; i < 5; i++) events.push(await (i % 2 ? a : b).audit.append({ at: new Date(T0 + i).toISOString(), action: 'download', recordingId: `rec-${i}`, tenant: 'acme', actor: 'alice', from: '127.0.0.1', outcome: 'ok' }));
    t.same(
      events.map((e) => e.seq),
      [...events.map((e) => e.seq)].sort((x, y) => x - y),
      'one increasing seq across nodes',
    );
    const p1 = await a.audit.page({ limit: 3, actor: 'alice' });
    const p2 = await a.audit.page({ limit: 3, actor: 'alice', before: p1.next ?? undefined });
    t.same(
      [...p1.events, ...p2.events].map((e) => e.recordingId),
      ['rec-4', 'rec-3', 'rec-2', 'rec-1', 'rec-0'],
    );
    t.equal(p2.next, null);
    t.same(p1.events[0], { ...events[4], seq: events[4]?.seq });
  });
});
