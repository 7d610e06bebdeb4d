/**
 * The simulator's transfer and originate commands over TCP: replies and errors as mod_commands.c writes them,
 * where the recording goes, and the test-facing helpers (call.transfer, sim.attendedTransfer, sim.originate).
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EslEvent } from '../../src/esl/types';
import { waitFor } from '../helpers/wait-for';
import { listen, startSim } from './flow-helpers';

const wavMs = (path: string): number => {
  const buf = readFileSync(path);
  return (buf.readUInt32LE(40) / (buf.readUInt16LE(22) * 2) / buf.readUInt32LE(24)) * 1000;
};

t.test('uuid_transfer: replies and errors as mod_commands.c writes them', async (t) => {
  const { sim } = await startSim(t);
  const esl = await listen(t, sim, 'event plain CHANNEL_HANGUP_COMPLETE');
  t.equal(await esl.api('uuid_transfer 5f6e4a8c-0000-0000-0000-000000000000 7700 XML default'), '-ERR No such channel!\n');
  t.equal(await esl.api('uuid_transfer onlyone'), '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n');
  t.equal(await esl.api('uuid_bridge onlyone'), '-USAGE: <uuid> <other_uuid>\n');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  t.equal(await esl.api(`uuid_bridge ${call.aUuid} 5f6e4a8c-0000-0000-0000-000000000000`), '-ERR Invalid uuid\n');
  t.equal(await esl.api('originate loopback/1000 7700'), '-ERR CHAN_NOT_IMPLEMENTED\n');
  await call.hangup();
});

t.test('a transfer the PBX user makes (REFER) to another phone: the events of uuid_transfer, one recording on', async (t) => {
  const { sim, dir } = await startSim(t);
  sim.dialplan.set('7702', { number: '7702' });
  const runs: Array<{ events: EslEvent[]; path: string; aUuid: string }> = [];
  for (const how of ['api', 'refer'] as const) {
    const esl = await listen(t, sim, 'event plain ALL');
    const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
    await call.answer();
    const path = join(dir, `${how}.wav`);
    await esl.api(`uuid_record ${call.aUuid} start ${path}`);
    if (how === 'api') t.equal(await esl.api(`uuid_transfer ${call.aUuid} 7702 XML default`), '+OK\n');
    else await call.transfer('a', '7702');
    await waitFor(() => esl.events().filter((e) => e.name === 'CHANNEL_BRIDGE' && e.get('Unique-ID') === call.aUuid).length === 2, 'bridged to 7702');
    await call.hangup('a');
    await waitFor(() => esl.events().some((e) => e.name === 'CHANNEL_DESTROY' && e.get('Unique-ID') === call.aUuid), 'over');
    runs.push({ events: esl.events().filter((e) => e.get('Unique-ID')), path, aUuid: call.aUuid });
    esl.socket.destroy();
  }
  const [api, refer] = runs;
  if (!api || !refer) return;
  const shape = (r: typeof api): string[] => r.events.map((e) => `${e.get('Unique-ID') === r.aUuid ? 'a' : 'other'}:${e.name}`);
  t.same(shape(refer), shape(api), 'call.transfer gives the events of uuid_transfer');
  const bridges = refer.events.filter((e) => e.name === 'CHANNEL_BRIDGE');
  t.equal(bridges[1]?.get('Other-Leg-Destination-Number'), '7702', 'bridged on to 7702');
  t.equal(refer.events.filter((e) => e.name === 'RECORD_STOP').length, 1, 'one recording, stopped at the end');
  t.ok(existsSync(refer.path));
});

t.test('uuid_transfer -bleg with recording_follow_transfer=true: the recording moves to the b-leg', async (t) => {
  const { sim, dir } = await startSim(t);
  const esl = await listen(t, sim, 'event plain RECORD_START RECORD_STOP CHANNEL_HANGUP_COMPLETE');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
  await call.answer();
  await esl.api(`uuid_setvar ${call.aUuid} recording_follow_transfer true`);
  const path = join(dir, 'follow.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${path}`);
  t.equal(await esl.api(`uuid_transfer ${call.aUuid} -bleg 7700 XML default`), '+OK\n');
  await waitFor(() => esl.events().some((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.get('Unique-ID') === call.aUuid), 'a-leg gone');
  t.same(sim.recordingsOf(call.bUuid ?? ''), [path], 'the media bug is on the b-leg now');
  t.equal(esl.events().filter((e) => e.name === 'RECORD_STOP').length, 0, 'the a-leg\'s hangup did not stop it');
  await esl.api(`uuid_kill ${call.bUuid}`);
  await waitFor(() => esl.events().some((e) => e.name === 'RECORD_STOP'), 'RECORD_STOP');
  const stops = esl.events().filter((e) => e.name === 'RECORD_STOP');
  t.equal(stops[0]?.get('Unique-ID'), call.bUuid, 'RECORD_STOP from the b-leg');
  t.equal(esl.events().filter((e) => e.name === 'RECORD_START').length, 1, 'no second RECORD_START (INIT after a transfer sends none)');
});

t.test('sim.attendedTransfer: the recorded a-leg leaves, its file ends there, the b-leg talks on to the third party', async (t) => {
  const { sim, dir } = await startSim(t);
  const esl = await listen(t, sim, 'event plain CHANNEL_CREATE CHANNEL_BRIDGE RECORD_STOP CHANNEL_HANGUP_COMPLETE');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
  await call.answer();
  const path = join(dir, 'att.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${path}`);
  const xfer = await sim.attendedTransfer({ stays: call.bUuid ?? '', third: { number: '7702' }, thirdCallerId: '7799' });
  t.equal(xfer.leftUuid, call.aUuid);
  t.equal(sim.channel(call.aUuid), undefined, 'the a-leg is gone');
  t.equal(sim.channel(xfer.thirdUuid)?.other?.uuid, call.bUuid);
  await waitFor(() => esl.events().some((e) => e.name === 'CHANNEL_BRIDGE' && e.get('Unique-ID') === call.bUuid), 'the new bridge reached the client');
  const evs = esl.events();
  const stopAt = evs.findIndex((e) => e.name === 'RECORD_STOP');
  const bridgeAt = evs.findIndex((e) => e.name === 'CHANNEL_BRIDGE' && e.get('Unique-ID') === call.bUuid);
  t.ok(stopAt >= 0 && stopAt < bridgeAt, 'RECORD_STOP first, then the new CHANNEL_BRIDGE');
  t.equal(evs.find((e) => e.name === 'CHANNEL_CREATE' && e.get('Unique-ID') === xfer.thirdUuid)?.get('Caller-Caller-ID-Number'), '7799');
  t.ok(existsSync(path), 'the a-leg\'s file is complete');
  t.equal(sim.recordingTimeline(path)?.stoppedUs !== 0, true);
  await xfer.hangup();
  await waitFor(() => esl.events().filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').length === 3, 'all three legs ended');
  t.equal(sim.liveChannelCount, 0);
});

t.test('originate: bgapi gives +OK <uuid> in BACKGROUND_JOB; origination_uuid names the leg; ringing until answered', async (t) => {
  const { sim, dir } = await startSim(t);
  const esl = await listen(t, sim, 'event plain BACKGROUND_JOB CHANNEL_CREATE CHANNEL_ANSWER RECORD_START CHANNEL_BRIDGE');
  const wanted = '0a0b0c0d-1111-4222-8333-444455556666';
  esl.socket.write(`bgapi originate {origination_uuid=${wanted},origination_caller_id_number=1000}sofia/internal/7703@127.0.0.1 7700 XML default\n\n`);
  await waitFor(() => esl.events().some((e) => e.name === 'BACKGROUND_JOB'), 'BACKGROUND_JOB');
  const job = esl.events().find((e) => e.name === 'BACKGROUND_JOB') as EslEvent;
  t.equal(job.body, `+OK ${wanted}\n`);
  t.equal(esl.events().find((e) => e.name === 'CHANNEL_CREATE')?.get('Unique-ID'), wanted);
  t.equal(await esl.api(`originate {origination_uuid=${wanted}}sofia/internal/7704@127.0.0.1 7700`), '-ERR DESTINATION_OUT_OF_ORDER\n', 'a uuid in use');
  t.equal(await esl.api(`uuid_kill ${wanted}`), '+OK\n');

  const leg = await sim.originate({ to: { number: '7705' }, callerIdNumber: '1000', answer: false });
  const path = join(dir, 'click.wav');
  await esl.api(`uuid_record ${leg.uuid} start ${path} 0 {RECORD_ANSWER_REQ=true}`);
  t.equal(sim.channel(leg.uuid)?.state, 'ringing');
  await leg.answer();
  await leg.hangup();
  await waitFor(() => sim.recordingTimeline(path)?.stoppedUs, 'stopped');
  t.equal(sim.recordingTimeline(path)?.lostAfterAnswerUs, 0, 'armed on the ringing outbound leg: nothing lost');
  t.ok(wavMs(path) > 0);
  t.equal(esl.events().filter((e) => e.name === 'CHANNEL_BRIDGE').length, 0, 'never a CHANNEL_BRIDGE');
});
