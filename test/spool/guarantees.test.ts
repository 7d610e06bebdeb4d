/**
 * The spool's promises under the faults issue #11 found, each against a real directory and journal:
 * only the verified file is deleted (2), journal writes that fail are retried and shown (5), one owner
 * of a spool (7), writes to one entry serialised (8), no adoption of a file FreeSWITCH still writes (10),
 * the daemon's own state never scanned (4).
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrashAt, FailAt, type Faults } from '../../src/durability/faults';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { entryFileName, Journal, type JournalEntry } from '../../src/spool/journal';
import { removeVerifiedCopy } from '../../src/spool/stored-copy';
import { acquireSpoolLock, LOCK_FILE, SpoolLockedError } from '../../src/spool/lock';
import { Spool, type SpoolOptions } from '../../src/spool/spool';
import { LocalTarget } from '../../src/storage/local-target';
import { waitFor } from '../helpers/wait-for';

const upload = { concurrency: 2, retryMinMs: 5, retryMaxMs: 20, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 50, healthMaxBacklog: 500 };

function setup(t: { teardown(fn: () => unknown): void }): { dir: string; spoolDir: string; stateDir: string; stored: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-guarantee-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  return { dir, spoolDir, stateDir: join(dir, 'state'), stored: join(dir, 'stored') };
}

function meta(spoolDir: string, name: string, id = `rec-${name}`): RecordingMeta {
  return { id, callUuid: 'c', legUuid: 'l', path: join(spoolDir, name), relativePath: name, format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 't', node: 'n', reasons: ['r'], onDemand: false, startedAt: new Date().toISOString() };
}

/** Where a recording is stored without storage.key_template: its node, then its relative path. */
function keyOf(m: RecordingMeta): string {
  return `${m.node}/${m.relativePath}`;
}

function aged(path: string, ms = 60_000): void {
  const old = new Date(Date.now() - ms);
  utimesSync(path, old, old);
}

async function spoolWith(t: { teardown(fn: () => unknown): void }, opts: Partial<SpoolOptions> & Pick<SpoolOptions, 'stateDir' | 'spoolDir' | 'target'>): Promise<Spool> {
  const spool = await Spool.open({ upload, log: silentLogger(), metrics: new Metrics(), ...opts });
  t.teardown(() => spool.stop(100));
  return spool;
}

t.test('a new file at the path of an already stored recording is kept and stored as its own recording (2)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  const target = new LocalTarget(stored);
  const spool = await spoolWith(t, { stateDir, spoolDir, target, upload: { ...upload, keepLocalDays: 1 } });
  await spool.start();
  // No node known (as for a file the scan adopted): the new file, adopted with no node either, wants the very
  // same key, so the no-replace rule is what keeps the first object.
  const first = { ...meta(spoolDir, 'same.wav', 'first'), node: '' };
  writeFileSync(first.path, 'first recording');
  await spool.started(first);
  await spool.finished(first, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  await waitFor(() => spool.journal.entries.get('first')?.state === 'stored', 'first stored');
  // keep_local_days: 1 kept the verified copy. FreeSWITCH now writes a new file at the same path.
  rmSync(first.path);
  writeFileSync(first.path, 'a second, different recording at the same path');
  aged(first.path, 3 * 86_400_000);
  await spool.scan();
  t.ok(existsSync(first.path), 'the new file is not deleted as "already stored", however old its mtime');
  await waitFor(() => [...spool.journal.entries.values()].some((e) => e.adopted && e.state === 'stored'), 'the new file is adopted and stored');
  const adopted = [...spool.journal.entries.values()].find((e) => e.adopted);
  const firstKey = spool.journal.entries.get('first')?.key ?? '';
  t.equal(firstKey, first.relativePath, 'the first: its relative path, no node to put before it');
  t.not(adopted?.key, firstKey, 'stored under its own key: the first object is not replaced');
  t.equal(readFileSync(join(stored, firstKey), 'utf8'), 'first recording', 'the first stored object is intact');
  t.equal(readFileSync(join(stored, adopted?.key ?? ''), 'utf8'), 'a second, different recording at the same path');
});

t.test('only the very file that was verified is deleted: a file that changed after verification stays (2)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), upload: { ...upload, keepLocalDays: 1 } });
  await spool.start();
  const m = meta(spoolDir, 'grow.wav');
  writeFileSync(m.path, 'audio');
  await spool.started(m);
  await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  await waitFor(() => spool.journal.entries.get(m.id)?.state === 'stored', 'stored');
  const verified = spool.journal.entries.get(m.id)?.verified;
  t.equal(verified?.ino, statSync(m.path).ino, 'the journal records the verified file identity');
  writeFileSync(m.path, 'audio and more audio written later');
  aged(m.path, 3 * 86_400_000);
  await spool.scan();
  t.ok(existsSync(m.path), 'a grown file is not the verified one and is not deleted');
});

t.test('a failing journal write (ENOSPC) is retried until it lands; status and health show it meanwhile; nothing is lost (5)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  // The 2nd to 7th journal writes fail with ENOSPC: "finished" and later steps hit a full disk.
  const faults = new FailAt({ point: 'journal.write-temp', hit: 2 }, 'ENOSPC', 6);
  const metrics = new Metrics();
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), faults, metrics, upload: { ...upload, retryMinMs: 30, retryMaxMs: 60 } });
  await spool.start();
  const m = meta(spoolDir, 'full.wav');
  writeFileSync(m.path, 'audio while the disk is full');
  await spool.started(m);
  await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  const during = spool.status();
  t.equal(during.journalWritesFailing, 1, 'the entry whose write failed is counted');
  t.match(during.problems.join('\n'), /journal entry not written .*ENOSPC/, 'status names the problem');
  t.match(metrics.render(), /fsrecd_journal_write_failures_total \d+/, 'and a metric counts it');
  await waitFor(() => spool.journal.durableState(m.id) === 'stored' && spool.status().journalWritesFailing === 0 && !existsSync(m.path), 'stored once the disk has room, then the local copy removed');
  const onDisk = JSON.parse(readFileSync(join(stateDir, 'journal', entryFileName(m.id)), 'utf8')) as { state: string };
  t.equal(onDisk.state, 'stored', 'the journal on disk says stored');
  t.equal(readFileSync(join(stored, keyOf(m)), 'utf8'), 'audio while the disk is full');
  t.notOk(existsSync(m.path), 'the local copy went only after a durable "stored"');
  t.same(spool.status().problems, [], 'no problem left');
});

t.test('while "stored" cannot be journaled, the local file is not deleted (5)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  const m = meta(spoolDir, 'keep.wav');
  writeFileSync(m.path, 'audio');
  // Writes: recording(1), finished(2), uploading(3), stored(4+): "stored" fails for good.
  const faults = new FailAt({ point: 'journal.write-temp', hit: 4 }, 'EIO', Number.POSITIVE_INFINITY);
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), faults });
  await spool.start();
  await spool.started(m);
  await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  await waitFor(() => spool.status().journalWritesFailing === 1 && (faults.hits.get('journal.write-temp') ?? 0) >= 6, 'stored journal write retried a few times');
  t.ok(existsSync(join(stored, keyOf(m))), 'the object is stored');
  t.ok(existsSync(m.path), 'but the local file stays while the journal cannot say so');
});

t.test('journal writes to one entry are serialised: 50 concurrent puts leave valid JSON holding the last state (8)', async (t) => {
  const { stateDir, spoolDir } = setup(t);
  const journal = new Journal(join(stateDir, 'journal'));
  await journal.load(() => undefined);
  const m = meta(spoolDir, 'race.wav');
  for (let round = 0; round < 50; round++) {
    const writes = ['recording', 'finished', 'uploading', 'stored'].map((state, i) => journal.put({ id: m.id, state: state as 'stored', meta: m, key: 'k', attempts: round * 10 + i, updatedAt: '' }));
    await Promise.all(writes);
    const onDisk = JSON.parse(readFileSync(join(stateDir, 'journal', entryFileName(m.id)), 'utf8')) as { state: string; attempts: number };
    t.same([onDisk.state, onDisk.attempts], ['stored', round * 10 + 3], `round ${round}: the last put wins`);
  }
  t.same(readdirSync(join(stateDir, 'journal')).filter((f) => f.endsWith('.tmp')), [], 'no temp file left behind');
});

t.test('a file FreeSWITCH still records is never adopted, however long it has not grown (10)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  let recorded: ReadonlySet<string> | undefined;
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), recordedPaths: async () => recorded });
  const held = join(spoolDir, 'held-call.wav');
  writeFileSync(held, 'a held call: no audio for a while');
  aged(held, 10 * 60_000);
  recorded = new Set([held]);
  await spool.start();
  await spool.scan();
  t.equal(spool.journal.byPath(held), undefined, 'FreeSWITCH lists it as recording: left alone');
  recorded = undefined;
  await spool.scan();
  t.equal(spool.journal.byPath(held), undefined, 'FreeSWITCH cannot be asked: left alone too');
  recorded = new Set();
  await spool.scan();
  await waitFor(() => spool.journal.byPath(held)?.state === 'stored', 'adopted once FreeSWITCH no longer records it');
});

t.test('the spool walker never enters state_dir or a local storage dir below spool_dir (4)', async (t) => {
  const { spoolDir, stored } = setup(t);
  const stateInside = join(spoolDir, 'state');
  const storeInside = join(spoolDir, 'stored');
  mkdirSync(join(stateInside, 'journal'), { recursive: true });
  mkdirSync(storeInside, { recursive: true });
  writeFileSync(join(stateInside, 'toggles.json'), '{"users":{}}');
  writeFileSync(join(storeInside, 'old.wav'), 'stored');
  aged(join(stateInside, 'toggles.json'));
  aged(join(storeInside, 'old.wav'));
  const spool = await spoolWith(t, { stateDir: stateInside, spoolDir, target: new LocalTarget(stored), excludeDirs: [stateInside, storeInside] });
  await spool.start();
  await spool.scan();
  t.ok(existsSync(join(stateInside, 'toggles.json')), 'the toggles file is not uploaded and deleted');
  t.ok(existsSync(join(storeInside, 'old.wav')), 'nor is stored data');
  t.equal([...spool.journal.entries.values()].length, 0, 'nothing adopted');
});

t.test('one owner of a spool: a second process is refused while the first lives; a dead owner\'s lock is taken over (7)', async (t) => {
  const { stateDir } = setup(t);
  mkdirSync(stateDir, { recursive: true });
  // A live process other than us: our parent.
  writeFileSync(join(stateDir, LOCK_FILE), `${process.ppid}\n`);
  await t.rejects(acquireSpoolLock(stateDir), SpoolLockedError, 'refused while pid is alive');
  await t.rejects(acquireSpoolLock(stateDir), { message: new RegExp(`pid ${process.ppid}.*${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  // A pid that cannot be running (beyond pid_max).
  writeFileSync(join(stateDir, LOCK_FILE), '99999999\n');
  const lock = await acquireSpoolLock(stateDir);
  t.equal(readFileSync(join(stateDir, LOCK_FILE), 'utf8').trim(), String(process.pid), 'stale lock taken over');
  await lock.release();
  t.notOk(existsSync(join(stateDir, LOCK_FILE)), 'released on stop');
});

t.test('fsrecd sync (retryNow) while a journal write waits to be retried: the retry still happens (model seed 1210119620)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  const faults = new FailAt({ point: 'journal.write-temp', hit: 2 }, 'ENOSPC', 2);
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), faults, upload: { ...upload, retryMinMs: 200, retryMaxMs: 400 } });
  await spool.start();
  const m = meta(spoolDir, 'sync.wav');
  writeFileSync(m.path, 'audio');
  await spool.started(m);
  await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  t.equal(spool.status().journalWritesFailing, 1, 'a write is waiting for its retry');
  spool.retryNow();
  await waitFor(() => spool.status().journalWritesFailing === 0 && spool.journal.durableState(m.id) === 'stored', 'retried and stored on disk');
  const onDisk = JSON.parse(readFileSync(join(stateDir, 'journal', entryFileName(m.id)), 'utf8')) as { state: string };
  t.equal(onDisk.state, 'stored', 'no write left waiting forever: the journal on disk says stored');
});

t.test('a writer that puts a new file at the path while its verified copy is being removed keeps its file (2)', async (t) => {
  const { spoolDir, stateDir } = setup(t);
  const journal = new Journal(join(stateDir, 'journal'));
  await journal.load(() => undefined);
  const m = meta(spoolDir, 'race.wav');
  writeFileSync(m.path, 'the stored recording');
  const st = statSync(m.path);
  await journal.put({ id: m.id, state: 'stored', meta: m, key: 'race.wav', attempts: 1, updatedAt: '', size: st.size, verified: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev } });
  // Right after the check at the path and before the file is moved aside, FreeSWITCH opens the name again
  // (truncating the same inode) and writes a new recording.
  const writerGetsIn: Faults = {
    at: (point) => {
      if (point === 'spool.set-aside-local') {
        writeFileSync(m.path, 'a new recording, longer than the first one');
        aged(m.path, 5_000);
      }
    },
  };
  await removeVerifiedCopy(journal.entries.get(m.id) as JournalEntry, journal, writerGetsIn, silentLogger());
  t.equal(readFileSync(m.path, 'utf8'), 'a new recording, longer than the first one', 'the new file is back at its path, not deleted');
  t.same(readdirSync(spoolDir).filter((f) => f.includes('fsrecd-removing')), [], 'nothing left aside');
  // Without a writer, the verified copy goes.
  const plain = meta(spoolDir, 'plain.wav');
  writeFileSync(plain.path, 'stored');
  const ps = statSync(plain.path);
  await journal.put({ id: plain.id, state: 'stored', meta: plain, key: 'plain.wav', attempts: 1, updatedAt: '', size: ps.size, verified: { size: ps.size, mtimeMs: ps.mtimeMs, ino: ps.ino, dev: ps.dev } });
  await removeVerifiedCopy(journal.entries.get(plain.id) as JournalEntry, journal, { at: () => undefined }, silentLogger());
  t.notOk(existsSync(plain.path), 'the verified copy is removed');
});

t.test('a crash while the verified copy was moved aside: the next scan finishes the removal, or puts a stranger back', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  const m = meta(spoolDir, 'aside.wav');
  writeFileSync(m.path, 'verified bytes');
  const st = statSync(m.path);
  const journal = new Journal(join(stateDir, 'journal'));
  await journal.load(() => undefined);
  await journal.put({ id: m.id, state: 'stored', meta: m, key: 'aside.wav', attempts: 1, updatedAt: '', size: st.size, verified: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev } });
  // What a kill -9 between the rename and the unlink leaves: the verified copy under its dotted name.
  renameSync(m.path, join(spoolDir, '.aside.wav.fsrecd-removing'));
  const stranger = join(spoolDir, '.other.wav.fsrecd-removing');
  writeFileSync(stranger, 'a file that is no stored copy');
  const spool = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), recordedPaths: async () => new Set() });
  await spool.start();
  await spool.scan();
  t.notOk(existsSync(join(spoolDir, '.aside.wav.fsrecd-removing')), 'the verified copy moved aside is removed');
  t.notOk(existsSync(stranger), 'the stranger is no longer aside');
  t.equal(readFileSync(join(spoolDir, 'other.wav'), 'utf8'), 'a file that is no stored copy', 'it is back at its own path, for the scan to store');
});

t.test('a "finished" whose journal write had not landed when the process was killed: the next run finishes it only once FreeSWITCH can be asked (1, 10; model seed 402341225)', async (t) => {
  const { spoolDir, stateDir, stored } = setup(t);
  // The journal writes after "recording" fail with ENOSPC (retried in the background), then kill -9.
  const full = new FailAt({ point: 'journal.write-temp', hit: 2 }, 'ENOSPC', Number.POSITIVE_INFINITY);
  const kill = new CrashAt(undefined);
  const faults: Faults = { at: (point) => (kill.at(point), full.at(point)) };
  const dead = await Spool.open({ upload: { ...upload, retryMinMs: 5_000, retryMaxMs: 5_000 }, log: silentLogger(), metrics: new Metrics(), stateDir, spoolDir, target: new LocalTarget(stored), faults });
  await dead.start();
  const m = meta(spoolDir, 'unlanded.wav');
  writeFileSync(m.path, 'audio the recorder called finished');
  await dead.started(m);
  await dead.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  t.equal(dead.status().journalWritesFailing, 1, 'the recorder was answered while "finished" waits for its retry');
  kill.crashNow();
  await dead.stop(100);
  t.equal((JSON.parse(readFileSync(join(stateDir, 'journal', entryFileName(m.id)), 'utf8')) as JournalEntry).state, 'recording', 'the disk still says recording');
  aged(m.path);

  // What FreeSWITCH answers when asked which files it writes (undefined: it cannot be asked).
  const freeswitch: { recording: ReadonlySet<string> | undefined } = { recording: undefined };
  const next = await spoolWith(t, { stateDir, spoolDir, target: new LocalTarget(stored), recordedPaths: async () => freeswitch.recording });
  await next.start();
  await next.scan();
  t.equal(next.journal.entries.get(m.id)?.state, 'recording', 'FreeSWITCH cannot be asked: the file might still be written, so it is not finished');
  t.equal(next.status().inProgress, 1, 'status counts it as recording, as the journal on disk does');
  t.notOk(existsSync(join(stored, keyOf(m))), 'nothing stored yet');
  t.ok(existsSync(m.path), 'and nothing lost: the file waits in spool_dir');
  freeswitch.recording = new Set();
  await next.scan();
  await waitFor(() => next.journal.durableState(m.id) === 'stored', 'finished by the scan and stored once FreeSWITCH says it is not writing it');
  t.equal(readFileSync(join(stored, keyOf(m)), 'utf8'), 'audio the recorder called finished', 'the stored copy has its bytes');
  t.equal(next.journal.entries.get(m.id)?.result?.completionCause, 'recovered-after-restart', 'journaled as recovered by the scan');
});
