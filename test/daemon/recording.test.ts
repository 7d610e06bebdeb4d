/** The daemon end to end over real TCP: events in, decisions, uuid_record out, files stored. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const RULES = `
accounts:
  acme.example:
    tenant_uuid: acme
    record_account: {inbound: {external: on}}
    users:
      alice: {record: {outbound: on}}
    devices:
      "1000": {user: alice}
`;

t.test('a recorded call: one uuid_record on the a-leg, file stored, spool emptied', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording on the a-leg');
  t.same(s.sim.recordingsOf(call.bUuid ?? ''), [], 'nothing on the b-leg: one recording per call');
  await call.hangup('b');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  const starts = s.sim.commands.filter((c) => c.includes(' start '));
  t.equal(starts.length, 1);
  t.match(starts[0], new RegExp(`^uuid_record ${call.aUuid} start ${s.dir}/spool/acme/\\d{4}-\\d\\d-\\d\\dT\\d\\d_\\d\\d_\\d\\dUTC-1000-1001\\.wav 0 \\{RECORD_STEREO=true,RECORD_ANSWER_REQ=true\\}$`), 'armed when the call was created: the caller\'s own rule needs no answer');
  const stored = s.files('stored').filter((f) => f.endsWith('.wav'));
  t.equal(stored.length, 1);
  t.equal(readFileSync(stored[0] as string).subarray(0, 4).toString(), 'RIFF', 'a real WAV');
  const meta = JSON.parse(readFileSync(`${stored[0]}.json`, 'utf8')) as { reasons: string[]; srcnum: string; callUuid: string; user: string };
  t.same(meta.reasons, ['user alice outbound×internal on']);
  t.equal(meta.callUuid, call.aUuid);
  t.equal(meta.user, 'alice');
  await waitFor(() => s.files('spool').length === 0, 'local copy removed after the stored copy was verified');
  t.same(s.files('spool'), []);
});

t.test('hostile caller IDs: no file outside spool_dir, no second ESL command', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const hostile = ['../../etc/passwd', 'a/b', '%2e%2e%2f', '\napi uuid_kill all', 'x\r\n\r\nbgapi originate', 'nul\u0000byte', 'x'.repeat(4096), '\u202Eevil', "'quoted' \"x\"", ''];
  for (const cid of hostile) {
    const before = s.sim.commands.length;
    const call = await s.sim.createCall({ from: { number: cid, context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: PHONE('1001') });
    await call.answer();
    await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, `recording for ${JSON.stringify(cid.slice(0, 12))}`);
    await call.hangup('a');
    const sent = s.sim.commands.slice(before);
    t.same(sent.filter((c) => !c.startsWith('uuid_record') && !c.startsWith('uuid_setvar')), [], `${JSON.stringify(cid.slice(0, 12))}: only our commands`);
    t.equal(sent.filter((c) => c.startsWith('uuid_record')).length, 1, 'exactly one uuid_record');
  }
  await waitFor(() => s.app.spool.status().stored === hostile.length, 'all stored');
  t.same(s.sim.commands.filter((c) => !['uuid_record', 'uuid_setvar', 'show', 'uuid_dump'].includes(c.split(' ')[0] as string)), [], 'nothing injected');
  const paths = s.sim.commands.filter((c) => c.startsWith('uuid_record')).map((c) => c.split(' ')[3] as string);
  for (const p of paths) t.notOk(relative(`${s.dir}/spool`, p).startsWith('..'), `${p} inside the spool`);
  t.equal(new Set(paths).size, paths.length, 'every recording got its own file');
  t.ok(s.files('').every((f) => f.startsWith(s.dir)), 'nothing written outside the test directory');
});

t.test('a recording FreeSWITCH discards is journaled as discarded, not lost', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001'), media: false });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording');
  await call.hangup('a');
  await waitFor(() => [...s.app.spool.journal.entries.values()].some((e) => e.state === 'discarded'), 'discarded');
  const e = [...s.app.spool.journal.entries.values()][0];
  t.equal(e?.state, 'discarded');
  t.equal(e?.lastError, 'empty-file');
  t.equal(s.app.spool.status().lost, 0);
  t.equal(s.app.metrics.value('fsrecd_recordings_discarded_total', { cause: 'empty-file' }), 1);
});

t.test('reconnect: a dropped session and a FreeSWITCH restart; calls begun while away are re-synced and recorded', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const live = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await live.answer();
  await waitFor(() => s.sim.recordingsOf(live.aUuid).length === 1, 'recording before the drop');
  s.sim.dropConnections();
  // While fsrecd is away: a carrier call starts and is answered.
  const during = await s.sim.createCall({ from: { number: '+33140000000', context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: PHONE('1001') });
  await during.answer();
  await waitFor(() => s.app.esl.connected && s.app.daemon.registry.leg(during.aUuid) !== undefined, 're-synced');
  await waitFor(() => s.sim.recordingsOf(during.aUuid).length === 1, 'the call begun while away is recorded');
  t.equal(s.sim.recordingsOf(live.aUuid).length, 1, 'the live recording was not started twice');
  t.equal(s.sim.commands.filter((c) => c.startsWith(`uuid_record ${live.aUuid} start`)).length, 1);

  await s.sim.restart({ keepChannels: true });
  await waitFor(() => s.app.esl.connected, 'reconnected after restart');
  await live.hangup('a');
  await during.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 2, 'both stored');
  await waitFor(() => s.app.daemon.registry.callCount === 0, 'hung-up calls leave the registry');
  t.equal(s.app.daemon.registry.legCount, 0);
});

t.test('a call that hangs up while uuid_record is on its way is journaled failed or stored, never lost', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  for (let i = 0; i < 10; i++) {
    const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
    await call.answer();
    await call.hangup('a');
  }
  const settled = (): boolean => {
    const entries = [...s.app.spool.journal.entries.values()];
    return entries.length === 10 && entries.every((e) => ['failed', 'stored', 'discarded'].includes(e.state));
  };
  await waitFor(settled, 'every attempt settled');
  t.equal(s.app.spool.status().lost, 0, 'none lost');
  t.equal(s.app.metrics.value('fsrecd_recordings_failed_total', { reason: 'no-session' }) + s.app.spool.status().stored, 10, 'each either refused by FreeSWITCH or stored');
});
