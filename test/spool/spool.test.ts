import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { entryFileName } from '../../src/spool/journal';
import { Spool } from '../../src/spool/spool';
import { LocalTarget } from '../../src/storage/local-target';
import type { StorageTarget } from '../../src/storage/target';
import { waitFor } from '../helpers/wait-for';

function setup(t: { teardown(fn: () => unknown): void }): { dir: string; spoolDir: string; stored: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-spool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  return { dir, spoolDir, stored: join(dir, 'stored') };
}

const upload = { concurrency: 2, retryMinMs: 10, retryMaxMs: 50, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 100, healthMaxBacklog: 500 };

function meta(spoolDir: string, name: string): RecordingMeta {
  return { id: `call-${name}`, callUuid: 'c', legUuid: 'l', path: join(spoolDir, name), relativePath: name, format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 't', node: 'n', reasons: ['r'], onDemand: false, startedAt: new Date().toISOString() };
}

/** Where a recording is stored without storage.key_template: its node, then its relative path. */
function keyOf(m: RecordingMeta): string {
  return `${m.node}/${m.relativePath}`;
}

async function open(dir: string, spoolDir: string, target: StorageTarget, orphanStableMs = upload.orphanStableMs): Promise<Spool> {
  const s = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { ...upload, orphanStableMs }, target, log: silentLogger(), metrics: new Metrics() });
  await s.start();
  return s;
}

t.test('finished -> stored, verified, local copy removed; a recording in progress is never uploaded', async (t) => {
  const { dir, spoolDir, stored } = setup(t);
  const spool = await open(dir, spoolDir, new LocalTarget(stored));
  t.teardown(() => spool.stop(100));
  const m = meta(spoolDir, 'a.wav');
  await spool.started(m);
  writeFileSync(m.path, 'RIFF-audio');
  await spool.scan();
  t.notOk(existsSync(join(stored, keyOf(m))), 'still recording: not uploaded');
  await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1000, completionCause: 'success-silence' });
  await waitFor(() => spool.status().stored === 1, 'stored');
  t.equal(readFileSync(join(stored, keyOf(m)), 'utf8'), 'RIFF-audio');
  await waitFor(() => !existsSync(m.path), 'local copy removed after verification');
  t.equal(JSON.parse(readFileSync(join(stored, `${keyOf(m)}.json`), 'utf8')).callUuid, 'c', 'metadata beside it');
});

t.test('storage down: nothing dropped, the backlog drains when it returns; a vanished file is lost once', async (t) => {
  const { dir, spoolDir, stored } = setup(t);
  let down = true;
  const local = new LocalTarget(stored);
  const flaky: StorageTarget = {
    describe: () => 'flaky',
    keyFor: (mm) => mm.relativePath,
    put: async (...args) => {
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
      return local.put(...args);
    },
    stat: (k) => (down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9000')) : local.stat(k)),
  };
  const spool = await open(dir, spoolDir, flaky);
  t.teardown(() => spool.stop(100));
  for (let i = 0; i < 20; i++) {
    const m = meta(spoolDir, `r${i}.wav`);
    await spool.started(m);
    writeFileSync(m.path, `audio ${i}`);
    await spool.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  }
  await waitFor(() => spool.status().lastError?.includes('ECONNREFUSED'), 'failing');
  t.equal(spool.status().backlogFiles, 20, 'all waiting');
  const gone = meta(spoolDir, 'gone.wav');
  await spool.started(gone);
  await spool.finished(gone, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  down = false;
  await waitFor(() => spool.status().stored === 20, 'backlog drained', 10_000);
  t.equal(spool.status().lost, 1, 'the file that never existed is lost, not retried forever');
  t.equal(spool.status().backlogFiles, 0);
});

t.test('restart: in-flight work resumes; a file nobody journaled is adopted once it stops changing', async (t) => {
  const { dir, spoolDir, stored } = setup(t);
  const first = await open(dir, spoolDir, { describe: () => 'down', keyFor: (m) => m.relativePath, put: () => Promise.reject(new Error('down')), stat: () => Promise.reject(new Error('down')) });
  const m = meta(spoolDir, 'x.wav');
  await first.started(m);
  writeFileSync(m.path, 'x');
  await first.finished(m, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  await first.stop(50);
  mkdirSync(join(spoolDir, 'tenant'), { recursive: true });
  const orphan = join(spoolDir, 'tenant', 'dialplan-recording.wav');
  writeFileSync(orphan, 'dialplan audio');
  const old = new Date(Date.now() - 60_000);
  utimesSync(orphan, old, old);
  const fresh = join(spoolDir, 'still-writing.wav');
  writeFileSync(fresh, 'growing');

  // A 30 s stability window: the 60 s old orphan qualifies, the file written just now cannot during the test.
  const second = await open(dir, spoolDir, new LocalTarget(stored), 30_000);
  t.teardown(() => second.stop(100));
  await waitFor(() => second.status().stored === 2, 'resumed and adopted');
  t.ok(existsSync(join(stored, m.relativePath)), 'the in-flight one, under the key journaled by the first run (its target gave the relative path)');
  t.ok(existsSync(join(stored, 'tenant', 'dialplan-recording.wav')), 'the orphan, under its relative path alone (no node known)');
  t.ok(existsSync(fresh), 'a file still being written is left alone');
});

t.test('a file found in the spool is adopted as this node\'s: its default key and its entry name the node', async (t) => {
  const { dir, spoolDir, stored } = setup(t);
  mkdirSync(join(spoolDir, 'tenant'), { recursive: true });
  const orphan = join(spoolDir, 'tenant', 'dialplan-recording.wav');
  writeFileSync(orphan, 'dialplan audio');
  const old = new Date(Date.now() - 60_000);
  utimesSync(orphan, old, old);
  const nodes: string[] = [];
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload, target: new LocalTarget(stored), log: silentLogger(), metrics: new Metrics(), node: 'pbx-b', onJournal: (e) => nodes.push(e.meta.node) });
  await spool.start();
  t.teardown(() => spool.stop(100));
  await waitFor(() => spool.status().stored === 1, 'the orphan adopted and stored');
  t.ok(existsSync(join(stored, 'pbx-b', 'tenant', 'dialplan-recording.wav')), 'stored below the node, as a recording the daemon started would be');
  t.ok(nodes.length > 0 && nodes.every((n) => n === 'pbx-b'), 'every journal step names the node (the shared index lists it under pbx-b)');
});

t.test('journal entries that need nothing more are forgotten after journal_keep_days; the index keeps them', async (t) => {
  const { dir, spoolDir, stored } = setup(t);
  let now = Date.now();
  const indexed = new Map<string, string>();
  const done = meta(spoolDir, 'done.wav');
  const kept = meta(spoolDir, 'kept.wav');
  const waiting = meta(spoolDir, 'waiting.wav');
  // The recorder follows 'waiting' (its RECORD_STOP is still to come): the scan must leave it alone.
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { ...upload, keepLocalDays: 0, journalKeepDays: 7 }, target: new LocalTarget(stored), log: silentLogger(), metrics: new Metrics(), now: () => now, onJournal: (e) => indexed.set(e.id, e.state), recorderFollows: (p) => p === waiting.path });
  await spool.start();
  t.teardown(() => spool.stop(100));
  for (const m of [done, kept, waiting]) {
    writeFileSync(m.path, 'RIFF');
    await spool.started(m);
  }
  await spool.finished(done, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success' });
  await waitFor(() => spool.journal.entries.get(done.id)?.state === 'stored' && !existsSync(done.path), 'stored, local copy gone');
  await spool.discarded(kept, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'input-too-short' });
  const journalFiles = () => readdirSync(join(dir, 'state', 'journal')).filter((f) => f.endsWith('.json')).sort();
  t.equal(journalFiles().length, 3);

  now += 6 * 86_400_000;
  await spool.scan();
  t.equal(journalFiles().length, 3, 'six days: everything still journaled');
  now += 2 * 86_400_000;
  await spool.scan();
  t.equal(spool.journal.entries.has(done.id), false, 'the stored one is forgotten');
  t.equal(indexed.get(done.id), 'stored', 'the index heard of it before');
  // A discard whose file is still there (FreeSWITCH did not delete it) is real audio: the scan stores it.
  await waitFor(() => spool.journal.entries.get(kept.id)?.state === 'stored' && !existsSync(kept.path), 'the discarded file that was still there is stored');
  now += 8 * 86_400_000;
  await spool.scan();
  t.same(journalFiles(), [entryFileName(waiting.id)], 'once stored and past journal_keep_days, it goes too; the one still recording stays');
  t.equal(spool.journal.entries.get(waiting.id)?.state, 'recording');
});
