/**
 * #12 item 3 end to end: recordings armed at CHANNEL_CREATE (RECORD_ANSWER_REQ / RECORD_BRIDGE_REQ) over TCP, the
 * audio the stored file holds (the simulator's per-file timeline), and a call that rings and is never answered.
 * The simulator's clock is stepped by the test; the daemon's reaction time is modelled by moving it 40 ms when a
 * uuid_record arrives (the event round trip a decision at answer costs), so the audio lost is exact.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { PHONE } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { recordStarts, storedRecordings, storedWavs, steppedStack } from './stored-results';

const ROUND_TRIP_MS = 40;

const rules = (devices: string, recording = ''): string => `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
${devices}
${recording}
`;

t.test("the caller's own rule: armed before the answer, the stored file holds exactly the answered call", async (t) => {
  const { s, clock, decided } = await steppedStack(t, rules('      "1000": {record: on}'), ROUND_TRIP_MS);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording armed while the call rings');
  t.equal(s.sim.channel(call.aUuid)?.state, 'ringing', 'uuid_record went out before CHANNEL_ANSWER');
  t.match(recordStarts(s), [new RegExp(`^uuid_record ${call.aUuid} start \\S+\\.wav 0 \\{RECORD_STEREO=true,RECORD_ANSWER_REQ=true\\}$`)]);
  t.same(decided.filter((d) => d.record).map((d) => d.trigger)[0], 'create', 'decided at CHANNEL_CREATE');
  clock.advanceMs(800);
  await call.answer();
  clock.advanceMs(2000);
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(recordStarts(s).length, 1, 'the answer and the bridge start nothing more');
  const [only] = storedRecordings(s);
  if (!only) return;
  t.equal(only.meta.startedBy, 'armed');
  t.equal(only.magic, 'RIFF');
  t.equal(only.audioMs, 2000, 'the 2 s answered, not the ringing before');
  const tl = s.sim.recordingTimeline(only.meta.path);
  t.equal(tl?.gate, 'answer');
  t.ok(tl && tl.armedUs < tl.answeredUs, 'armed while ringing');
  t.equal(tl?.lostAfterAnswerUs, 0, 'no audio lost at answer');
});

t.test('start: bridge is armed with RECORD_BRIDGE_REQ: audio from the bridge', async (t) => {
  const { s, clock } = await steppedStack(t, rules('      "1000": {record: on}', 'recording: {start: bridge}'), ROUND_TRIP_MS);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'armed');
  t.match(recordStarts(s)[0], /\{RECORD_STEREO=true,RECORD_BRIDGE_REQ=true\}$/);
  clock.advanceMs(500);
  await call.answer();
  clock.advanceMs(1500);
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  const [only] = storedRecordings(s);
  const tl = s.sim.recordingTimeline(only?.meta.path ?? '');
  t.equal(tl?.gate, 'bridge');
  t.equal(tl?.lostAfterBridgeUs, 0, 'no audio lost at the bridge');
  t.equal(only?.audioMs, 1500);
});

t.test("a rule that needs the callee (the callee's device) starts at answer: the round trip is lost", async (t) => {
  const { s, clock, decided } = await steppedStack(t, rules('      "1001": {record: {inbound: on}}'), ROUND_TRIP_MS);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await waitFor(() => decided.some((d) => d.call === call.aUuid && d.trigger === 'create'), 'the creation considered');
  t.notOk(decided.some((d) => d.record), 'nothing to arm at creation: the callee is not known');
  t.same(recordStarts(s), [], 'nothing sent while ringing');
  clock.advanceMs(800);
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording once answered');
  clock.advanceMs(2000);
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.match(recordStarts(s), [/ 0 \{RECORD_STEREO=true\}$/], 'not gated: it starts at the command');
  const [only] = storedRecordings(s);
  t.equal(only?.meta.startedBy, 'answer');
  const tl = s.sim.recordingTimeline(only?.meta.path ?? '');
  t.equal(tl?.gate, 'none');
  t.equal(tl?.lostAfterAnswerUs, ROUND_TRIP_MS * 1000, 'the time from the answer to the command is lost');
  t.ok((tl?.lostAfterAnswerUs ?? 0) > 0);
  t.equal(only?.audioMs, 2000, 'from the command (40 ms after the answer) to the hangup');
});

t.test('armed, rings, never answered: nothing uploaded, journaled discarded (not failed, not lost)', async (t) => {
  const { s, clock } = await steppedStack(t, rules('      "1000": {record: on}'), ROUND_TRIP_MS);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'armed');
  const path = s.sim.recordingsOf(call.aUuid)[0] ?? '';
  clock.advanceMs(5000);
  await call.hangup('a', 'ORIGINATOR_CANCEL');
  await waitFor(() => [...s.app.spool.journal.entries.values()].some((e) => e.state !== 'recording'), 'settled');
  const entries = [...s.app.spool.journal.entries.values()];
  t.same(entries.map((e) => e.state), ['discarded'], 'one entry, discarded');
  t.equal(entries[0]?.lastError, 'unanswered');
  t.equal(s.app.metrics.value('fsrecd_recordings_discarded_total', { cause: 'unanswered' }), 1);
  const metrics = s.app.metrics.render();
  t.match(metrics, /fsrecd_recordings_discarded_total\{cause="unanswered"\} 1/);
  t.notMatch(metrics, /fsrecd_recordings_failed_total\{/, 'no failure counted');
  const status = s.app.spool.status();
  t.equal(status.lost, 0, 'not lost');
  t.equal(status.stored, 0);
  t.equal(status.inProgress, 0, 'nothing left recording');
  t.equal(storedWavs(s).length, 0, 'nothing uploaded');
  t.notOk(existsSync(path), 'FreeSWITCH removed the empty file');
  const indexed = await waitFor(async () => { const e = await s.app.index.get(entries[0]?.id ?? ''); return e?.state === 'discarded' && e; }, 'indexed');
  t.equal(indexed.state, 'discarded');
  t.equal(s.app.daemon.recorder.activeCount, 0);
});
