/**
 * The index following the journal in batches (RecordingIndex.follow): what this process reads is never
 * behind what it was told, another process sees it once the batch is written, a recording's steps in one
 * batch are one write of the last, and the tombstone and hold rules of upsert hold for followed steps too.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RecordingIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';
import { waitFor } from '../helpers/wait-for';

function entry(id: string, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return {
    id,
    callUuid: `call-${id}`,
    legUuid: `call-${id}`,
    startedAt: '2026-11-01T10:00:00.000Z',
    state: 'recording',
    direction: 'inbound',
    network: 'external',
    srcnum: '+15550001111',
    dstnum: '1001',
    callerName: 'Caller',
    user: '1001',
    device: '1001-desk',
    domain: 'acme.example',
    tenant: 'acme',
    node: 'pbx',
    reasons: ['account acme on'],
    trigger: 'rule',
    format: 'wav',
    key: `k/${id}.wav`,
    source: 'journal',
    conversationId: `call-${id}`,
    segment: 1,
    ...over,
  };
}

function tempIndex(t: { teardown(fn: () => void): void }): { path: string; index: RecordingIndex } {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-follow-'));
  const path = join(dir, 'recordings.sqlite');
  const index = RecordingIndex.open(path);
  t.teardown(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, index };
}

t.test('a followed step: read at once here, written for other processes without any read here', async (t) => {
  const { path, index } = tempIndex(t);
  const reader = RecordingIndex.open(path, { readonly: true });
  t.teardown(() => reader.close());
  index.follow('a', () => entry('a'));
  t.equal(index.followPending, 1, 'queued, not written in the caller\'s turn');
  t.equal(reader.get('a'), undefined, 'another process does not see it yet');
  index.follow('b', () => entry('b'));
  t.equal(index.get('a')?.state, 'recording', 'this process reads it at once');
  t.equal(index.followPending, 0, 'the read wrote the whole queue');
  t.equal(reader.get('b')?.state, 'recording', 'and so another process sees the other step too');
  index.follow('a', () => entry('a', { state: 'finished' }));
  await waitFor(() => reader.get('a')?.state === 'finished', 'the batch written with nothing reading in this process');
  t.equal(index.followPending, 0);
});

t.test('the steps of one recording in a batch are one write of the last; only the last is built', async (t) => {
  const { index } = tempIndex(t);
  const built: string[] = [];
  for (const state of ['recording', 'finished', 'uploading', 'stored'] as const) {
    index.follow('a', () => {
      built.push(state);
      return entry('a', { state });
    });
  }
  t.equal(index.followPending, 1);
  t.equal(index.get('a')?.state, 'stored');
  t.same(built, ['stored'], 'earlier steps were never turned into entries');
});

t.test('a tombstone stays and a hold is kept whatever a followed step says', async (t) => {
  const { index } = tempIndex(t);
  index.upsert(entry('dead', { state: 'stored' }));
  index.upsert(entry('held', { state: 'finished' }));
  t.ok(index.markDeleted('dead', { deletedAt: '2026-11-02T00:00:00.000Z', deletedBy: 'admin', reason: 'request', cause: 'request' }));
  const hold = { at: '2026-11-02T00:00:00.000Z', by: 'legal', reason: 'case 7', objectLock: false };
  t.ok(index.setHold('held', hold));
  index.follow('dead', () => entry('dead', { state: 'stored' }));
  index.follow('held', () => entry('held', { state: 'stored' }));
  t.equal(index.get('dead')?.state, 'deleted', 'a late journal step does not bring a deleted recording back');
  t.same(index.get('held')?.hold, hold, 'the hold survives the journal\'s step');
  t.equal(index.get('held')?.state, 'stored', 'and the step itself landed');
});

t.test('a step queued before a delete is written before it: the delete wins', async (t) => {
  const { index } = tempIndex(t);
  index.upsert(entry('a', { state: 'finished' }));
  index.follow('a', () => entry('a', { state: 'stored' }));
  t.ok(index.markDeleted('a', { deletedAt: '2026-11-02T00:00:00.000Z', deletedBy: 'admin', reason: 'request', cause: 'request' }), 'the delete finds the entry');
  await waitFor(() => index.followPending === 0 && index.get('a'), 'nothing left queued');
  t.equal(index.get('a')?.state, 'deleted');
});

t.test('one entry that cannot be built or written keeps none of the others out, and is reported', async (t) => {
  const { index } = tempIndex(t);
  const failures: string[] = [];
  index.onFollowError = (id) => failures.push(id);
  index.follow('a', () => entry('a'));
  index.follow('bad', () => {
    throw new Error('broken entry');
  });
  index.follow('c', () => entry('c'));
  await waitFor(() => index.followPending === 0 && failures.length > 0, 'the batch written');
  t.same(failures, ['bad']);
  t.equal(index.get('a')?.state, 'recording');
  t.equal(index.get('c')?.state, 'recording');
});

t.test('close writes what is queued', async (t) => {
  const { path, index } = tempIndex(t);
  index.follow('a', () => entry('a', { state: 'finished' }));
  index.close();
  const again = RecordingIndex.open(path, { readonly: true });
  t.teardown(() => again.close());
  t.equal(again.get('a')?.state, 'finished');
});

t.test('a burst larger than one batch is written in slices, all of it', async (t) => {
  const { path, index } = tempIndex(t);
  const reader = RecordingIndex.open(path, { readonly: true });
  t.teardown(() => reader.close());
  for (let i = 0; i < 1000; i++) index.follow(`r${i}`, () => entry(`r${i}`));
  await waitFor(() => reader.counts().total === 1000, 'every entry of the burst');
  t.equal(index.followPending, 0);
});

t.test('search text: found after a step that keeps it, the new text after one that changes it', async (t) => {
  const { index } = tempIndex(t);
  index.follow('a', () => entry('a'));
  index.follow('b', () => entry('b', { callerName: 'Someone Else' }));
  t.same(index.query({ limit: 10, text: 'caller' }).recordings.map((r) => r.id), ['a']);
  index.follow('a', () => entry('a', { state: 'stored' }));
  t.same(index.query({ limit: 10, text: 'caller' }).recordings.map((r) => r.id), ['a'], 'a state change keeps the text found, once');
  index.follow('a', () => entry('a', { state: 'stored', callerName: 'Renamed Person' }));
  t.same(index.query({ limit: 10, text: 'caller' }).recordings.map((r) => r.id), [], 'the old name is gone');
  t.same(index.query({ limit: 10, text: 'renamed' }).recordings.map((r) => r.id), ['a']);
});

t.test('a file whose text trigger fired on every update gets the one that fires on a change', async (t) => {
  const { path, index } = tempIndex(t);
  index.upsert(entry('a'));
  index.close();
  const db = new Database(path);
  db.exec(`DROP TRIGGER recordings_text_au; CREATE TRIGGER recordings_text_au AFTER UPDATE OF search ON recordings BEGIN
    INSERT INTO recordings_text(recordings_text, rowid, search) VALUES ('delete', old.seq, old.search);
    INSERT INTO recordings_text(rowid, search) VALUES (new.seq, new.search);
  END;`);
  db.close();
  const reopened = RecordingIndex.open(path);
  t.teardown(() => reopened.close());
  const check = new Database(path, { readonly: true });
  t.teardown(() => check.close());
  const sql = (check.prepare("SELECT sql FROM sqlite_master WHERE name = 'recordings_text_au'").get() as { sql: string }).sql;
  t.match(sql, /WHEN old\.search IS NOT new\.search/);
  reopened.upsert(entry('a', { state: 'stored' }));
  t.same(reopened.query({ limit: 10, text: 'caller' }).recordings.map((r) => r.id), ['a']);
});
