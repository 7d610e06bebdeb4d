/**
 * #12 end to end: originated calls over TCP (capture 12's shape: one outbound leg, answered before any dialplan
 * runs). Click-to-call rings the user's own phone, then its extension bridges it to the number clicked. Recorded
 * per the rules, one file, and what is stored says who was on it. The simulator's clock is stepped by the test.
 */
import t from 'tap';
import { PHONE } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { recordStarts, storedRecordings, storedWavs, steppedStack, callEnded } from './stored-results';

t.test("click-to-call from a user whose rule records: armed on the user's ringing phone, one file from its answer", async (t) => {
  const { s, clock, decided } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1000": {record: on}
`);
  s.sim.dialplan.set('1001', PHONE('1001'));
  const click = await s.sim.originate({ to: PHONE('1000'), callerIdNumber: '1001', callerIdName: 'Click to call', exten: '1001', answer: false });
  const ended = callEnded(s, click.uuid);
  await waitFor(() => s.sim.recordingsOf(click.uuid).length === 1, "armed while the user's phone rings");
  t.match(recordStarts(s), [new RegExp(`^uuid_record ${click.uuid} start \\S+ 0 \\{RECORD_STEREO=true,RECORD_ANSWER_REQ=true\\}$`)]);
  clock.advanceMs(700);
  await click.answer();
  const far = s.sim.channel(click.uuid)?.other;
  t.equal(far?.destination, '1001', 'bridged on to the number clicked');
  await waitFor(() => decided.some((d) => d.call === click.uuid && d.trigger === 'bridge'), 'the bridge decided');
  clock.advanceMs(2500);
  await click.hangup();
  await ended;
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(recordStarts(s).length, 1, 'one recording for the whole click-to-call');
  t.same(s.sim.recordingsOf(far?.uuid ?? ''), [], 'nothing on the far leg');
  t.equal(storedWavs(s).length, 1);
  const [only] = storedRecordings(s);
  if (!only) return;
  t.equal(only.magic, 'RIFF');
  t.equal(only.audioMs, 2500, 'from the answer of the user\'s phone to the hangup');
  t.equal(s.sim.recordingTimeline(only.meta.path)?.lostAfterAnswerUs, 0);
  t.equal(only.meta.legUuid, click.uuid);
  t.equal(only.meta.conversationId, click.uuid);
  t.equal(only.meta.segment, 1);
  t.equal(only.meta.startedBy, 'armed');
  t.equal(only.meta.device, '1000', "filed under the user's device");
  t.same(only.meta.reasons, ['device 1000 outbound×internal on']);
  t.same([...s.app.spool.journal.entries.values()].map((e) => e.state), ['stored'], 'nothing else journaled');
  const indexed = await waitFor(async () => { const e = await s.app.index.get(only.meta.id); return e?.state === 'stored' && e; }, 'indexed');
  t.equal(indexed.device, '1000');
});

t.test('an originate to an extension (capture 12: one leg, answered, echo) under an account rule: one file', async (t) => {
  const { s, clock } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    record_account: {outbound: {internal: on}}
`);
  const leg = await s.sim.originate({ to: PHONE('1003'), callerIdNumber: '1000' });
  await waitFor(() => s.sim.recordingsOf(leg.uuid).length === 1, 'recorded');
  clock.advanceMs(1200);
  await leg.hangup();
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(recordStarts(s).length, 1);
  const [only] = storedRecordings(s);
  t.equal(only?.meta.legUuid, leg.uuid);
  t.equal(only?.audioMs, 1200);
  t.match(only?.meta.reasons, [/^account acme\.example (inbound|outbound)×internal on$/]);
});

t.test('an originate no rule records: nothing recorded, nothing journaled', async (t) => {
  const { s, clock, decided } = await steppedStack(t, `
accounts:
  acme.example:
    tenant_uuid: acme
    devices:
      "1000": {record: on}
`);
  s.sim.dialplan.set('1001', PHONE('1001'));
  const click = await s.sim.originate({ to: PHONE('1002'), callerIdNumber: '1001', exten: '1001' });
  const ended = callEnded(s, click.uuid);
  await waitFor(() => decided.some((d) => d.call === click.uuid && d.trigger === 'bridge'), 'the bridge decided');
  clock.advanceMs(1000);
  await click.hangup();
  await ended;
  t.notOk(decided.some((d) => d.record), 'no decision says record');
  t.same(recordStarts(s), []);
  t.equal(s.app.spool.journal.entries.size, 0);
});
