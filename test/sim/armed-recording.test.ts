/**
 * uuid_record armed before answer (RECORD_ANSWER_REQ / RECORD_BRIDGE_REQ), as src/sim/recordings.ts models
 * FreeSWITCH's switch_ivr_async.c: RECORD_START at the command, audio only from answer (bridge), an unanswered
 * call's file discarded with RECORD_STOP empty-file; and the timeline a benchmark reads (audio lost at start).
 * The simulator's clock is stepped by the test, so durations are exact.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EslEvent } from '../../src/esl/types';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { waitFor } from '../helpers/wait-for';
import { listen } from './flow-helpers';

const T0 = 1_795_000_000_000_000;

async function setup(t: Test): Promise<{ sim: FreeswitchSimulator; dir: string; clock: { now: number; advanceMs(ms: number): void } }> {
  const clock = {
    now: T0,
    advanceMs(ms: number): void {
      this.now += ms * 1000;
    },
  };
  const sim = new FreeswitchSimulator({ heartbeatMs: 0, clockUs: () => clock.now });
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-armed-'));
  t.teardown(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sim, dir, clock };
}

/** Samples (per channel) in a WAV file the simulator wrote: data bytes / (channels × 2). */
function wavSamples(path: string): number {
  const buf = readFileSync(path);
  return buf.readUInt32LE(40) / (buf.readUInt16LE(22) * 2);
}

const names = (evs: EslEvent[]): string[] => evs.map((e) => e.name);

t.test('RECORD_ANSWER_REQ on a ringing leg: RECORD_START at once, audio exactly from answer', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain CHANNEL_CREATE CHANNEL_ANSWER RECORD_START RECORD_STOP CHANNEL_HANGUP_COMPLETE');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  clock.advanceMs(40);
  const path = join(dir, 'armed.wav');
  t.equal(await esl.api(`uuid_record ${call.aUuid} start ${path} 0 {RECORD_ANSWER_REQ=true}`), '+OK Success\n');
  await waitFor(() => esl.events().some((e) => e.name === 'RECORD_START'), 'RECORD_START');
  t.same(names(esl.events()), ['CHANNEL_CREATE', 'RECORD_START'], 'RECORD_START before the answer, as switch_ivr_async.c sends it');
  t.equal(esl.events()[1]?.get('Answer-State'), 'ringing');
  clock.advanceMs(500);
  await call.answer();
  clock.advanceMs(2000);
  await call.hangup();
  await waitFor(() => esl.events().some((e) => e.name === 'CHANNEL_HANGUP_COMPLETE'), 'call over');
  const stop = esl.events().find((e) => e.name === 'RECORD_STOP') as EslEvent;
  t.equal(stop.get('variable_record_ms'), '2000', 'the file holds the answered 2 s, not the 500 ms of ringing');
  t.equal(stop.get('Record-Completion-Cause'), 'success-silence');
  t.equal(wavSamples(path), 16000, '2 s at 8 kHz');
  const tl = sim.recordingTimeline(path);
  t.same(
    { gate: tl?.gate, armedUs: tl?.armedUs, answeredUs: tl?.answeredUs, firstSampleUs: tl?.firstSampleUs, lost: tl?.lostAfterAnswerUs, stoppedUs: tl?.stoppedUs },
    { gate: 'answer', armedUs: T0 + 40_000, answeredUs: T0 + 540_000, firstSampleUs: T0 + 540_000, lost: 0, stoppedUs: T0 + 2_540_000 },
    'timeline: no audio lost at answer',
  );
});

t.test('armed and never answered: RECORD_STOP empty-file, RECORD_DISCARDED, no file — as FreeSWITCH does', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_START RECORD_STOP CHANNEL_HANGUP_COMPLETE');
  const finished: Array<{ path: string; discarded: boolean; cause: string }> = [];
  sim.on('recordingFinished', (d: { path: string; discarded: boolean; cause: string }) => finished.push(d));
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
  const path = join(dir, 'never.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${path} 0 {RECORD_ANSWER_REQ=true}`);
  clock.advanceMs(3000);
  await call.hangup('a', 'ORIGINATOR_CANCEL');
  await waitFor(() => esl.events().some((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.get('Unique-ID') === call.aUuid), 'call over');
  t.same(names(esl.events()).filter((n) => n.startsWith('RECORD_')), ['RECORD_START', 'RECORD_STOP'], 'a RECORD_STOP is sent (send_record_stop_event runs at close)');
  const stop = esl.events().find((e) => e.name === 'RECORD_STOP') as EslEvent;
  t.equal(stop.get('Record-Completion-Cause'), 'empty-file');
  t.equal(stop.get('variable_record_completion_cause'), 'empty-file');
  t.equal(stop.get('variable_RECORD_DISCARDED'), 'true');
  t.equal(stop.get('variable_record_ms'), '0');
  t.notOk(existsSync(path), 'the file is removed (switch_file_remove)');
  t.same(finished, [{ path, ms: 0, samples: 0, size: 0, cause: 'empty-file', discarded: true }]);
  const tl = sim.recordingTimeline(path);
  t.equal(tl?.firstSampleUs, 0, 'no sample ever written');
  t.equal(tl?.answeredUs, 0);
  t.equal(tl?.lostAfterAnswerUs, undefined);
});

t.test('RECORD_BRIDGE_REQ: a queue member answered, held, then bridged: audio only from the bridge', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_START RECORD_STOP CHANNEL_BRIDGE');
  const q = await sim.queueCall({ member: { number: '1000', device: '1000' }, queue: 'support@default', agent: '1001@default', agentContact: { number: '7710' }, holdInQueue: true });
  const path = join(dir, 'queue.wav');
  await esl.api(`uuid_record ${q.memberUuid} start ${path} 0 {RECORD_BRIDGE_REQ=true}`);
  clock.advanceMs(3000); // hold music
  await q.connectAgent();
  clock.advanceMs(1500);
  await q.hangup();
  await waitFor(() => esl.events().some((e) => e.name === 'RECORD_STOP'), 'RECORD_STOP');
  const stop = esl.events().find((e) => e.name === 'RECORD_STOP') as EslEvent;
  t.equal(stop.get('variable_record_ms'), '1500', 'only the bridged 1.5 s');
  t.equal(wavSamples(path), 12000);
  const tl = sim.recordingTimeline(path);
  t.equal(tl?.gate, 'bridge');
  t.equal(tl?.lostAfterBridgeUs, 0, 'nothing lost after the bridge');
  t.equal(tl?.lostAfterAnswerUs, 3_000_000, 'the 3 s in the queue are not recorded');
});

t.test('RECORD_BRIDGE_REQ on a member who leaves the queue unbridged: discarded though answered', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_STOP');
  const q = await sim.queueCall({ member: { number: '1000', device: '1000' }, queue: 'support@default', agent: '1001@default', agentContact: { number: '7710' }, holdInQueue: true });
  const path = join(dir, 'abandoned.wav');
  await esl.api(`uuid_record ${q.memberUuid} start ${path} 0 {RECORD_BRIDGE_REQ=true}`);
  clock.advanceMs(5000);
  await q.hangup();
  await waitFor(() => esl.events().length === 1, 'RECORD_STOP');
  t.equal(esl.events()[0]?.get('Record-Completion-Cause'), 'empty-file');
  t.notOk(existsSync(path));
});

t.test('no gate (today\'s path): uuid_record after answer records from the command; the delay is measured', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_STOP');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
  await call.answer();
  clock.advanceMs(120); // the event round trip and the daemon's decision
  const path = join(dir, 'late.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${path}`);
  clock.advanceMs(1000);
  await call.hangup();
  await waitFor(() => esl.events().length === 1, 'RECORD_STOP');
  t.equal(esl.events()[0]?.get('variable_record_ms'), '1000');
  t.equal(esl.events()[0]?.get('Record-Completion-Cause'), 'success-silence');
  t.equal(wavSamples(path), 8000);
  const tl = sim.recordingTimeline(path);
  t.equal(tl?.gate, 'none');
  t.equal(tl?.lostAfterAnswerUs, 120_000, '120 ms lost at the start');
  t.equal(tl?.lostAfterBridgeUs, 120_000);
});

t.test('the limit counts from the command, not from the answer (switch_ivr_record_session_event: to = now + limit)', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_STOP');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  const path = join(dir, 'limit.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${path} 2 {RECORD_ANSWER_REQ=true}`);
  clock.advanceMs(500);
  await call.answer();
  clock.advanceMs(5000);
  await call.hangup();
  await waitFor(() => esl.events().length === 1, 'RECORD_STOP');
  t.equal(esl.events()[0]?.get('variable_record_ms'), '1500', 'armed 2 s limit, 0.5 s of it spent ringing');
});

t.test('RECORD_DISCARDED stays on the channel: a later good recording\'s RECORD_STOP still carries it', async (t) => {
  const { sim, dir, clock } = await setup(t);
  const esl = await listen(t, sim, 'event plain RECORD_STOP');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  await call.answer();
  const short = join(dir, 'short.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${short} 0 {RECORD_MIN_SEC=3}`);
  clock.advanceMs(1000);
  await esl.api(`uuid_record ${call.aUuid} stop ${short}`);
  await waitFor(() => esl.events().length === 1, 'first RECORD_STOP');
  t.equal(esl.events()[0]?.get('Record-Completion-Cause'), 'input-too-short');
  const good = join(dir, 'good.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${good}`);
  clock.advanceMs(4000);
  await call.hangup();
  await waitFor(() => esl.events().length === 2, 'second RECORD_STOP');
  const second = esl.events()[1] as EslEvent;
  t.ok(existsSync(good), 'the second file is kept');
  t.equal(second.get('Record-Completion-Cause'), 'success-silence');
  t.equal(second.get('variable_RECORD_DISCARDED'), 'true', 'yet the variable from the first is still there (FreeSWITCH never clears it)');
});
