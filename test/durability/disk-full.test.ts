/**
 * Issue #11: the spool's state on a full file system. state_dir sits on a real 2 MiB tmpfs that is filled to
 * the last byte while calls are recorded (where mounting is not permitted, the fault layer fails journal writes
 * with ENOSPC instead, and says so). While full: /healthz answers 503 naming the directory, a metric says so,
 * a log line names the directory, and no local file goes before its stored copy is verified. Once space
 * returns: every finished recording is stored exactly once.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkNothingDeletedEarly, checkSettled, recordedCall, Rig, Round } from '../helpers/crash-harness';
import { waitFor } from '../helpers/wait-for';

t.setTimeout(120_000);

function mountTmpfs(dir: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}

/** Writes a file until the file system refuses (ENOSPC): nothing is left for anyone. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

t.test('state_dir full: 503 naming the directory, a metric, a log line; nothing finished is lost', async (t) => {
  const rig = await Rig.start();
  const stateDir = join(rig.root, 'small-state');
  const tmpfs = mountTmpfs(stateDir);
  t.comment(tmpfs ? 'state_dir on a real 2 MiB tmpfs, filled to ENOSPC' : 'mount not permitted: ENOSPC injected at journal.write-temp by FSRECD_TEST_FAIL_AT');
  const round = await Round.create(rig, 'disk-full', { storage: 's3', stateDir });
  // One teardown, in this order: the daemon, then the mount, then the directories under it.
  t.teardown(async () => {
    await round.stop();
    await rig.hangupAll().catch(() => undefined);
    if (tmpfs) spawnSync('umount', [stateDir], { stdio: 'ignore' });
    await rig.close();
  });
  const overwrites = rig.proxy.overwrites.length;
  // Injected: the first 40 journal writes fail, then space "returns" by itself.
  round.start(tmpfs ? {} : { FSRECD_TEST_FAIL_AT: 'journal.write-temp:1:ENOSPC:40' });
  await round.upOrDead();
  t.ok(round.running, 'the daemon is up');

  const filler = tmpfs ? fill(stateDir) : undefined;
  await recordedCall(round, '1000', '1001');
  await recordedCall(round, '1001', '1000');

  const health = await waitFor(async () => {
    const h = await round.healthz();
    return h?.status === 503 && h.body.reasons?.some((r) => r.includes(stateDir)) ? h : undefined;
  }, '/healthz 503 naming state_dir');
  t.equal(health.status, 503, '/healthz: 503');
  t.comment(`/healthz reasons: ${health.body.reasons?.join(' | ')}`);
  const failing = (await round.metric('fsrecd_journal_writes_failing')) ?? 0;
  const diskFull = (await round.metric('fsrecd_disk_full')) ?? 0;
  t.ok(failing > 0, `fsrecd_journal_writes_failing ${failing}`);
  if (tmpfs) await waitFor(async () => (await round.metric('fsrecd_disk_full')) === 1, 'fsrecd_disk_full 1');
  else t.equal(diskFull, 0, 'fsrecd_disk_full stays 0: the disk itself has room');
  const logLines = round.output.split('\n').filter((l) => l.includes(stateDir) && /journal write failed|disk full/.test(l));
  t.ok(logLines.length > 0, 'a log line names the directory');
  t.ok(logLines.every((l) => JSON.parse(l) !== undefined), 'as JSON');
  // Uploads go on from memory while the journal cannot be written; the verified local copies must stay
  // until "stored" is on disk. Give the spool's scan (every 500 ms) six chances to delete one too early.
  await waitFor(() => round.allStored(), 'uploaded while the disk is full');
  await waitFor(() => round.finished().some((f) => !existsSync(f.path)), 'a local copy deleted while full', 3000).catch(() => undefined);
  await checkNothingDeletedEarly(t, round);

  if (filler) rmSync(filler);
  await waitFor(async () => (await round.healthz())?.status === 200, '/healthz 200 once space returns', 20_000);
  t.equal(await round.metric('fsrecd_journal_writes_failing'), 0, 'every journal write landed');
  const stored = await checkSettled(t, round, overwrites);
  t.equal(stored.length, round.finished().length, 'both recordings stored');
});
