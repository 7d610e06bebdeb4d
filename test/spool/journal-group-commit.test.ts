/**
 * Group commit (#15.1): journal writes queued together share one fsync of the directory, and nothing is
 * weakened: an entry is durable (promise resolved, listener told, durableState set) only after its own
 * rename and that directory fsync; a failed write fails its own entry; a failed directory fsync fails the
 * group. CountingFaults/FailAt are the crash-point layer the daemon runs with.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CountingFaults, FailAt, type CrashPoint } from '../../src/durability/faults';
import { Journal, entryFileName, type JournalEntry } from '../../src/spool/journal';
import { recordingMeta, tempDir } from '../helpers/storage-fixtures';

function entry(dir: string, id: string, state: JournalEntry['state'] = 'finished'): JournalEntry {
  return { id, state, meta: recordingMeta(dir, id, `acme/${id}.wav`), key: `acme/${id}.wav`, attempts: 0, updatedAt: '' };
}

t.test('ten entries written in one turn share one directory fsync; each is renamed and fsync\'d on its own', async (t) => {
  const dir = tempDir(t, 'fsrecd-group-');
  const faults = new CountingFaults();
  const heard: string[] = [];
  const journal = new Journal(join(dir, 'journal'), (e) => heard.push(e.id), faults);
  await journal.load(() => undefined);
  const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
  const writes = ids.map((id) => journal.put(entry(dir, id)));
  t.same(heard, [], 'nobody hears of an entry before it is durable');
  t.equal(journal.durableState('r0'), undefined);
  await Promise.all(writes);
  const hits = (p: CrashPoint): number => faults.hits.get(p) ?? 0;
  t.equal(hits('journal.write-temp'), 10, 'a temp file per entry');
  t.equal(hits('journal.fsync-temp'), 10, 'an fsync per entry');
  t.equal(hits('journal.rename'), 10, 'a rename per entry');
  t.equal(hits('journal.fsync-dir'), 1, 'one directory fsync for all ten');
  t.same(heard.sort(), ids, 'each heard once durable');
  for (const id of ids) {
    t.equal(journal.durableState(id), 'finished');
    t.equal((JSON.parse(readFileSync(join(dir, 'journal', entryFileName(id)), 'utf8')) as JournalEntry).state, 'finished');
  }
  t.same(readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');

  // Written one after another (each awaited), every write pays its own directory fsync: nothing waits.
  await journal.put(entry(dir, 'r0', 'uploading'));
  await journal.put(entry(dir, 'r1', 'uploading'));
  t.equal(hits('journal.fsync-dir'), 3, 'a lone write is not held back for a group');
});

t.test('a write that fails fails only its entry; a failed directory fsync fails the whole group', async (t) => {
  const dir = tempDir(t, 'fsrecd-group-');
  // The second temp file written hits a full disk.
  const full = new FailAt({ point: 'journal.write-temp', hit: 2 }, 'ENOSPC', 1);
  const journal = new Journal(join(dir, 'journal'), undefined, full);
  await journal.load(() => undefined);
  const results = await Promise.allSettled(['a', 'b', 'c'].map((id) => journal.put(entry(dir, id))));
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.match((results[1] as PromiseRejectedResult).reason, { code: 'ENOSPC' });
  t.equal(journal.durableState('b'), undefined, 'the failed entry is not durable');
  t.equal(journal.durableState('a'), 'finished');
  t.same(readdirSync(join(dir, 'journal')).sort(), ['a.json', 'c.json'], 'its temp file is gone, the others landed');

  const dir2 = tempDir(t, 'fsrecd-group-');
  const heard: string[] = [];
  const dirFails = new FailAt({ point: 'journal.fsync-dir', hit: 1 }, 'EIO', 1);
  const j2 = new Journal(join(dir2, 'journal'), (e) => heard.push(e.id), dirFails);
  await j2.load(() => undefined);
  const r2 = await Promise.allSettled(['a', 'b'].map((id) => j2.put(entry(dir2, id))));
  t.same(r2.map((r) => r.status), ['rejected', 'rejected'], 'renamed, but not durable without the directory fsync');
  t.same(heard, [], 'nobody was told');
  t.equal(j2.durableState('a'), undefined);
  await Promise.all(['a', 'b'].map((id) => j2.flush(id)));
  t.same(heard.sort(), ['a', 'b'], 'the retry lands both');
});
