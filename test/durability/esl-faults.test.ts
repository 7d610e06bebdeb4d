/**
 * Issue #11 behaviour 1 and the ESL faults, through the real daemon process and a real S3 server: a
 * uuid_record reply later than esl.api_timeout_ms, the connection dropped right after uuid_record was
 * written, RECORD_STOP missing or duplicated, RECORD_START duplicated or arriving after RECORD_STOP. In each,
 * FreeSWITCH (the simulator) records on, and the file must be stored exactly once, nothing lost.
 * On the code before 99e459a the late reply journaled the recording "failed" and never uploaded the file.
 */
import t, { type Test } from 'tap';
import type { RecordEventFault } from '../../src/sim/faults';
import { checkSettled, PHONE, Rig, Round } from '../helpers/crash-harness';
import { waitFor } from '../helpers/wait-for';

t.setTimeout(120_000);

const UUID_RECORD_START = /^uuid_record .* start/;

t.test('ESL faults through the real process: every recording stored exactly once', async (t) => {
  const rig = await Rig.start();
  t.teardown(() => rig.close());

  /** One recorded call on a fresh daemon with a fault armed; `during` runs between answer and hangup. */
  const round = async (t: Test, name: string, arm: () => void, during: (r: Round) => Promise<void>, apiTimeoutMs?: number): Promise<void> => {
    const r = await Round.create(rig, name, { storage: 's3', apiTimeoutMs });
    t.teardown(async () => {
      rig.sim.faults.clear();
      await r.stop();
      await rig.hangupAll();
    });
    const overwrites = rig.proxy.overwrites.length;
    r.start();
    await r.upOrDead();
    t.ok(r.running, 'the daemon is up');
    arm();
    const c = await rig.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
    await c.answer();
    await waitFor(() => rig.sim.recordingsOf(c.aUuid).length > 0, `${name}: FreeSWITCH records`);
    await during(r);
    await c.hangup('a');
    const stored = await checkSettled(t, r, overwrites);
    t.equal(stored.length, 1, 'one recording, one object');
    t.equal(rig.sim.commands.filter((cmd) => UUID_RECORD_START.test(cmd) && cmd.includes(c.aUuid)).length, 1, 'one uuid_record for the call');
  };

  await t.test('a uuid_record reply later than esl.api_timeout_ms', (t) =>
    round(
      t,
      'late-reply',
      () => rig.sim.faults.delayReply(UUID_RECORD_START, 1200, 1),
      // The timeout has passed once the daemon journaled something about it (a note now, "failed" before 99e459a).
      async (r) => void (await waitFor(() => r.journal().some((e) => e.lastError !== undefined), 'the daemon gave up waiting for the reply')),
      300,
    ),
  );

  let connections = 0;
  rig.sim.on('connection', () => connections++);
  await t.test('the connection drops right after uuid_record was written', (t) => {
    let before = 0;
    return round(
      t,
      'drop-after-record',
      () => {
        before = connections;
        rig.sim.faults.dropAfter(UUID_RECORD_START);
      },
      // The call goes on past the reconnect, then ends: RECORD_STOP reaches the reconnected daemon.
      async () => void (await waitFor(() => connections > before && rig.sim.connectionCount === 1, 'the daemon reconnected')),
    );
  });

  const eventCases: Array<[RecordEventFault, string]> = [
    ['omit-stop', 'RECORD_STOP never arrives'],
    ['duplicate-stop', 'RECORD_STOP arrives twice'],
    ['duplicate-start', 'RECORD_START arrives twice'],
    ['stop-before-start', 'RECORD_STOP arrives before RECORD_START'],
  ];
  for (const [fault, title] of eventCases) {
    await t.test(title, (t) => round(t, fault, () => rig.sim.faults.recordEvents(fault), async () => undefined));
  }
});
