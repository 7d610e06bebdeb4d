/**
 * Issue #11 behaviour 1: a uuid_record whose reply is late or lost is not a failure. FreeSWITCH records
 * on; the daemon follows the file and stores it once RECORD_STOP, the call's end or the resync says so.
 * On the code before the fix each of these journaled the recording "failed" and never uploaded it.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { outcomeUnknown } from '../../src/recorder/command-outcome';
import { EslCommandError, EslNotConnectedError, EslTimeoutError } from '../../src/esl/types';
import { PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const RULES = `
accounts:
  acme.example:
    tenant_uuid: acme
    record_account: {inbound: {internal: on}, outbound: {internal: on}}
`;

function storedWavs(s: { files(sub: string): string[] }): string[] {
  return s.files('stored').filter((f) => f.endsWith('.wav'));
}

t.test('a reply later than esl.api_timeout_ms: the recording is followed and stored once', async (t) => {
  const s = await startStack(t, RULES, { apiTimeoutMs: 150 });
  await waitFor(() => s.app.esl.connected, 'connected');
  s.sim.faults.delayReply(/^uuid_record .* start/, 600, 1);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'FreeSWITCH records');
  await waitFor(() => s.app.metrics.render().includes('fsrecd_record_start_unanswered_total 1'), 'the timeout was seen');
  const entry = [...s.app.spool.journal.entries.values()][0];
  t.equal(entry?.state, 'recording', 'journaled as still recording, not failed');
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored after RECORD_STOP');
  t.equal(storedWavs(s).length, 1, 'exactly one object');
  t.equal(readFileSync(storedWavs(s)[0] as string).subarray(0, 4).toString(), 'RIFF');
});

t.test('the connection drops right after uuid_record was written; the call ends while away: the file is stored', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  s.sim.faults.dropAfter(/^uuid_record .* start/);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'FreeSWITCH records although our connection dropped');
  // Hang up before the daemon is back: RECORD_STOP is never seen; the resync finds the call gone.
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored after the resync settled it', 15_000);
  t.equal(storedWavs(s).length, 1, 'exactly one object');
  const entry = [...s.app.spool.journal.entries.values()][0];
  t.equal(entry?.state, 'stored');
});

t.test('the connection drops after uuid_record; the call goes on: uuid_buglist says it records, RECORD_STOP finishes it', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  s.sim.faults.dropAfter(/^uuid_record .* start/);
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.commands.some((c) => c.startsWith('uuid_buglist')), 'asked FreeSWITCH after the reconnect');
  await waitFor(() => s.app.daemon.recorder.active().some((r) => r.state === 'recording'), 'settled as recording');
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(storedWavs(s).length, 1, 'one object');
  t.equal(s.sim.commands.filter((c) => / start /.test(c) && c.startsWith('uuid_record')).length, 1, 'never a second uuid_record for the same call');
});

t.test('which failures leave the outcome unknown', async (t) => {
  t.equal(outcomeUnknown(new EslTimeoutError('uuid_record x start /a.wav', 100)), true, 'a timeout: it may have been carried out');
  t.equal(outcomeUnknown(new EslNotConnectedError('(connection lost)')), true, 'a drop after writing it: likewise');
  t.equal(outcomeUnknown(new EslNotConnectedError('uuid_record x start /a.wav')), false, 'not connected at send time: never sent');
  t.equal(outcomeUnknown(new EslCommandError('uuid_record x start /a.wav', '-ERR Cannot locate session!')), false, 'a -ERR: refused');
  t.equal(outcomeUnknown(new Error('refusing an ESL command with a line break: "x"')), false, 'unsafe: never sent');
});
