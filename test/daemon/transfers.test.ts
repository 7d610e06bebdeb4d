/**
 * #12 item 1 end to end: the daemon over TCP against the simulator's transfer flows (captures 10 and 11), and
 * what ends up stored: the files, their `<key>.json` metadata and the index's conversation grouping.
 * The simulator's clock is stepped by the test, so each file's audio span is exact.
 */
import t from 'tap';
import { PHONE, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { recordStarts, storedRecordings, storedWavs, steppedStack, callEnded, partyNumbers } from './stored-results';

/** 1000's own rule records its calls; nobody else's does (the third party's originated leg is not recorded by itself). */
const CALLER_RECORDS = `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1000": {record: on}
`;

t.test('attended transfer of a recorded call: two segments of one conversation, the second on the leg that stayed', async (t) => {
  const { s, clock } = await steppedStack(t, CALLER_RECORDS);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const stays = call.bUuid ?? '';
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'the caller armed');
  clock.advanceMs(300);
  await call.answer();
  clock.advanceMs(2000);
  const xfer = await s.sim.attendedTransfer({ stays, third: PHONE('1002'), thirdCallerId: '1001' });
  t.equal(xfer.leftUuid, call.aUuid, 'the recorded caller left');
  await waitFor(() => s.sim.recordingsOf(stays).length === 1, 'the conversation recorded on, on the leg that stayed');
  clock.advanceMs(3000);
  await xfer.hangup('third');
  await waitFor(() => s.app.spool.status().stored === 2, 'both segments stored');

  t.equal(storedWavs(s).length, 2, 'two stored files');
  t.equal(recordStarts(s).length, 2, 'two uuid_record starts');
  t.same(s.sim.recordingsOf(xfer.thirdUuid), [], 'nothing on the third party');
  const [first, second] = storedRecordings(s);
  if (!first || !second) return;
  t.equal(first.meta.legUuid, call.aUuid, 'segment 1 on the caller');
  t.equal(second.meta.legUuid, stays, 'segment 2 on the leg that stayed');
  t.equal(first.meta.conversationId, call.aUuid, 'the conversation id: the first recorded call');
  t.equal(second.meta.conversationId, first.meta.conversationId, 'one conversation');
  t.same([first.meta.segment, second.meta.segment], [1, 2]);
  t.equal(first.meta.startedBy, 'armed');
  t.equal(second.meta.startedBy, 'transfer');
  t.same(second.meta.transferFrom, { recordingId: first.meta.id, kind: 'attended' }, 'segment 2 names the recording it continues');
  t.same(first.meta.parties?.[0], { role: 'caller', number: '1000', name: '1000', device: '1000', legUuid: call.aUuid }, 'segment 1: the caller');
  t.same(partyNumbers(second.meta.parties), [['caller', '1001'], ['callee', '1002']], 'segment 2: the phone that stayed and the third party');
  t.equal(second.meta.parties?.[1]?.legUuid, xfer.thirdUuid);
  t.match(second.meta.reasons[0], /^continues conversation \S+ after attended transfer$/);

  t.same([first.magic, second.magic], ['RIFF', 'RIFF'], 'real WAV files');
  t.equal(first.audioMs, 2000, 'segment 1 holds the answered call up to the transfer');
  t.equal(second.audioMs, 3000, 'segment 2 holds the conversation from the new bridge to the hangup');
  const tl2 = s.sim.recordingTimeline(second.meta.path);
  t.equal(tl2?.lostAfterBridgeUs, 0, 'segment 2 starts at its bridge');

  const segments = await waitFor(async () => {
    const found = await s.app.index.segmentsOf(first.meta.conversationId ?? '');
    return found.every((e) => e.state === 'stored') && found;
  }, 'the index has both segments stored');
  t.same(segments.map((e) => [e.id, e.segment, e.state]), [[first.meta.id, 1, 'stored'], [second.meta.id, 2, 'stored']], 'the index: the segments in order');
  t.same(segments[1]?.transferFrom, { recordingId: first.meta.id, kind: 'attended' });
  const grouped = await s.app.index.conversations({ limit: 10 });
  t.equal(grouped.conversations.length, 1, 'one conversation in the grouped list');
  const conv = grouped.conversations[0];
  t.equal(conv?.segmentCount, 2);
  t.equal(conv?.durationMs, 5000, 'the conversation lasted 2 s + 3 s');
  t.same(conv?.parties.map((p) => p.number).sort(), ['1000', '1001', '1002'], 'everyone on it, once each');
  t.equal((await s.app.index.conversations({ limit: 10, conversation: first.meta.conversationId })).conversations[0]?.segmentCount, 2, 'found by its id');
  const byThird = (await s.app.index.conversations({ limit: 10, text: '1002' })).conversations;
  t.same(byThird.map((c) => [c.conversationId, c.segmentCount]), [[first.meta.conversationId, 2]], 'found, whole, by a party only its second segment has');
});

/** Every decision the recorder makes, with its call and trigger. */
function decisions(s: Stack): Array<{ call: string; trigger: string; record: boolean }> {
  const out: Array<{ call: string; trigger: string; record: boolean }> = [];
  s.app.daemon.bus.on('decided', (call, decision, trigger) => out.push({ call: call.uuid, trigger, record: decision.record }));
  return out;
}

t.test('follow_transfer: false: only the first part is stored', async (t) => {
  const { s, clock } = await steppedStack(t, `${CALLER_RECORDS}recording: {follow_transfer: false}\n`);
  const seen = decisions(s);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const stays = call.bUuid ?? '';
  const ended = callEnded(s, call.aUuid);
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'the caller armed');
  await call.answer();
  clock.advanceMs(2000);
  const xfer = await s.sim.attendedTransfer({ stays, third: PHONE('1002'), thirdCallerId: '1001' });
  await waitFor(() => seen.filter((d) => d.call === call.aUuid && d.trigger === 'bridge').length === 2, 'the new bridge was decided');
  clock.advanceMs(3000);
  await xfer.hangup('third');
  await ended;
  await waitFor(() => s.app.spool.status().stored === 1, 'the first part stored');
  t.equal(recordStarts(s).length, 1, 'one uuid_record start');
  t.same(s.sim.recordingsOf(stays), [], 'nothing on the leg that stayed');
  t.equal(storedWavs(s).length, 1, 'one stored file');
  const [only] = storedRecordings(s);
  t.equal(only?.meta.legUuid, call.aUuid);
  t.equal(only?.meta.segment, 1);
  t.equal(only?.audioMs, 2000, 'up to the transfer');
  t.same((await s.app.index.segmentsOf(call.aUuid)).map((e) => e.segment), [1], 'a conversation of one segment');
  t.same([...s.app.spool.journal.entries.values()].map((e) => e.state), ['stored'], 'nothing else journaled');
});

t.test('first part not recorded, transferred to a party whose rules record: one recording from the transfer on', async (t) => {
  const { s, clock } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1002": {record: {inbound: on}}
`);
  const seen = decisions(s);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const stays = call.bUuid ?? '';
  await call.answer();
  await waitFor(() => seen.some((d) => d.call === call.aUuid && d.trigger === 'bridge'), 'the first bridge decided');
  t.notOk(seen.some((d) => d.record), 'the first part is not recorded');
  clock.advanceMs(2000);
  const xfer = await s.sim.attendedTransfer({ stays, third: PHONE('1002'), thirdCallerId: '1001' });
  await waitFor(() => s.sim.recordingsOf(stays).length + s.sim.recordingsOf(xfer.thirdUuid).length === 1, 'recorded from the transfer on');
  clock.advanceMs(3000);
  await xfer.hangup('third');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(recordStarts(s).length, 1, 'one uuid_record start');
  t.equal(storedWavs(s).length, 1, 'one stored file');
  const [only] = storedRecordings(s);
  if (!only) return;
  t.equal(only.meta.legUuid, stays, 'on the leg that stayed, which carries the new bridge');
  t.equal(only.meta.segment, 1, 'segment 1 of its conversation');
  t.equal(only.meta.transferFrom, undefined, 'it continues no recording');
  t.match(only.meta.reasons, [/device 1002 inbound×internal on/]);
  t.same(partyNumbers(only.meta.parties), [['caller', '1001'], ['callee', '1002']], 'the parties of the new bridge');
  t.equal(only.audioMs, 3000, 'from the transfer to the hangup');
  t.same((await s.app.index.segmentsOf(only.meta.conversationId ?? '')).map((e) => e.id), [only.meta.id], 'a conversation of one segment');
});

for (const how of ['uuid_transfer', 'REFER'] as const) {
  t.test(`blind transfer of the recorded caller (${how}): the recording rides on its channel, one file for the whole call`, async (t) => {
    const { s, clock } = await steppedStack(t, CALLER_RECORDS);
    const seen = decisions(s);
    s.sim.dialplan.set('1002', PHONE('1002'));
    const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
    const ended = callEnded(s, call.aUuid);
    await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'the caller armed');
    await call.answer();
    clock.advanceMs(2000);
    if (how === 'uuid_transfer') await s.sim.transfer(call.aUuid, '1002');
    else await call.transfer('a', '1002');
    const newLeg = s.sim.channel(call.aUuid)?.other;
    t.equal(newLeg?.destination, '1002', 'the caller is bridged on to 1002');
    await waitFor(() => seen.filter((d) => d.call === call.aUuid && d.trigger === 'bridge').length === 2, 'the rules evaluated again at the new bridge');
    clock.advanceMs(3000);
    await call.hangup('a');
    await ended;
    await waitFor(() => s.app.spool.status().stored === 1, 'stored');
    t.equal(recordStarts(s).length, 1, 'no second recording');
    t.same(s.sim.recordingsOf(newLeg?.uuid ?? ''), [], 'nothing on the new party');
    t.equal(storedWavs(s).length, 1, 'one stored file');
    const [only] = storedRecordings(s);
    t.equal(only?.meta.legUuid, call.aUuid);
    t.equal(only?.meta.segment, 1);
    t.equal(only?.audioMs, 5000, 'the whole call: 2 s before the transfer, 3 s after');
    t.equal(only?.magic, 'RIFF');
    t.same([...s.app.spool.journal.entries.values()].map((e) => e.state), ['stored'], 'nothing else journaled');
  });
}

t.test('blind transfer of the far party (the caller sends it elsewhere): the conversation goes on in segment 2, no duplicate', async (t) => {
  const { s, clock } = await steppedStack(t, CALLER_RECORDS);
  s.sim.dialplan.set('1002', PHONE('1002'));
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const farLeg = call.bUuid ?? '';
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'the caller armed');
  await call.answer();
  clock.advanceMs(2000);
  await call.transfer('b', '1002');
  const newLeg = s.sim.channel(farLeg)?.other;
  t.equal(newLeg?.destination, '1002', 'the far party is bridged on to 1002');
  await waitFor(() => s.sim.recordingsOf(farLeg).length === 1, 'recorded on, on the far party');
  clock.advanceMs(3000);
  const far = s.sim.channel(farLeg);
  if (far) await s.sim.hangupCall(far, 'NORMAL_CLEARING');
  await waitFor(() => s.app.spool.status().stored === 2, 'both parts stored');
  t.equal(recordStarts(s).length, 2, 'one start per part');
  t.same(s.sim.recordingsOf(newLeg?.uuid ?? ''), [], 'nothing on the new party');
  const [first, second] = storedRecordings(s);
  if (!first || !second) return;
  t.same([first.meta.legUuid, second.meta.legUuid], [call.aUuid, farLeg]);
  t.same([first.meta.segment, second.meta.segment], [1, 2]);
  t.equal(second.meta.conversationId, call.aUuid);
  t.equal(second.meta.transferFrom?.recordingId, first.meta.id);
  t.same(partyNumbers(second.meta.parties), [['caller', '1001'], ['callee', '1002']]);
  t.same([first.audioMs, second.audioMs], [2000, 3000]);
});
