/**
 * Issue #11 "Never lose a recording, proven": for EVERY crash point in CRASH_POINTS (the list is the source
 * of truth, so a new point is covered without touching this file) and for its first and a later hit, the
 * real daemon process is SIGKILLed exactly there (FSRECD_TEST_CRASH_AT) while it records calls (a *3
 * on-demand recording and *26 toggles among them) to a real S3 server (the local-directory target for the
 * local.* points), then restarted without the fault. A point the scenario never reaches fails the test.
 *
 * After the kill: no local file is gone unless its stored copy was verified. After the restart has drained:
 * every file FreeSWITCH finished is stored exactly once with its size and MD5, nothing else is stored, no
 * object was ever replaced, the daemon runs, and /metrics and `fsrecd status` agree with storage.
 *
 * Each round starts from a state_dir left by an earlier daemon that was itself killed: a stale lock (so
 * lock.write is hit twice: the try, then the take-over) and three journal entries of discarded recordings,
 * aged past journal_keep_days, which the start-up prune removes (journal.unlink).
 */
import t from 'tap';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRASH_POINTS, type CrashPoint } from '../../src/durability/faults';
import { checkNothingDeletedEarly, checkSettled, PHONE, recordedCall, Rig, Round, toggleCall } from '../helpers/crash-harness';
import { waitFor } from '../helpers/wait-for';

t.setTimeout(360_000);

/** The later hit to crash at; 3 unless the scenario reaches a point fewer times by design. */
const LATER_HIT: Partial<Record<CrashPoint, number>> = {
  // Taken once per start; a stale lock makes the second hit the take-over.
  'lock.write': 2,
};

interface Row {
  point: string;
  hit: number;
  storage: string;
  result: string;
  recordings: number;
  creates: number;
  ms: number;
}

const rows: Row[] = [];

/** Three calls whose recordings FreeSWITCH discards, then kill -9: the state every round starts from. */
async function priorState(rig: Rig): Promise<string> {
  const round = await Round.create(rig, 'prior', { storage: 'local' });
  round.start();
  await round.upOrDead();
  for (let i = 0; i < 3; i++) {
    const c = await rig.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001'), media: false });
    await c.answer();
    await waitFor(() => rig.sim.recordingsOf(c.aUuid).length > 0, 'prior: recording');
    await c.hangup('a');
  }
  const discarded = round.finished();
  await waitFor(() => round.journal().filter((e) => e.state === 'discarded').length === discarded.length, 'prior: discarded recordings journaled');
  round.kill();
  await waitFor(() => round.exit !== undefined, 'prior: killed');
  const template = join(rig.root, 'prior-state');
  mkdirSync(join(template, 'journal'), { recursive: true });
  cpSync(join(round.stateDir, 'fsrecd.lock'), join(template, 'fsrecd.lock'));
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  for (const name of readdirSync(join(round.stateDir, 'journal')).filter((n) => n.endsWith('.json'))) {
    const e = JSON.parse(readFileSync(join(round.stateDir, 'journal', name), 'utf8')) as { updatedAt: string };
    writeFileSync(join(template, 'journal', name), JSON.stringify({ ...e, updatedAt: twoDaysAgo }));
  }
  return template;
}

/** What each round does while the fault waits: recorded calls, a *3, three *26. Stops once the daemon is dead. */
async function scenario(round: Round): Promise<void> {
  const steps: Array<() => Promise<unknown>> = [
    () => recordedCall(round, '1000', '1001'),
    () => toggleCall(round, '1003'),
    // carol's calls are not recorded by a rule: *3 makes an on-demand recording.
    () => recordedCall(round, '1002', '1004', { onDemand: true }),
    () => toggleCall(round, '1003'),
    () => recordedCall(round, '1001', '1000'),
    () => toggleCall(round, '1003'),
    () => recordedCall(round, '1000', '1004'),
  ];
  for (const step of steps) {
    if (!round.running) return;
    await step();
  }
}

t.test('a kill -9 at every crash point loses nothing and stores nothing twice', async (t) => {
  const started = Date.now();
  const rig = await Rig.start();
  t.teardown(() => rig.close());
  const prior = await priorState(rig);
  t.equal(readdirSync(join(prior, 'journal')).length, 3, 'the prior state holds three discarded recordings');

  // hooks.* are reached only with a hook configured (test/hooks/crash.test.ts kills at each of them), and
  // lifecycle.* only by a deletion (test/lifecycle/crash.test.ts kills `fsrecd retention --run` at each).
  for (const point of CRASH_POINTS.filter((p) => !p.startsWith('hooks.') && !p.startsWith('lifecycle.'))) {
    for (const hit of [1, LATER_HIT[point] ?? 3]) {
      const storage = point.startsWith('local.') ? 'local' : 's3';
      const row: Row = { point, hit, storage, result: 'FAIL', recordings: 0, creates: 0, ms: 0 };
      rows.push(row);
      const t0 = Date.now();
      await t.test(`${point}:${hit} (${storage})`, async (t) => {
        const round = await Round.create(rig, `crash-${rows.length}`, { storage });
        t.teardown(async () => {
          round.kill();
          await rig.hangupAll();
        });
        round.seedState(prior);
        const overwrites = rig.proxy.overwrites.length;
        round.start({ FSRECD_TEST_CRASH_AT: `${point}:${hit}` });
        await round.upOrDead();
        await scenario(round);
        try {
          await waitFor(() => round.exit !== undefined, `${point}:${hit} reached`, 10_000);
        } catch {
          row.result = 'NOT REACHED';
          t.fail(`the scenario never reached ${point} ${hit} time(s): every point must be covered (extend the scenario or LATER_HIT)`);
          return;
        }
        t.same(round.exit, { code: null, signal: 'SIGKILL' }, 'the daemon died by SIGKILL at the point');
        await rig.hangupAll();
        await checkNothingDeletedEarly(t, round);

        round.start();
        await round.upOrDead();
        t.ok(round.running, 'the daemon starts again on what the crash left');
        // The restarted daemon records as before (and a round killed during start-up stores something too).
        await recordedCall(round, '1001', '1000');
        const stored = await checkSettled(t, round, overwrites);
        row.recordings = stored.length;
        row.creates = round.creates();
        t.ok(stored.length >= 1, 'the round stored recordings');
        t.notMatch(round.output, /corrupt|unreadable/, 'no state file was left torn (journal entry, toggles)');
        await round.stop();
        row.result = t.passing() ? 'ok' : 'FAIL';
      });
      row.ms = Date.now() - t0;
    }
  }
  const table = ['point                      hit  storage  result        stored  creates    ms', ...rows.map((r) => `${r.point.padEnd(26)} ${String(r.hit).padStart(3)}  ${r.storage.padEnd(7)}  ${r.result.padEnd(12)}  ${String(r.recordings).padStart(6)}  ${String(r.creates).padStart(7)}  ${String(r.ms).padStart(5)}`)];
  t.comment(`crash points (${rows.length} rounds, ${Math.round((Date.now() - started) / 1000)} s):\n${table.join('\n')}`);
  t.equal(rows.filter((r) => r.result === 'ok').length, rows.length, 'every point and hit passed');
});
