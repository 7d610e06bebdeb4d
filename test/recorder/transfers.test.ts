/**
 * Issue #12: fsrecd follows the conversation, not the channel, on FreeSWITCH's real event sequences
 * (captures 10 and 11) and arms recordings before answer where the decision allows (capture 02).
 */
import t from 'tap';
import { captureDaemon, captureEvents, settle } from '../helpers/capture-daemon';

const RULES = `
accounts:
  "127.0.0.1":
    tenant_uuid: acme
    record_account: {inbound: {internal: on}, outbound: {internal: on}}
`;

t.test('attended transfer (capture 11): the recorded leg leaves, its far party is bridged on: a second segment on it', async (t) => {
  const d = await captureDaemon(RULES);
  for (const ev of captureEvents('11-attended-transfer-bridge.raw')) {
    d.feed(ev);
    await settle();
  }
  const starts = d.esl.starts();
  t.equal(starts.length, 2, 'two uuid_record starts: the first part, then the continuation');
  const [first, second] = d.sink.started;
  t.equal(first?.legUuid.slice(0, 8), 'ded12428', 'segment 1 on the caller (the a-leg)');
  t.equal(second?.legUuid.slice(0, 8), '05de7426', 'segment 2 on the far party, which carries the conversation on');
  t.equal(second?.conversationId, first?.conversationId, 'one conversation');
  t.equal(first?.segment, 1);
  t.equal(second?.segment, 2);
  t.equal(second?.startedBy, 'transfer');
  t.same(second?.transferFrom, { recordingId: first?.id, kind: 'attended' });
  t.same(second?.parties?.map((p) => [p.role, p.number]), [['caller', '7701'], ['callee', '7702']], 'the new parties: the far phone and the third party');
  t.match(second?.reasons[0], /^continues conversation .* after attended transfer$/);
  // The capture holds no RECORD_STOP for our second recording (it was never made): the hangup closes it.
  t.same(d.sink.finished.map((f) => [f.meta.segment, f.result.completionCause]), [[1, 'success-silence'], [2, 'call-ended-without-record-stop']], 'both segments handed to the spool');
  t.equal(d.daemon.recorder.activeCount, 0, 'nothing left open');
});

t.test('follow_transfer: false stops at the transfer', async (t) => {
  const d = await captureDaemon(`${RULES}\nrecording: {follow_transfer: false}\n`);
  for (const ev of captureEvents('11-attended-transfer-bridge.raw')) {
    d.feed(ev);
    await settle();
  }
  t.equal(d.esl.starts().length, 1, 'only the first part is recorded');
});

t.test('blind transfer of the recorded leg (capture 10): the recording rides on the channel, one file', async (t) => {
  const d = await captureDaemon(RULES);
  for (const ev of captureEvents('10-blind-transfer.raw')) {
    d.feed(ev);
    await settle();
  }
  t.equal(d.esl.starts().length, 1, 'no second recording: FreeSWITCH keeps recording the transferred channel');
  t.equal(d.sink.finished.length, 1);
});

t.test('armed at creation (capture 02): uuid_record with RECORD_ANSWER_REQ before CHANNEL_ANSWER', async (t) => {
  const d = await captureDaemon(RULES);
  let startsBeforeAnswer = -1;
  for (const ev of captureEvents('02-answered-call-record.raw')) {
    if (ev.name === 'CHANNEL_ANSWER' && startsBeforeAnswer < 0) startsBeforeAnswer = d.esl.starts().length;
    d.feed(ev);
    await settle();
  }
  t.equal(startsBeforeAnswer, 1, 'the start command went out before the answer');
  t.match(d.esl.starts()[0]?.command, /\{RECORD_STEREO=true,RECORD_ANSWER_REQ=true\}$/);
  t.equal(d.sink.started[0]?.startedBy, 'armed');
});
