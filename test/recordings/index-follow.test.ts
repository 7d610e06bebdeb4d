/**
 * The index following the journal in batches (RecordingIndex.follow), on both engines (engines.ts): what
 * this process reads is never behind what it was told, another index object (process or node) sees it once
 * the batch is written, a recording's steps in one batch are one write of the last, and the tombstone and
 * hold rules of upsert hold for followed steps too. At the end, SQLite-only: a read-only open (the CLI) and
 * the trigram trigger of an older file.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';
import { waitFor } from '../helpers/wait-for';
import { eachEngine, eachEngineIndex } from './engines';

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

const TOMBSTONE = { deletedAt: '2026-11-02T00:00:00.000Z', deletedBy: 'admin', reason: 'request', cause: 'request' } as const;

async function ids(index: { query: (q: { limit: number; text: string }) => Promise<{ recordings: RecordingEntry[] }> }, text: string): Promise<string[]> {
  return (await index.query({ limit: 10, text })).recordings.map((r) => r.id);
}

eachEngine('a followed step: read at once here, written for another index object without any read here', async (t, place) => {
  const index = await place.open();
  const reader = await place.open();
  index.follow('a', () => entry('a'));
  t.equal(index.followPending, 1, 'queued, not written in the caller\'s turn');
  index.follow('b', () => entry('b'));
  t.equal((await index.get('a'))?.state, 'recording', 'this process reads it at once');
  t.equal(index.followPending, 0, 'the read wrote the whole queue');
  t.equal((await reader.get('b'))?.state, 'recording', 'and so another object sees the other step too');
  index.follow('a', () => entry('a', { state: 'finished' }));
  await waitFor(async () => (await reader.get('a'))?.state === 'finished', 'the batch written with nothing reading in this process');
  t.equal(index.followPending, 0);
});

eachEngineIndex('the steps of one recording in a batch are one write of the last; only the last is built', async (t, index) => {
  const built: string[] = [];
  for (const state of ['recording', 'finished', 'uploading', 'stored'] as const) {
    index.follow('a', () => {
      built.push(state);
      return entry('a', { state });
    });
  }
  t.equal(index.followPending, 1);
  t.equal((await index.get('a'))?.state, 'stored');
  t.same(built, ['stored'], 'earlier steps were never turned into entries');
});

eachEngineIndex('a tombstone stays and a hold is kept whatever a followed step says', async (t, index) => {
  await index.upsert(entry('dead', { state: 'stored' }));
  await index.upsert(entry('held', { state: 'finished' }));
  t.ok(await index.markDeleted('dead', TOMBSTONE));
  const hold = { at: '2026-11-02T00:00:00.000Z', by: 'legal', reason: 'case 7', objectLock: false };
  t.ok(await index.setHold('held', hold));
  index.follow('dead', () => entry('dead', { state: 'stored' }));
  index.follow('held', () => entry('held', { state: 'stored' }));
  t.equal((await index.get('dead'))?.state, 'deleted', 'a late journal step does not bring a deleted recording back');
  t.same((await index.get('held'))?.hold, hold, 'the hold survives the journal\'s step');
  t.equal((await index.get('held'))?.state, 'stored', 'and the step itself landed');
});

eachEngineIndex('a step queued before a delete is written before it: the delete wins', async (t, index) => {
  await index.upsert(entry('a', { state: 'finished' }));
  index.follow('a', () => entry('a', { state: 'stored' }));
  t.ok(await index.markDeleted('a', TOMBSTONE), 'the delete finds the entry');
  t.equal(index.followPending, 0, 'nothing left queued');
  t.equal((await index.get('a'))?.state, 'deleted');
});

eachEngineIndex('one entry that cannot be built or written keeps none of the others out, and is reported', async (t, index) => {
  const failures: string[] = [];
  index.onFollowError = (id) => failures.push(id);
  index.follow('a', () => entry('a'));
  index.follow('bad', () => {
    throw new Error('broken entry');
  });
  index.follow('c', () => entry('c'));
  await waitFor(() => index.followPending === 0 && failures.length > 0, 'the batch written');
  t.same(failures, ['bad']);
  t.equal((await index.get('a'))?.state, 'recording');
  t.equal((await index.get('c'))?.state, 'recording');
});

eachEngine('close writes what is queued', async (t, place) => {
  const index = await place.open();
  index.follow('a', () => entry('a', { state: 'finished' }));
  await index.close();
  const again = await place.open();
  t.equal((await again.get('a'))?.state, 'finished');
});

eachEngine('a burst larger than one batch is written in slices, all of it', async (t, place) => {
  const index = await place.open();
  const reader = await place.open();
  for (let i = 0; i < 1000; i++) index.follow(`r${i}`, () => entry(`r${i}`));
  await waitFor(async () => (await reader.counts()).total === 1000, 'every entry of the burst');
  t.equal(index.followPending, 0);
});

eachEngineIndex('search text: found after a step that keeps it, the new text after one that changes it', async (t, index) => {
  index.follow('a', () => entry('a'));
  index.follow('b', () => entry('b', { callerName: 'Someone Else' }));
  t.same(await ids(index, 'caller'), ['a']);
  index.follow('a', () => entry('a', { state: 'stored' }));
  t.same(await ids(index, 'caller'), ['a'], 'a state change keeps the text found, once');
  index.follow('a', () => entry('a', { state: 'stored', callerName: 'Renamed Person' }));
  t.same(await ids(index, 'caller'), [], 'the old name is gone');
  t.same(await ids(index, 'renamed'), ['a']);
});

// SQLite only from here: a read-only open of the file (the CLI) and the file's trigram trigger.

function tempPath(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-follow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'recordings.sqlite');
}

t.test('sqlite: a read-only open (the CLI) sees a followed step only once the batch is written', async (t) => {
  const path = tempPath(t);
  const index = SqliteIndex.open(path);
  t.teardown(() => index.close());
  const reader = SqliteIndex.open(path, { readonly: true });
  t.teardown(() => reader.close());
  index.follow('a', () => entry('a'));
  // SQLite answers in the caller's turn, before the batch timer can fire: the step is not written yet.
  t.equal(await reader.get('a'), undefined, 'another process does not see it yet');
  await waitFor(async () => (await reader.get('a'))?.state === 'recording', 'the batch written with nothing reading in the writer');
  index.follow('a', () => entry('a', { state: 'finished' }));
  await index.close();
  t.equal((await reader.get('a'))?.state, 'finished', 'close wrote the queue');
});

t.test('sqlite: a file whose text trigger fired on every update gets the one that fires on a change', async (t) => {
  const path = tempPath(t);
  const index = SqliteIndex.open(path);
  await index.upsert(entry('a'));
  await index.close();
  const db = new Database(path);
  db.exec(`DROP TRIGGER recordings_text_au; CREATE TRIGGER recordings_text_au AFTER UPDATE OF search ON recordings BEGIN
    INSERT INTO recordings_text(recordings_text, rowid, search) VALUES ('delete', old.seq, old.search);
    INSERT INTO recordings_text(rowid, search) VALUES (new.seq, new.search);
  END;`);
  db.close();
  const reopened = SqliteIndex.open(path);
  t.teardown(() => reopened.close());
  const check = new Database(path, { readonly: true });
  t.teardown(() => check.close());
  const sql = (check.prepare("SELECT sql FROM sqlite_master WHERE name = 'recordings_text_au'").get() as { sql: string }).sql;
  t.match(sql, /WHEN old\.search IS NOT new\.search/);
  await reopened.upsert(entry('a', { state: 'stored' }));
  t.same(await ids(reopened, 'caller'), ['a']);
});
