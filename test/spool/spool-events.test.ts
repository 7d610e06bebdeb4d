/**
 * What the spool tells the daemon (its bus carries these as `journaled` and `stored`): every entry once it
 * is on disk, and each recording once, when its "stored" state is on disk.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailAt, type Faults } from '../../src/durability/faults';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { entryFileName, type JournalEntry } from '../../src/spool/journal';
import { Spool } from '../../src/spool/spool';
import { LocalTarget } from '../../src/storage/local-target';
import { waitFor } from '../helpers/wait-for';

const upload = { concurrency: 2, retryMinMs: 30, retryMaxMs: 60, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 600_000, healthMaxBacklog: 500 };

function meta(spoolDir: string, name: string): RecordingMeta {
  return { id: `rec-${name}`, callUuid: 'c', legUuid: 'l', path: join(spoolDir, name), relativePath: name, format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 't', node: 'n', reasons: ['r'], onDemand: false, startedAt: new Date().toISOString() };
}

interface Heard {
  journaled: Array<{ id: string; state: string }>;
  /** Each stored call, with the state the journal file on disk held at that moment. */
  stored: Array<{ id: string; state: string; onDisk: string }>;
}

async function spoolHearing(t: { teardown(fn: () => unknown): void }, opts: { faults?: Faults; storedThrows?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-spool-events-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  const stateDir = join(dir, 'state');
  mkdirSync(spoolDir, { recursive: true });
  const heard: Heard = { journaled: [], stored: [] };
  const metrics = new Metrics();
  const onDisk = (id: string): string => (JSON.parse(readFileSync(join(stateDir, 'journal', entryFileName(id)), 'utf8')) as JournalEntry).state;
  const spool = await Spool.open({
    stateDir,
    spoolDir,
    upload,
    target: new LocalTarget(join(dir, 'stored')),
    log: silentLogger(),
    metrics,
    faults: opts.faults,
    onJournal: (e) => heard.journaled.push({ id: e.id, state: e.state }),
    onStored: (e) => {
      heard.stored.push({ id: e.id, state: e.state, onDisk: onDisk(e.id) });
      if (opts.storedThrows) throw new Error('listener broke');
    },
  });
  t.teardown(() => spool.stop(100));
  await spool.start();
  return { spool, spoolDir, heard, metrics };
}

const ended = { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' };

t.test('onStored: once per stored recording, after "stored" is on disk; never for a discarded one', async (t) => {
  const { spool, spoolDir, heard } = await spoolHearing(t);
  const a = meta(spoolDir, 'a.wav');
  const gone = meta(spoolDir, 'gone.wav');
  writeFileSync(a.path, 'audio a');
  await spool.started(a);
  await spool.started(gone);
  await spool.discarded(gone, { ...ended, completionCause: 'empty-file' });
  await spool.finished(a, ended);
  // keep_local_days 0: the local copy goes after a second, durable write of "stored" (not a second event).
  await waitFor(() => !existsSync(a.path), 'stored and the local copy removed');
  t.same(heard.stored, [{ id: a.id, state: 'stored', onDisk: 'stored' }], 'told once, with the journal on disk already saying stored');
  await spool.note(a.id, 'a remark');
  t.equal(heard.journaled.at(-1)?.state, 'stored', 'the remark reached the journal');
  t.equal(heard.stored.length, 1, 'rewriting a stored entry tells nothing new');
  t.same(
    heard.journaled.filter((j) => j.id === gone.id).map((j) => j.state),
    ['recording', 'discarded'],
    'onJournal hears every step of the discarded one',
  );
  t.ok(heard.journaled.some((j) => j.id === a.id && j.state === 'finished'), 'and of the stored one');
});

t.test('onStored waits while "stored" cannot be journaled, and comes once it lands', async (t) => {
  // Writes: recording(1), finished(2), uploading(3), stored(4): the 4th to 6th fail with ENOSPC.
  const faults = new FailAt({ point: 'journal.write-temp', hit: 4 }, 'ENOSPC', 3);
  const { spool, spoolDir, heard } = await spoolHearing(t, { faults });
  const m = meta(spoolDir, 'full.wav');
  writeFileSync(m.path, 'audio while the disk is full');
  await spool.started(m);
  await spool.finished(m, ended);
  await waitFor(() => spool.journal.entries.get(m.id)?.state === 'stored' && spool.status().journalWritesFailing === 1, '"stored" in memory, not yet on disk');
  t.not(spool.journal.durableState(m.id), 'stored', 'the disk does not say stored yet');
  t.same(heard.stored, [], 'so nobody is told it is stored');
  await waitFor(() => heard.stored.length > 0, 'told once the write lands');
  t.same(heard.stored, [{ id: m.id, state: 'stored', onDisk: 'stored' }], 'once, after the journal on disk says stored');
  await waitFor(() => !existsSync(m.path), 'the local copy goes after that');
  t.equal(heard.stored.length, 1, 'still once');
});

t.test('a failing onStored listener is not a failed journal write', async (t) => {
  const { spool, spoolDir, heard, metrics } = await spoolHearing(t, { storedThrows: true });
  const m = meta(spoolDir, 'b.wav');
  writeFileSync(m.path, 'audio b');
  await spool.started(m);
  await spool.finished(m, ended);
  await waitFor(() => !existsSync(m.path), 'stored and the local copy removed');
  t.equal(heard.stored.length, 1, 'the listener was called');
  t.notMatch(metrics.render(), /fsrecd_journal_write_failures_total [1-9]/, 'no journal write counted as failed (nor retried)');
  t.same(spool.status().problems, [], 'no problem reported');
});
