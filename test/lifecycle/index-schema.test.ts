/** Index schema 4: a schema-3 file is migrated in place (rows kept, searchable), tombstones and holds survive upserts. */
import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { RecordingIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';
import { tempDir } from '../helpers/storage-fixtures';

function entry(id: string, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return { id, callUuid: id, legUuid: id, startedAt: '2026-11-01T10:00:00.000Z', state: 'stored', direction: 'inbound', network: 'external', srcnum: '+15550001', dstnum: '1000', callerName: 'Zed', domain: 'acme.example', tenant: 'acme', node: 'pbx1', reasons: ['account'], trigger: 'rule', format: 'wav', key: `k/${id}.wav`, size: 10, source: 'journal', conversationId: id, segment: 1, ...over };
}

t.test('a schema-3 index is migrated in place: its rows stay, found by search; the audit table is new', async (t) => {
  const path = join(tempDir(t, 'fsrecd-index-v3-'), 'recordings.sqlite');
  const first = RecordingIndex.open(path);
  first.upsert(entry('old-1'));
  first.close();
  // Back to what schema 3 had: no held column, no retention index, no audit table.
  const raw = new Database(path);
  raw.exec('DROP INDEX recordings_retention; ALTER TABLE recordings DROP COLUMN held; DROP TABLE audit;');
  raw.pragma('user_version = 3');
  raw.close();

  const index = RecordingIndex.open(path);
  t.teardown(() => index.close());
  t.equal(index.rebuilt, false, 'migrated, not rebuilt');
  t.equal(index.get('old-1')?.callerName, 'Zed');
  t.same(index.query({ limit: 10, text: 'zed' }).recordings.map((e) => e.id), ['old-1']);
  t.ok(index.setHold('old-1', { reason: 'case', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false }));
  t.same(index.retentionCandidates(Date.parse('2026-12-01'), 10).entries, [], 'a held recording is no retention candidate');
  t.equal(index.audit.append({ at: '2026-11-02T00:00:00.000Z', action: 'hold', recordingId: 'old-1', tenant: 'acme', actor: 'op', from: 'cli', outcome: 'ok' }).seq, 1);
  const raw2 = new Database(path, { readonly: true });
  t.equal(raw2.pragma('user_version', { simple: true }), 4);
  raw2.close();
});

t.test('upserts keep a hold and never undo a tombstone', async (t) => {
  const index = RecordingIndex.open(':memory:');
  t.teardown(() => index.close());
  index.upsert(entry('h', { state: 'uploading' }));
  index.setHold('h', { reason: 'case 1', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false });
  index.upsert(entry('h', { state: 'stored' }));
  t.match(index.get('h'), { state: 'stored', hold: { reason: 'case 1' } }, 'the journal\'s next step keeps the hold');
  index.upsert(entry('h', { source: 'storage', callerName: 'From storage' }));
  t.match(index.get('h'), { callerName: 'From storage', hold: { reason: 'case 1' } }, 'so does a reindex from storage');

  index.upsert(entry('d'));
  t.ok(index.markDeleted('d', { deletedAt: '2026-11-03T00:00:00.000Z', deletedBy: 'op', reason: 'asked', cause: 'request' }));
  t.equal(index.markDeleted('d', { deletedAt: '2026-11-04T00:00:00.000Z', deletedBy: 'other', reason: 'again', cause: 'retention' }), undefined, 'only one deletion turns it into a tombstone');
  index.upsert(entry('d', { state: 'stored' }));
  index.upsert(entry('d', { source: 'storage' }));
  t.match(index.get('d'), { state: 'deleted', deleted: { deletedBy: 'op', reason: 'asked' } });
  t.same(index.query({ limit: 10, state: 'deleted' }).recordings.map((e) => e.id), ['d']);
  const gen = index.beginGeneration();
  t.equal(index.endGeneration(gen), 1, 'a reindex that did not see them drops only the stored row (h), not the tombstone');
  t.equal(index.get('d')?.state, 'deleted');
  t.equal(index.setHold('d', { reason: 'x', by: 'op', at: '2026-11-05T00:00:00.000Z', objectLock: false }), undefined, 'no hold on a tombstone');
});
