/**
 * The recordings index, on both engines (engines.ts): upserts, pages, every filter (node too), both search
 * plans, reindex generations (a row another node writes meanwhile stays), holds and tombstones (not even
 * another index object's upsert brings a deleted recording back).
 */
import type { Test } from 'tap';
import type { RecordingIndex } from '../../src/recordings/index-store';
import type { RecordingEntry, RecordingQuery } from '../../src/recordings/types';
import { eachEngine, eachEngineIndex } from './engines';

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
    node: i % 3 === 2 ? 'pbx-b' : 'pbx-a',
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

const TOMBSTONE = { deletedAt: '2026-11-03T00:00:00.000Z', deletedBy: 'op', reason: 'asked', cause: 'request' } as const;
const HOLD = { reason: 'case 1', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false };

async function ids(index: RecordingIndex, q: RecordingQuery): Promise<string[]> {
  return (await index.query(q)).recordings.map((r) => r.id);
}

eachEngineIndex('pages: newest first, ties broken by insertion, every row once', async (t, index) => {
  t.equal(await index.upsertMany(Array.from({ length: 3000 }, (_, i) => entry(i))), 3000);
  const seen: string[] = [];
  let before: string | undefined;
  do {
    const page = await index.query({ limit: 700, before });
    seen.push(...page.recordings.map((r) => r.id));
    before = page.next ?? undefined;
  } while (before);
  t.equal(seen.length, 3000);
  t.equal(new Set(seen).size, 3000, 'no row twice although two rows share each minute');
  t.equal(seen[0], 'rec-2999');
  t.equal(seen[1], 'rec-2998', 'same minute: the later insert first');
});

eachEngineIndex('recordings that start in the same millisecond: the later written first, within one batch too', async (t, index) => {
  const at = '2026-11-05T10:00:00.000Z';
  // Written in an order that is not the order of their ids.
  await index.upsertMany([entry(1, { id: 'zulu', startedAt: at }), entry(2, { id: 'alpha', startedAt: at }), entry(3, { id: 'mike', startedAt: at })]);
  t.same(await ids(index, { limit: 10 }), ['mike', 'alpha', 'zulu'], 'one batch: newest write first');
  await index.upsert(entry(4, { id: 'bravo', startedAt: at }));
  await index.upsert(entry(5, { id: 'able', startedAt: at }));
  t.same(await ids(index, { limit: 10 }), ['able', 'bravo', 'mike', 'alpha', 'zulu'], 'one at a time');
  const first = await index.query({ limit: 2 });
  t.same((await index.query({ limit: 10, before: first.next ?? undefined })).recordings.map((e) => e.id), ['mike', 'alpha', 'zulu'], 'and the cursor continues in that order');
});

eachEngineIndex('filters combine; search finds rare and common terms, literally', async (t, index) => {
  await index.upsertMany(Array.from({ length: 3000 }, (_, i) => entry(i)));
  const all = Array.from({ length: 3000 }, (_, i) => entry(i)).reverse();
  const expect = (pred: (e: RecordingEntry) => boolean, limit = 50): string[] => all.filter(pred).slice(0, limit).map((e) => e.id);
  const check = async (q: RecordingQuery, want: string[], label?: string): Promise<void> => {
    t.same(await ids(index, q), want, label ?? JSON.stringify(q));
  };

  await check({ limit: 50, direction: 'inbound', network: 'internal' }, expect((e) => e.direction === 'inbound' && e.network === 'internal'));
  await check({ limit: 50, tenant: 'other', trigger: 'on-demand' }, expect((e) => e.tenant === 'other' && e.trigger === 'on-demand'));
  await check({ limit: 50, user: 'u3', device: 'd3' }, expect((e) => e.user === 'u3'));
  await check({ limit: 50, reason: '*3' }, expect((e) => e.trigger === 'on-demand'));
  const from = Date.UTC(2026, 10, 1, 2);
  await check({ limit: 500, fromMs: from, toMs: from + 600_000 }, expect((e) => Date.parse(e.startedAt) >= from && Date.parse(e.startedAt) < from + 600_000, 500));
  // Rare (a handful of trigram hits): the full-text plan.
  await check({ limit: 50, text: '5550001234' }, ['rec-1234']);
  await check({ limit: 50, text: '555000123' }, expect((e) => `${e.srcnum} ${e.dstnum}`.includes('555000123')));
  // Common (every inbound/outbound external number has 555): walks the time index.
  await check({ limit: 50, text: '555' }, expect((e) => `${e.srcnum} ${e.dstnum}`.includes('555')));
  await check({ limit: 50, text: '55' }, expect((e) => `${e.srcnum} ${e.dstnum}`.includes('55')), 'two characters');
  await check({ limit: 50, text: 'ÜNÏCODE' }, ['rec-7'], 'case-insensitive beyond ASCII');
  await check({ limit: 50, text: '100%_' }, ['rec-7'], 'wildcards are literal');
  await check({ limit: 50, text: '1%0' }, [], 'a % matches only a %');
  await check({ limit: 50, text: 'caller 12' }, expect((e) => e.callerName.toLowerCase().includes('caller 12')));
});

eachEngineIndex('the node filter: alone, with others, paged, and a node nobody has', async (t, index) => {
  await index.upsertMany(Array.from({ length: 600 }, (_, i) => entry(i)));
  const all = Array.from({ length: 600 }, (_, i) => entry(i)).reverse();
  t.ok(all.some((e) => e.node === 'pbx-a') && all.some((e) => e.node === 'pbx-b'), 'both nodes are in the data');
  t.same(await ids(index, { limit: 50, node: 'pbx-b' }), all.filter((e) => e.node === 'pbx-b').slice(0, 50).map((e) => e.id));
  t.same(
    await ids(index, { limit: 50, node: 'pbx-a', tenant: 'other', direction: 'outbound' }),
    all.filter((e) => e.node === 'pbx-a' && e.tenant === 'other' && e.direction === 'outbound').slice(0, 50).map((e) => e.id),
    'with tenant and direction',
  );
  const seen: string[] = [];
  let before: string | undefined;
  do {
    const page = await index.query({ limit: 70, node: 'pbx-b', before });
    seen.push(...page.recordings.map((r) => r.id));
    before = page.next ?? undefined;
  } while (before);
  t.same(seen, all.filter((e) => e.node === 'pbx-b').map((e) => e.id), 'every pbx-b recording once, across pages');
  t.same(await ids(index, { limit: 50, node: 'pbx' }), [], 'a prefix of a node is not the node');
  t.same(await ids(index, { limit: 50, node: 'pbx-c' }), []);
  t.equal((await index.query({ limit: 1000 })).recordings.length, 600, 'no node filter: every node');
});

eachEngineIndex('upserts: the journal replaces, storage keeps what it cannot tell; generations drop vanished objects', async (t, index) => {
  await index.upsert(entry(1, { state: 'finished', localPath: '/spool/1.wav', md5: 'aa'.repeat(16) }));
  await index.upsert(entry(1, { state: 'stored', localPath: undefined, md5: 'aa'.repeat(16) }));
  t.equal((await index.get('rec-1'))?.localPath, undefined, 'stored: the spool path is gone');
  t.equal((await index.get('rec-1'))?.state, 'stored');
  await index.upsert(entry(1, { md5: undefined, source: 'storage', callerName: 'Renamed' }));
  t.match(await index.get('rec-1'), { md5: 'aa'.repeat(16), callerName: 'Renamed', source: 'journal' }, 'a reindex keeps the MD5 and where it was first known from');
  t.same(await ids(index, { limit: 5, text: 'renamed' }), ['rec-1'], 'the search text follows');
  t.same(await ids(index, { limit: 5, text: 'caller 1' }), []);

  await index.upsert(entry(2));
  await index.upsert(entry(3, { state: 'finished' }));
  const gen = await index.beginGeneration();
  await index.upsert(entry(1, { source: 'storage' }));
  t.equal(await index.endGeneration(gen), 1, 'rec-2 was stored but storage no longer lists it');
  t.same((await ids(index, { limit: 10 })).sort(), ['rec-1', 'rec-3'], 'a recording not yet stored stays');
  t.same(await index.counts(), { total: 2, byState: { finished: 1, stored: 1 } });
});

eachEngine('a reindex generation keeps a row another process or node writes while it runs', async (t, place) => {
  const reindexer = await place.open();
  // Opened before the generation began: a generation cached at open would be the old one.
  const daemon = await place.open();
  await reindexer.upsertMany([entry(1), entry(2), entry(3)]);
  const gen = await reindexer.beginGeneration();
  await reindexer.upsert(entry(1, { source: 'storage' }));
  await daemon.upsert(entry(4));
  daemon.follow('rec-5', () => entry(5));
  await daemon.flush();
  await daemon.upsert(entry(3, { callerName: 'Stored again meanwhile' }));
  t.equal(await reindexer.endGeneration(gen), 1, 'only rec-2 (neither listed nor written since) is dropped');
  t.same((await ids(reindexer, { limit: 10 })).sort(), ['rec-1', 'rec-3', 'rec-4', 'rec-5'], 'what the other object wrote meanwhile stays');
  t.same((await ids(daemon, { limit: 10 })).sort(), ['rec-1', 'rec-3', 'rec-4', 'rec-5'], 'and it reads the same');
  t.ok((await reindexer.beginGeneration()) > gen, 'the next generation is newer');
});

eachEngineIndex('start-up sync: only journal entries the index lacks or has in an older state', async (t, index) => {
  await index.upsertMany([entry(1, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' }), entry(2, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' })]);
  const journal = [entry(1, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' }), entry(2, { journalUpdatedAt: '2026-11-24T10:05:00.000Z' }), entry(3, { journalUpdatedAt: '2026-11-24T10:00:00.000Z' })];
  t.same((await index.staleOf(journal)).map((e) => e.id), ['rec-2', 'rec-3']);
});

eachEngineIndex('upserts keep a hold and never undo a tombstone; retention skips held and deleted', async (t, index) => {
  await index.upsert(entry(1, { state: 'uploading' }));
  t.ok(await index.setHold('rec-1', HOLD));
  await index.upsert(entry(1, { state: 'stored' }));
  t.match(await index.get('rec-1'), { state: 'stored', hold: { reason: 'case 1' } }, 'the journal\'s next step keeps the hold');
  await index.upsert(entry(1, { source: 'storage', callerName: 'From storage' }));
  t.match(await index.get('rec-1'), { callerName: 'From storage', hold: { reason: 'case 1' } }, 'so does a reindex from storage');
  t.same((await index.retentionCandidates(Date.parse('2027-01-01'), 10)).entries, [], 'a held recording is no retention candidate');
  t.match(await index.setHold('rec-1', undefined), { id: 'rec-1' });
  t.equal((await index.get('rec-1'))?.hold, undefined, 'setHold clears it');
  t.same((await index.retentionCandidates(Date.parse('2027-01-01'), 10)).entries.map((e) => e.id), ['rec-1'], 'released: a candidate again');

  await index.upsert(entry(2));
  t.match(await index.markDeleted('rec-2', TOMBSTONE), { state: 'deleted', deleted: TOMBSTONE });
  t.equal(await index.markDeleted('rec-2', { ...TOMBSTONE, deletedBy: 'other', cause: 'retention' }), undefined, 'only one deletion turns it into a tombstone');
  t.equal(await index.markDeleted('rec-404', TOMBSTONE), undefined, 'an unknown id');
  await index.upsert(entry(2, { state: 'stored' }));
  await index.upsert(entry(2, { source: 'storage' }));
  t.match(await index.get('rec-2'), { state: 'deleted', deleted: { deletedBy: 'op', reason: 'asked' } });
  t.same(await ids(index, { limit: 10, state: 'deleted' }), ['rec-2']);
  t.same((await index.retentionCandidates(Date.parse('2027-01-01'), 10)).entries.map((e) => e.id), ['rec-1'], 'a tombstone is no retention candidate');
  const gen = await index.beginGeneration();
  t.equal(await index.endGeneration(gen), 1, 'a reindex that saw neither drops only the stored row, not the tombstone');
  t.equal((await index.get('rec-2'))?.state, 'deleted');
  t.equal(await index.setHold('rec-2', HOLD), undefined, 'no hold on a tombstone');
});

/** Every way a write reaches the index, from `writer`, of a recording `reader` deleted. */
async function writeEveryWay(writer: RecordingIndex, i: number): Promise<void> {
  await writer.upsert(entry(i, { state: 'stored' }));
  await writer.upsertMany([entry(i, { state: 'stored', callerName: 'Again' })]);
  await writer.upsert(entry(i, { source: 'storage' }));
  writer.follow(`rec-${i}`, () => entry(i, { state: 'stored' }));
  await writer.flush();
}

eachEngine('a tombstone stays against another index object\'s upserts (another process or node)', async (t: Test, place) => {
  const deleter = await place.open();
  const writer = await place.open();
  await writer.upsertMany([entry(1), entry(2)]);
  t.ok(await deleter.markDeleted('rec-1', TOMBSTONE));
  await writeEveryWay(writer, 1);
  t.match(await writer.get('rec-1'), { state: 'deleted', deleted: TOMBSTONE }, 'the writer reads the tombstone');
  t.match(await deleter.get('rec-1'), { state: 'deleted', callerName: 'Caller 1' }, 'and nothing it wrote landed');
  t.equal(await writer.markDeleted('rec-1', TOMBSTONE), undefined, 'nor can it delete it a second time');

  // At the same moment: upserts from one object racing deletions from the other. Whichever comes first,
  // a deletion that happened is what stays.
  const n = 40;
  const racing = Array.from({ length: n }, (_, k) => entry(100 + k, { state: 'uploading' }));
  await writer.upsertMany(racing);
  const [deleted] = await Promise.all([
    Promise.all(racing.map((e) => deleter.markDeleted(e.id, TOMBSTONE))),
    Promise.all(racing.map((e) => writer.upsert({ ...e, state: 'stored' }))),
    writer.upsertMany(racing.map((e) => ({ ...e, state: 'stored' as const }))),
  ]);
  t.equal(deleted.filter((d) => d !== undefined).length, n, 'every deletion found its recording');
  t.same(await writer.counts(), { total: n + 2, byState: { deleted: n + 1, stored: 1 } }, 'every one of them a tombstone');
});
