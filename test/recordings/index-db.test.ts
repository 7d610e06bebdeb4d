/** The SQLite index: upserts, pages, every filter, both search plans, reindex generations. */
import t from 'tap';
import { RecordingIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';

function entry(i: number, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return {
    id: `rec-${i}`,
    callUuid: `call-${i}`,
    legUuid: `call-${i}`,
    startedAt: new Date(Date.UTC(2026, 10, 1) + Math.floor(i / 2) * 60_000).toISOString(),
    state: 'stored',
    direction: i % 2 ? 'inbound' : 'outbound',
    network: i % 3 ? 'external' : 'internal',
    srcnum: i % 2 ? `+1555${String(i).padStart(7, '0')}` : String(1000 + (i % 10)),
    dstnum: i % 2 ? String(1000 + (i % 10)) : `+1555${String(i).padStart(7, '0')}`,
    callerName: i === 7 ? 'Ünïcode Ñame 100%_done' : `Caller ${i}`,
    user: `u${i % 10}`,
    device: `d${i % 10}`,
    domain: i % 4 ? 'acme.example' : 'other.example',
    tenant: i % 4 ? 'acme' : 'other',
    node: 'pbx',
    reasons: [i % 5 === 0 ? '*3 on-demand by 1000' : `account ${i % 4 ? 'acme' : 'other'} on`],
    trigger: i % 5 === 0 ? 'on-demand' : 'rule',
    format: 'wav',
    key: `k/${i}.wav`,
    size: i,
    source: 'journal',
    conversationId: `call-${i}`,
    segment: 1,
    ...over,
  };
}

t.test('pages: newest first, ties broken by insertion, every row once', async (t) => {
  const index = RecordingIndex.open(':memory:');
  t.teardown(() => index.close());
  t.equal(index.upsertMany(Array.from({ length: 3000 }, (_, i) => entry(i))), 3000);
  const seen: string[] = [];
  let before: string | undefined;
  do {
    const page = index.query({ limit: 700, before });
    seen.push(...page.recordings.map((r) => r.id));
    before = page.next ?? undefined;
  } while (before);
  t.equal(seen.length, 3000);
  t.equal(new Set(seen).size, 3000, 'no row twice although two rows share each minute');
  t.equal(seen[0], 'rec-2999');
  t.equal(seen[1], 'rec-2998', 'same minute: the later insert first');
});

t.test('filters combine; search finds rare and common terms, literally', async (t) => {
  const index = RecordingIndex.open(':memory:');
  t.teardown(() => index.close());
  index.upsertMany(Array.from({ length: 3000 }, (_, i) => entry(i)));
  const ids = (q: Parameters<RecordingIndex['query']>[0]): string[] => index.query(q).recordings.map((r) => r.id);
  const all = Array.from({ length: 3000 }, (_, i) => entry(i)).reverse();
  const expect = (pred: (e: RecordingEntry) => boolean, limit = 50): string[] => all.filter(pred).slice(0, limit).map((e) => e.id);

  t.same(ids({ limit: 50, direction: 'inbound', network: 'internal' }), expect((e) => e.direction === 'inbound' && e.network === 'internal'));
  t.same(ids({ limit: 50, tenant: 'other', trigger: 'on-demand' }), expect((e) => e.tenant === 'other' && e.trigger === 'on-demand'));
  t.same(ids({ limit: 50, user: 'u3', device: 'd3' }), expect((e) => e.user === 'u3'));
  t.same(ids({ limit: 50, reason: '*3' }), expect((e) => e.trigger === 'on-demand'));
  const from = Date.UTC(2026, 10, 1, 2);
  t.same(ids({ limit: 500, fromMs: from, toMs: from + 600_000 }), expect((e) => Date.parse(e.startedAt) >= from && Date.parse(e.startedAt) < from + 600_000, 500));
  // Rare (a handful of trigram hits): the full-text plan.
  t.same(ids({ limit: 50, text: '5550001234' }), ['rec-1234']);
  t.same(ids({ limit: 50, text: '555000123' }), expect((e) => `${e.srcnum} ${e.dstnum}`.includes('555000123')));
  // Common (every inbound/outbound external number has 555): walks the time index.
  t.same(ids({ limit: 50, text: '555' }), expect((e) => `${e.srcnum} ${e.dstnum}`.includes('555')));
  t.same(ids({ limit: 50, text: '55' }), expect((e) => `${e.srcnum} ${e.dstnum}`.includes('55')), 'two characters');
  t.same(ids({ limit: 50, text: 'ÜNÏCODE' }), ['rec-7'], 'case-insensitive beyond ASCII');
  t.same(ids({ limit: 50, text: '100%_' }), ['rec-7'], 'wildcards are literal');
  t.same(ids({ limit: 50, text: '1%0' }), [], 'a % matches only a %');
  t.same(ids({ limit: 50, text: 'caller 12' }), expect((e) => e.callerName.toLowerCase().includes('caller 12')));
});

t.test('upserts: the journal replaces, storage keeps what it cannot tell; generations drop vanished objects', async (t) => {
  const index = RecordingIndex.open(':memory:');
  t.teardown(() => index.close());
  index.upsert(entry(1, { state: 'finished', localPath: '/spool/1.wav', md5: 'aa'.repeat(16) }));
  index.upsert(entry(1, { state: 'stored', localPath: undefined, md5: 'aa'.repeat(16) }));
  t.equal(index.get('rec-1')?.localPath, undefined, 'stored: the spool path is gone');
  t.equal(index.get('rec-1')?.state, 'stored');
  index.upsert(entry(1, { md5: undefined, source: 'storage', callerName: 'Renamed' }));
  t.match(index.get('rec-1'), { md5: 'aa'.repeat(16), callerName: 'Renamed', source: 'journal' }, 'a reindex keeps the MD5 and where it was first known from');
  t.same(index.query({ limit: 5, text: 'renamed' }).recordings.map((r) => r.id), ['rec-1'], 'the search text follows');
  t.same(index.query({ limit: 5, text: 'caller 1' }).recordings, []);

  index.upsert(entry(2));
  index.upsert(entry(3, { state: 'finished' }));
  const gen = index.beginGeneration();
  index.upsert(entry(1, { source: 'storage' }));
  t.equal(index.endGeneration(gen), 1, 'rec-2 was stored but storage no longer lists it');
  t.same(index.query({ limit: 10 }).recordings.map((r) => r.id).sort(), ['rec-1', 'rec-3'], 'a recording not yet stored stays');
  t.same(index.counts(), { total: 2, byState: { finished: 1, stored: 1 } });
});

t.test('start-up sync: only journal entries the index lacks or has in an older state', async (t) => {
  const index = RecordingIndex.open(':memory:');
  t.teardown(() => index.close());
  index.upsertMany([entry(1, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' }), entry(2, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' })]);
  const journal = [entry(1, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' }), entry(2, { journalUpdatedAt: '2026-11-24T10:05:00.000Z' }), entry(3, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' })];
  t.same(index.staleOf(journal).map((e) => e.id), ['rec-2', 'rec-3']);
});
