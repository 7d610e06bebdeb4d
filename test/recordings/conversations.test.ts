/**
 * Conversations in the index, against a plain-array oracle: segments in order, the grouped list (heads,
 * pages, every filter, search by any segment's party, tenant scoping of the sums), queue and agent
 * filters, the schema change, and the conversation fields read from journal entries and metadata objects.
 * The index tests run on both engines (engines.ts); the rebuild of an older SQLite file is SQLite's alone.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RecordingMeta } from '../../src/model/recording';
import { partiesOf, summarizeConversation } from '../../src/recordings/conversation';
import { conversationFields, entryFromJournal, entryFromStorage } from '../../src/recordings/entry-from';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { RecordingIndex } from '../../src/recordings/index-store';
import type { ConversationSummary, RecordingEntry, RecordingQuery } from '../../src/recordings/types';
import { eachEngineIndex } from './engines';

const T0 = Date.UTC(2026, 10, 1);
const KINDS = ['attended', 'blind', 'pickup', 'park'] as const;

/**
 * Conversation c has 1 + c % 3 segments a few minutes apart; c % 7 === 0 moves its last segment to the
 * other tenant (a transfer across domains), c % 5 === 0 is a queue call; segments are recorded on two
 * nodes, so many conversations cross from one to the other. Segments of neighbouring conversations overlap
 * in time, so heads and segments interleave.
 */
function conversationSegments(c: number): RecordingEntry[] {
  const n = 1 + (c % 3);
  const conv = `conv-${c}`;
  const out: RecordingEntry[] = [];
  for (let s = 1; s <= n; s++) {
    const tenant = c % 7 === 0 && s === n && n > 1 ? (c % 2 ? 'other' : 'acme') : c % 2 ? 'acme' : 'other';
    const callee = s === 1 ? `${1000 + (c % 50)}` : `${2000 + ((c * s) % 97)}`;
    const caller = `+1555${String(c).padStart(7, '0')}`;
    const id = s === 1 ? `${conv}-1` : `leg-${c}-${s}-1`;
    out.push({
      id,
      callUuid: s === 1 ? conv : `leg-${c}-${s}`,
      legUuid: s === 1 ? conv : `leg-${c}-${s}`,
      startedAt: new Date(T0 + c * 60_000 + (s - 1) * 150_000).toISOString(),
      endedAt: new Date(T0 + c * 60_000 + (s - 1) * 150_000 + 100_000).toISOString(),
      durationMs: 10_000 * s + c,
      state: c % 11 === 0 && s === 1 ? 'finished' : 'stored',
      direction: 'inbound',
      network: s === 1 ? 'external' : 'internal',
      srcnum: caller,
      dstnum: callee,
      callerName: `Caller ${c}`,
      user: `u${callee}`,
      domain: `${tenant}.example`,
      tenant,
      node: (c + s) % 3 === 0 ? 'pbx-b' : 'pbx-a',
      reasons: [`account ${tenant} on`],
      trigger: 'rule',
      format: 'wav',
      key: `k/${id}.wav`,
      source: 'journal',
      conversationId: conv,
      segment: s,
      startedBy: s === 1 ? 'answer' : 'transfer',
      parties: [
        { role: 'caller', number: caller, name: `Caller ${c}` },
        { role: 'callee', number: callee, name: s === 1 ? `Agent ${c % 50}` : `Expert ${(c * s) % 97}`, user: `u${callee}` },
      ],
      ...(s > 1 ? { transferFrom: { recordingId: s === 2 ? `${conv}-1` : `leg-${c}-${s - 1}-1`, kind: KINDS[(c + s) % 4] as (typeof KINDS)[number] } } : {}),
      ...(c % 5 === 0 ? { queue: c % 10 === 0 ? 'support@acme.example' : 'sales@acme.example', agent: `${1000 + (c % 50)}@acme.example` } : {}),
    });
  }
  return out;
}

/** Insertion order as a daemon sees it: by start time (segments of different conversations interleave). */
function dataset(conversations: number): RecordingEntry[] {
  return Array.from({ length: conversations }, (_, c) => conversationSegments(c))
    .flat()
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

/** The oracle: what the index must answer, from the rows in insertion order. */
function matches(e: RecordingEntry, q: RecordingQuery): boolean {
  const ms = Date.parse(e.startedAt);
  const text = q.text?.toLowerCase();
  const named = (v: string | undefined, want: string | undefined): boolean => want === undefined || (v !== undefined && (v === want || (!want.includes('@') && v.startsWith(`${want}@`))));
  return (
    (q.fromMs === undefined || ms >= q.fromMs) &&
    (q.toMs === undefined || ms < q.toMs) &&
    (q.tenant === undefined || e.tenant === q.tenant) &&
    (q.node === undefined || e.node === q.node) &&
    (q.network === undefined || e.network === q.network) &&
    (q.state === undefined || e.state === q.state) &&
    (q.user === undefined || e.user === q.user) &&
    (q.conversation === undefined || e.conversationId === q.conversation) &&
    named(e.queue, q.queue) &&
    named(e.agent, q.agent) &&
    (text === undefined || [e.srcnum, e.dstnum, e.callerName, e.user ?? '', ...(e.parties ?? []).flatMap((p) => [p.number, p.name ?? '', p.user ?? ''])].some((w) => w.toLowerCase().includes(text)))
  );
}

function oracleConversations(rows: RecordingEntry[], q: RecordingQuery): string[] {
  const head = new Map<string, number>();
  rows.forEach((e, seq) => {
    if (!matches(e, q)) return;
    const prev = head.get(e.conversationId);
    const at = (i: number): [number, number] => [Date.parse((rows[i] as RecordingEntry).startedAt), i];
    if (prev === undefined) return void head.set(e.conversationId, seq);
    const [pm, ps] = at(prev);
    const [m] = at(seq);
    if (m > pm || (m === pm && seq > ps)) head.set(e.conversationId, seq);
  });
  return [...head.entries()]
    .sort(([, a], [, b]) => {
      const d = Date.parse((rows[b] as RecordingEntry).startedAt) - Date.parse((rows[a] as RecordingEntry).startedAt);
      return d !== 0 ? d : b - a;
    })
    .map(([c]) => c);
}

function oracleSegments(rows: RecordingEntry[], conversation: string, tenant?: string): string[] {
  return rows
    .map((e, seq) => ({ e, seq }))
    .filter(({ e }) => e.conversationId === conversation && (tenant === undefined || e.tenant === tenant))
    .sort((a, b) => a.e.segment - b.e.segment || Date.parse(a.e.startedAt) - Date.parse(b.e.startedAt) || a.seq - b.seq)
    .map(({ e }) => e.id);
}

async function allPages(index: RecordingIndex, q: RecordingQuery): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  let before: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await index.conversations({ ...q, before });
    out.push(...page.conversations);
    if (!page.next) return out;
    before = page.next;
  }
  throw new Error('paging never ended');
}

const ROWS = dataset(900);

eachEngineIndex('segments of a conversation in order; a tenant sees only its own', async (t, index) => {
  // Inserted newest first: the order must come from the segment numbers, not from insertion.
  await index.upsertMany([...ROWS].reverse());
  for (const c of [0, 1, 2, 5, 14, 21, 899]) {
    const id = `conv-${c}`;
    t.same((await index.segmentsOf(id)).map((e) => e.id), oracleSegments(ROWS, id), `${id}: every segment`);
    for (const tenant of ['acme', 'other']) t.same((await index.segmentsOf(id, tenant)).map((e) => e.id), oracleSegments(ROWS, id, tenant), `${id} for ${tenant}`);
  }
  t.same((await index.segmentsOf('conv-14', 'other')).length, 2, 'conv-14: two segments in other…');
  t.same((await index.segmentsOf('conv-14', 'acme')).map((e) => e.segment), [3], '…and its transferred-on third in acme');
  t.same(await index.segmentsOf('no-such-conversation'), []);
  const two = await index.segmentsOf('conv-2');
  t.match(two[2], { segment: 3, startedBy: 'transfer', transferFrom: { recordingId: 'leg-2-2-1', kind: KINDS[(2 + 3) % 4] }, parties: [{ role: 'caller', number: '+15550000002' }, { role: 'callee' }] }, 'the document keeps parties and the transfer');
});

eachEngineIndex('the grouped list against the oracle: heads, pages, filters, search by any party', async (t, index) => {
  await index.upsertMany(ROWS);
  const queries: [string, RecordingQuery][] = [
    ['everything', { limit: 37 }],
    ['one tenant', { limit: 50, tenant: 'acme' }],
    ['the other tenant', { limit: 50, tenant: 'other' }],
    ['internal segments only (the transferred-on ones)', { limit: 25, network: 'internal' }],
    ['a time window that cuts conversations', { limit: 20, fromMs: T0 + 100 * 60_000, toMs: T0 + 200 * 60_000 }],
    ['state', { limit: 10, state: 'finished' }],
    ['a rare callee name, only in a later segment', { limit: 50, text: 'expert 13' }],
    ['a common term: walks the time index', { limit: 50, text: '555' }],
    ['two characters', { limit: 50, text: 'xp' }],
    ['a later segment\'s user', { limit: 50, user: 'u2010' }],
    ['queue by name matches queue@domain', { limit: 50, queue: 'support' }],
    ['queue@domain exactly', { limit: 50, queue: 'sales@acme.example' }],
    ['a queue name that is only a prefix matches nothing', { limit: 50, queue: 'supp' }],
    ['agent', { limit: 50, agent: '1010' }],
    ['one conversation', { limit: 5, conversation: 'conv-14' }],
    ['tenant and search together', { limit: 50, tenant: 'acme', text: 'expert' }],
    ['one node', { limit: 40, node: 'pbx-b' }],
    ['node and tenant', { limit: 40, node: 'pbx-a', tenant: 'other' }],
    ['node and a later segment\'s party', { limit: 50, node: 'pbx-a', text: 'expert' }],
    ['a node nobody has', { limit: 10, node: 'pbx' }],
  ];
  for (const [label, q] of queries) {
    const want = oracleConversations(ROWS, q);
    const got = await allPages(index, q);
    t.same(got.map((c) => c.conversationId), want, `${label}: ${want.length} conversation(s), each once, newest head first`);
    const first = got[0];
    if (first) t.same(first.segments.map((e) => e.id), oracleSegments(ROWS, first.conversationId, q.tenant), `${label}: the first row adds up every segment its tenant filter lets through`);
  }
  t.ok(oracleConversations(ROWS, { limit: 1, text: 'expert 13' }).length > 0, 'the rare term is in the data');
  t.ok(oracleConversations(ROWS, { limit: 1, queue: 'support' }).length > 0, 'so is the queue');

  // A party only in segment 2 finds the conversation, and the row counts segments 1 and 2 (and 3).
  const found = (await index.conversations({ limit: 5, text: 'expert 13' })).conversations;
  for (const c of found) t.ok(c.segments.length >= 2, `${c.conversationId}: the whole conversation, not only the matching segment`);

  const tenantRow = (await index.conversations({ limit: 1, tenant: 'acme', conversation: 'conv-14' })).conversations[0];
  t.same(tenantRow?.segments.map((e) => e.tenant), ['acme'], 'a tenant-scoped row holds only that tenant\'s segments');
  t.equal(tenantRow?.segmentCount, 1);
});

eachEngineIndex('the node filter: a conversation crossing nodes is found from either, whole', async (t, index) => {
  await index.upsertMany(ROWS);
  // conv-2: segment 1 on pbx-b, segments 2 and 3 on pbx-a.
  t.same((await index.segmentsOf('conv-2')).map((e) => e.node), ['pbx-b', 'pbx-a', 'pbx-a'], 'the data crosses nodes');
  for (const node of ['pbx-a', 'pbx-b']) {
    const rows = (await index.conversations({ limit: 5, node, conversation: 'conv-2' })).conversations;
    t.same(rows.map((c) => [c.conversationId, c.segmentCount]), [['conv-2', 3]], `found from ${node}, with every segment`);
    t.same(
      (await index.query({ limit: 5, node, conversation: 'conv-2' })).recordings.map((e) => e.segment),
      node === 'pbx-b' ? [1] : [3, 2],
      `the plain list: only ${node}'s segments`,
    );
  }
  // A conversation is placed by its newest segment on the node asked for, not by its newest segment.
  const onB = oracleConversations(ROWS, { limit: 1, node: 'pbx-b' });
  const page = await allPages(index, { limit: 100, node: 'pbx-b' });
  t.same(page.map((c) => c.conversationId), onB);
  t.ok(onB.indexOf('conv-2') > onB.indexOf('conv-1'), 'conv-2 (pbx-b head: segment 1, minute 2) after conv-1 (pbx-b head: segment 2, minute 3.5), though its last segment (minute 7) is newer');
});

t.test('what a row adds up to', async (t) => {
  const segs = conversationSegments(2);
  const sum = summarizeConversation('conv-2', segs);
  t.equal(sum.segmentCount, 3);
  t.equal(sum.startedAt, segs[0]?.startedAt);
  t.equal(sum.lastStartedAt, segs[2]?.startedAt);
  t.equal(sum.endedAt, segs[2]?.endedAt);
  t.equal(sum.durationMs, 10_002 + 20_002 + 30_002);
  t.same(
    sum.parties.map((p) => p.number),
    ['+15550000002', '1002', '2004', '2006'],
    'the caller once, then each callee in the order they joined',
  );
  t.same(summarizeConversation('x', []), { conversationId: 'x', segmentCount: 0, startedAt: '', lastStartedAt: '', durationMs: 0, parties: [], segments: [] });

  const old = { ...(segs[0] as RecordingEntry), parties: undefined, user: 'alice', device: 'desk', direction: 'outbound' as const, srcnum: '1000', dstnum: '+15559876543', callerName: 'Alice' };
  t.same(partiesOf(old), [
    { role: 'caller', number: '1000', name: 'Alice', user: 'alice', device: 'desk' },
    { role: 'callee', number: '+15559876543' },
  ], 'an older recording: caller and callee from its numbers, the user on the outbound side');
  t.same(partiesOf({ ...old, direction: 'inbound', callerName: '' }), [
    { role: 'caller', number: '1000' },
    { role: 'callee', number: '+15559876543', user: 'alice', device: 'desk' },
  ]);
});

// SQLite only: an older file of the embedded engine (PostgreSQL migrates in place: postgres-migrations.test.ts).
t.test('sqlite: an index of the previous schema is rebuilt; rows from before conversations are conversations of one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-index-v2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'recordings.sqlite');
  const old = new Database(path);
  old.exec('CREATE TABLE recordings (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, started_ms INTEGER NOT NULL, doc TEXT NOT NULL)');
  old.prepare('INSERT INTO recordings (id, started_ms, doc) VALUES (?, ?, ?)').run('old-1', 0, '{}');
  old.pragma('user_version = 2');
  old.close();
  const index = SqliteIndex.open(path);
  t.teardown(() => index.close());
  t.equal(index.rebuilt, true, 'version 2 is rebuilt (from the journal at the next start, or by reindex)');
  t.same(await index.counts(), { total: 0, byState: {} });
  // What a caller from before #12 hands over (no conversation fields at all).
  const legacy = { ...(conversationSegments(1)[0] as RecordingEntry), id: 'call-9-1', callUuid: 'call-9', parties: undefined, transferFrom: undefined } as Partial<RecordingEntry>;
  delete legacy.conversationId;
  delete legacy.segment;
  await index.upsert(legacy as RecordingEntry);
  t.match(await index.get('call-9-1'), { conversationId: 'call-9', segment: 1 });
  t.same((await index.segmentsOf('call-9')).map((e) => e.id), ['call-9-1']);
  t.same((await index.conversations({ limit: 5 })).conversations.map((c) => [c.conversationId, c.segmentCount]), [['call-9', 1]]);
  await index.close();
  const again = SqliteIndex.open(path);
  t.equal(again.rebuilt, false, 'the current version is kept');
  t.equal((await again.counts()).total, 1);
  await again.close();
});

function meta(over: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    id: 'leg-b-1',
    callUuid: 'leg-b',
    legUuid: 'leg-b',
    path: '/spool/x.wav',
    relativePath: 'x.wav',
    format: 'wav',
    srcnum: '+15551234567',
    dstnum: '1002',
    callerName: 'Customer',
    direction: 'inbound',
    network: 'external',
    domain: 'acme.example',
    tenantUuid: 'acme',
    node: 'pbx',
    reasons: ['account acme on'],
    onDemand: false,
    startedAt: '2026-11-24T10:00:00.000Z',
    ...over,
  };
}

t.test('conversation fields from the journal and from metadata objects, checked', async (t) => {
  const seg2 = meta({ conversationId: 'leg-a', segment: 2, startedBy: 'transfer', parties: [{ role: 'caller', number: '+15551234567', name: 'Customer' }, { role: 'callee', number: '1002', user: 'bob', device: 'bob-desk', legUuid: 'leg-c' }], transferFrom: { recordingId: 'leg-a-1', kind: 'attended' }, queue: 'support@acme.example', agent: '1002@acme.example' });
  const fromJournal = entryFromJournal({ id: seg2.id, state: 'stored', meta: seg2, key: 'x.wav', attempts: 1, updatedAt: '2026-11-24T10:01:00.000Z' });
  const expected = { conversationId: 'leg-a', segment: 2, startedBy: 'transfer', parties: seg2.parties, transferFrom: { recordingId: 'leg-a-1', kind: 'attended' }, queue: 'support@acme.example', agent: '1002@acme.example' };
  t.match(fromJournal, expected, 'the journal entry carries the conversation');
  const fromStorage = entryFromStorage({ key: 'x.wav', size: 10 }, JSON.parse(JSON.stringify({ ...seg2, result: { durationMs: 1000 } })));
  t.match(fromStorage, expected, 'so does the metadata object (reindex)');
  t.same(Object.keys(fromStorage.parties?.[1] ?? {}).sort(), ['device', 'legUuid', 'number', 'role', 'user']);

  const old = entryFromJournal({ id: 'call-1-1', state: 'stored', meta: meta({ id: 'call-1-1', callUuid: 'call-1' }), key: 'y.wav', attempts: 1, updatedAt: '' });
  t.match(old, { conversationId: 'call-1', segment: 1 }, 'an older recording: its call, segment 1');
  t.equal(old.parties, undefined);

  const hostile = conversationFields({ conversationId: '../../etc', callUuid: 'call-7', segment: 2.5, startedBy: 'magic', parties: [{ role: 'boss', number: '1' }, 'x', { role: 'callee', number: 42, name: 'n'.repeat(5000) }, ...Array.from({ length: 40 }, () => ({ role: 'caller', number: '9' }))], transferFrom: { recordingId: 'a/b', kind: 'attended' }, queue: 7 }, 'call-7-1');
  t.equal(hostile.conversationId, 'call-7', 'a conversation id that is not an id: the call uuid');
  t.equal(hostile.segment, 1);
  t.equal(hostile.startedBy, undefined);
  t.equal(hostile.transferFrom, undefined, 'a transfer naming a path is dropped');
  t.equal(hostile.queue, undefined);
  t.equal(hostile.parties?.length, 14, 'of the first 16 looked at, the two that are not parties dropped');
  t.same(hostile.parties?.[0], { role: 'callee', number: '', name: 'n'.repeat(200) }, 'a number that is not text is empty; long text is cut');
  t.equal(conversationFields({}, 'obj-1').conversationId, 'obj-1', 'no call uuid either: the recording itself');
  t.equal(conversationFields({ segment: 0 }, 'x').segment, 1);
  t.equal(conversationFields({ segment: 3 }, 'x').segment, 3);
});
