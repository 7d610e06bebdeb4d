/**
 * The SQLite file's schema (5): a schema-3 or schema-4 file is migrated in place (rows kept, searchable,
 * the node column filled from each row's document), and a read-only open (the CLI) reads a file an older
 * daemon has not migrated yet. SQLite only: these are the embedded engine's files (PostgreSQL's migrations
 * are test/recordings/postgres-migrations.test.ts; the hold and tombstone rules of every engine are in
 * test/recordings/index-db.test.ts).
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';
import { tempDir } from '../helpers/storage-fixtures';

function entry(id: string, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return { id, callUuid: id, legUuid: id, startedAt: '2026-11-01T10:00:00.000Z', state: 'stored', direction: 'inbound', network: 'external', srcnum: '+15550001', dstnum: '1000', callerName: 'Zed', domain: 'acme.example', tenant: 'acme', node: 'pbx1', reasons: ['account'], trigger: 'rule', format: 'wav', key: `k/${id}.wav`, size: 10, source: 'journal', conversationId: id, segment: 1, ...over };
}

function userVersion(path: string): unknown {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.pragma('user_version', { simple: true });
  } finally {
    raw.close();
  }
}

/** A file as schema 4 left it (no node column or index), holding `entries`. */
async function schema4File(t: Parameters<typeof tempDir>[0], entries: RecordingEntry[]): Promise<string> {
  const path = join(tempDir(t, 'fsrecd-index-v4-'), 'recordings.sqlite');
  const first = SqliteIndex.open(path);
  await first.upsertMany(entries);
  await first.close();
  const raw = new Database(path);
  raw.exec('DROP INDEX recordings_by_node; ALTER TABLE recordings DROP COLUMN node;');
  raw.pragma('user_version = 4');
  raw.close();
  return path;
}

t.test('a schema-3 index is migrated in place: its rows stay, found by search and by node; the audit table is new', async (t) => {
  const path = join(tempDir(t, 'fsrecd-index-v3-'), 'recordings.sqlite');
  const first = SqliteIndex.open(path);
  await first.upsert(entry('old-1'));
  await first.close();
  // Back to what schema 3 had: no held or node column, no retention or node index, no audit table.
  const raw = new Database(path);
  raw.exec('DROP INDEX recordings_retention; DROP INDEX recordings_by_node; ALTER TABLE recordings DROP COLUMN held; ALTER TABLE recordings DROP COLUMN node; DROP TABLE audit;');
  raw.pragma('user_version = 3');
  raw.close();

  const index = SqliteIndex.open(path);
  t.teardown(() => index.close());
  t.equal(index.rebuilt, false, 'migrated, not rebuilt');
  t.equal((await index.get('old-1'))?.callerName, 'Zed');
  t.same((await index.query({ limit: 10, text: 'zed' })).recordings.map((e) => e.id), ['old-1']);
  t.same((await index.query({ limit: 10, node: 'pbx1' })).recordings.map((e) => e.id), ['old-1'], 'the node, from the row\'s document');
  t.ok(await index.setHold('old-1', { reason: 'case', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false }));
  t.same((await index.retentionCandidates(Date.parse('2026-12-01'), 10)).entries, [], 'a held recording is no retention candidate');
  t.equal((await index.audit.append({ at: '2026-11-02T00:00:00.000Z', action: 'hold', recordingId: 'old-1', tenant: 'acme', actor: 'op', from: 'cli', outcome: 'ok' })).seq, 1);
  t.equal(userVersion(path), 5);
});

t.test('a schema-4 index is migrated in place: the node of every row from its document, a hold kept', async (t) => {
  const path = await schema4File(t, [entry('a', { node: 'pbx-a' }), entry('b', { node: 'pbx-b', startedAt: '2026-11-01T10:01:00.000Z' }), entry('c', { node: 'pbx-a', startedAt: '2026-11-01T10:02:00.000Z' })]);
  const held = new Database(path);
  // A hold set under schema 4 (the flag and the document, as setHold wrote them then).
  const doc = JSON.stringify({ ...entry('c', { node: 'pbx-a', startedAt: '2026-11-01T10:02:00.000Z' }), conversationId: 'c', segment: 1, hold: { reason: 'case 4', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false } });
  held.prepare("UPDATE recordings SET held = 1, doc = ? WHERE id = 'c'").run(doc);
  held.close();

  const index = SqliteIndex.open(path);
  t.teardown(() => index.close());
  t.equal(index.rebuilt, false, 'migrated, not rebuilt');
  t.equal(userVersion(path), 5);
  t.same((await index.query({ limit: 10, node: 'pbx-a' })).recordings.map((e) => e.id), ['c', 'a']);
  t.same((await index.query({ limit: 10, node: 'pbx-b' })).recordings.map((e) => e.id), ['b']);
  t.same((await index.conversations({ limit: 10, node: 'pbx-b' })).conversations.map((c) => c.conversationId), ['b']);
  t.match(await index.get('c'), { hold: { reason: 'case 4' } });
  await index.upsert(entry('c', { node: 'pbx-a', callerName: 'Later step' }));
  t.match(await index.get('c'), { callerName: 'Later step', hold: { reason: 'case 4' } }, 'the hold survives the next upsert');
  const plan = new Database(path, { readonly: true });
  t.teardown(() => plan.close());
  const detail = (plan.prepare("EXPLAIN QUERY PLAN SELECT seq FROM recordings WHERE node = 'pbx-a' ORDER BY started_ms DESC").all() as { detail: string }[]).map((r) => r.detail).join('\n');
  t.match(detail, /recordings_by_node/, 'the node filter has its index');
});

t.test('a read-only open (the CLI) reads a schema-4 file an older daemon has not migrated', async (t) => {
  const path = await schema4File(t, [entry('a'), entry('b', { startedAt: '2026-11-01T10:01:00.000Z' })]);
  const reader = SqliteIndex.open(path, { readonly: true });
  t.teardown(() => reader.close());
  t.same((await reader.query({ limit: 10 })).recordings.map((e) => e.id), ['b', 'a']);
  t.equal((await reader.get('a'))?.node, 'pbx1', 'the document has the node');
  t.same(await reader.counts(), { total: 2, byState: { stored: 2 } });
  await t.rejects(reader.query({ limit: 10, node: 'pbx1' }), /older fsrecd without nodes: start the daemon once/, 'the node filter says why it cannot work yet');
  t.equal(userVersion(path), 4, 'a reader changes nothing');
});
