/**
 * #12 end to end, the details: an armed recording learns its callee, a transfer to a party already recorded
 * makes no second copy, and a continuation names how the call moved (FreeSWITCH's transfer history).
 * Same setup as transfers.test.ts: the daemon over TCP against the simulator, the stored `<key>.json` read back.
 */
import t from 'tap';
import { PHONE } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { recordStarts, storedRecordings, steppedStack, callEnded, partyNumbers } from './stored-results';

t.test("an armed recording's stored parties name the callee it recorded, not the caller alone", async (t) => {
  const { s, clock } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1000": {record: on}
`);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'armed');
  await call.answer();
  clock.advanceMs(1000);
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  const [only] = storedRecordings(s);
  t.equal(only?.meta.startedBy, 'armed');
  t.same(partyNumbers(only?.meta.parties), [['caller', '1000'], ['callee', '1001']], 'caller and callee, as a recording started at answer says');
  t.equal(only?.meta.parties?.[1]?.legUuid, call.bUuid);
});

t.test('attended transfer to a party whose own leg is already recorded: one recording holds the new bridge', async (t) => {
  // Every internal call is recorded, so the third party's originated leg is recorded by itself from its answer.
  const { s, clock } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    record_account: {inbound: {internal: on}}
`);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const stays = call.bUuid ?? '';
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'the caller armed');
  await call.answer();
  clock.advanceMs(2000);
  const xfer = await s.sim.attendedTransfer({ stays, third: PHONE('1002'), thirdCallerId: '1001' });
  const ended = callEnded(s, call.aUuid);
  await waitFor(() => s.sim.recordingsOf(stays).length + s.sim.recordingsOf(xfer.thirdUuid).length >= 1, 'the conversation recorded on');
  clock.advanceMs(3000);
  await xfer.hangup('third');
  await ended;
  await waitFor(() => [...s.app.spool.journal.entries.values()].every((e) => e.state === 'stored'), 'everything stored');
  const files = storedRecordings(s);
  t.same(
    files.map((f) => [f.meta.legUuid === call.aUuid ? 'caller' : f.meta.legUuid === stays ? 'stays' : 'third', f.meta.conversationId === call.aUuid ? 'conv-1' : 'other', f.meta.segment, f.audioMs]),
    [['caller', 'conv-1', 1, 2000], ['third', 'conv-1', 2, 3000]],
    'two files: the first part, and its continuation in the recording already running on the third party (not a second copy)',
  );
  t.equal(recordStarts(s).length, 2, 'two uuid_record starts');
});

t.test('blind transfer of the far party: the continuation says it came from a blind transfer', async (t) => {
  const { s, clock } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1000": {record: on}
`);
  s.sim.dialplan.set('1002', PHONE('1002'));
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  const farLeg = call.bUuid ?? '';
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'armed');
  await call.answer();
  clock.advanceMs(1000);
  await call.transfer('b', '1002');
  await waitFor(() => s.sim.recordingsOf(farLeg).length === 1, 'recorded on, on the far party');
  const far = s.sim.channel(farLeg);
  if (far) await s.sim.hangupCall(far, 'NORMAL_CLEARING');
  await waitFor(() => s.app.spool.status().stored === 2, 'both parts stored');
  const second = storedRecordings(s)[1];
  t.equal(second?.meta.segment, 2);
  t.same(second?.meta.transferFrom?.kind, 'blind', 'uuid_transfer (bl_xfer in transfer_history), not uuid_bridge');
});
