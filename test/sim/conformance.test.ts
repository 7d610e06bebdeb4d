/**
 * The simulator's frames against a real FreeSWITCH 1.10.9's (test/fixtures/freeswitch-esl): same framing,
 * same header names in the same order for each event of the same scenario, and events as large as real ones.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EslEvent } from '../../src/esl/types';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { fixture } from '../helpers/fixtures';
import { eventsOf, parseAll } from '../helpers/frames';
import { waitFor } from '../helpers/wait-for';

/** Talks raw ESL to the simulator and collects every byte it sends. */
async function rawSession(port: number, commands: string[], until: (received: string) => boolean): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  for (const cmd of commands) socket.write(`${cmd}\n\n`);
  await waitFor(() => until(Buffer.concat(chunks).toString()), 'simulator output');
  socket.destroy();
  return Buffer.concat(chunks);
}

const nonVariable = (ev: EslEvent): string[] => ev.headerNames().filter((n) => !n.startsWith('variable_'));
const variables = (ev: EslEvent): string[] => ev.headerNames().filter((n) => n.startsWith('variable_'));

t.test('wrong password: byte-identical to the capture', async (t) => {
  const sim = new FreeswitchSimulator();
  await sim.start();
  t.teardown(() => sim.stop());
  const got = await rawSession(sim.port, ['auth WrongPassword'], (s) => s.includes('ClueCon!'));
  t.equal(got.toString(), fixture('07-wrong-password.raw').toString());
});

t.test('handshake, api, bgapi, errors, exit: same frames and header names as capture 01', async (t) => {
  const sim = new FreeswitchSimulator();
  await sim.start();
  t.teardown(() => sim.stop());
  const got = await rawSession(
    sim.port,
    ['auth ClueCon', 'event plain BACKGROUND_JOB', 'api status', 'bgapi status', 'api uuid_record 5f6e4a8c-0000-0000-0000-000000000000 start /tmp/x.wav', 'api no_such_command', 'api show channels as json', 'event json CHANNEL_CREATE', 'exit'],
    (s) => s.includes('ClueCon!'),
  );
  const ours = parseAll([got]).frames;
  const theirs = parseAll([fixture('01-handshake-api.raw')]).frames;
  t.same(ours.map((f) => [...f.headers.keys()]), theirs.map((f) => [...f.headers.keys()]), 'frame header names in order');
  const bodies = (fs: typeof ours): string[] => fs.filter((f) => f.headers.get('Content-Type') === 'api/response').map((f) => f.body.toString());
  t.same(bodies(ours).slice(1), bodies(theirs).slice(1), 'error and empty-list bodies identical');
  const ourJob = eventsOf(ours)[0];
  const theirJob = eventsOf(theirs)[0];
  t.ok(ourJob && theirJob);
  if (ourJob && theirJob) t.same(ourJob.headerNames(), theirJob.headerNames(), 'BACKGROUND_JOB headers');
});

async function scenario(t: { teardown(fn: () => unknown): void }, run: (sim: FreeswitchSimulator, dir: string) => Promise<void>, format = 'plain'): Promise<EslEvent[]> {
  const sim = new FreeswitchSimulator();
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-conf-'));
  t.teardown(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const socket = connect(sim.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(`auth ClueCon\n\nevent ${format} ALL\n\n`);
  await waitFor(() => sim.connectionCount === 1 && Buffer.concat(chunks).toString().includes('listener enabled'), 'subscribed');
  await run(sim, dir);
  await waitFor(() => (Buffer.concat(chunks).toString().match(/CHANNEL_HANGUP_COMPLETE/g)?.length ?? 0) >= 1 && sim.liveChannelCount === 0, 'call over');
  await new Promise((r) => setImmediate(r));
  socket.destroy();
  return eventsOf(parseAll([Buffer.concat(chunks)]).frames);
}

function compare(t: Test, allOurs: EslEvent[], theirs: EslEvent[], label: string): void {
  // The capture subscribed to some events only; we subscribed to ALL.
  const captured = new Set(theirs.map((e) => e.name));
  const ours = allOurs.filter((e) => captured.has(e.name));
  t.same(ours.map((e) => e.name), theirs.map((e) => e.name), `${label}: event order`);
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const o = ours[i] as EslEvent;
    const c = theirs[i] as EslEvent;
    t.same(nonVariable(o), nonVariable(c), `${label}: ${c.name} #${i} header names and order`);
    const missing = variables(c).filter((v) => !variables(o).includes(v));
    t.same(missing, [], `${label}: ${c.name} #${i} has every captured channel variable`);
    const size = o.headerNames().reduce((n, h) => n + h.length + (o.get(h) ?? '').length + 3, 0);
    if (variables(c).length > 0) t.ok(size >= 3000, `${label}: ${c.name} is as large as a real one (${size} bytes)`);
  }
}

t.test('bridged call with DTMF and a recording: capture 06', async (t) => {
  const ours = await scenario(t, async (sim, dir) => {
    const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
    await call.answer();
    const { runApi } = await import('../../src/sim/commands');
    runApi(sim, `uuid_record ${call.aUuid} start ${join(dir, 'bridged.wav')}`);
    await call.dtmf('a', '*3*3');
    await call.hangup('a');
  });
  const theirs = eventsOf(parseAll([fixture('06-bridged-call-dtmf-record.raw')]).frames);
  compare(t, ours, theirs, '06');
});

t.test('answered single-leg call recorded twice: capture 02', async (t) => {
  const ours = await scenario(t, async (sim, dir) => {
    const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
    await call.answer();
    const { runApi } = await import('../../src/sim/commands');
    runApi(sim, `uuid_record ${call.aUuid} start ${join(dir, 't1/sub/test1.wav')}`);
    runApi(sim, `uuid_record ${call.aUuid} stop ${join(dir, 't1/sub/test1.wav')}`);
    await waitFor(() => sim.recordingsOf(call.aUuid).length === 0, 'first stop');
    t.equal(runApi(sim, `uuid_record ${call.aUuid} stop ${join(dir, 't1/sub/test1.wav')}`), '-ERR Cannot stop record session!\n');
    runApi(sim, `uuid_record ${call.aUuid} start ${join(dir, 'test2.wav')}`);
    await call.hangup('a');
  });
  const theirs = eventsOf(parseAll([fixture('02-answered-call-record.raw')]).frames).filter((e) => e.name !== 'REQUEST_PARAMS');
  compare(t, ours, theirs, '02');
});

t.test('carrier call with a hostile caller ID: capture 09', async (t) => {
  const ours = await scenario(t, async (sim) => {
    const call = await sim.createCall({ from: { number: '../../etc/passwd', context: 'public' }, to: '7700', transferContext: 'default' });
    await call.answer();
    await call.hangup('a');
  });
  const theirs = eventsOf(parseAll([fixture('09-carrier-hostile-callerid.raw')]).frames);
  compare(t, ours, theirs, '09');
  t.equal(ours[0]?.get('Caller-Context'), 'public', 'entered in public');
  t.equal(ours[1]?.get('Caller-Context'), 'default', 'transferred to default');
  t.equal(ours[0]?.get('Caller-Caller-ID-Number'), '../../etc/passwd', 'caller ID delivered untouched, as FreeSWITCH does');
  t.equal(ours[0]?.get('variable_user_name'), undefined, 'no directory identity on a carrier leg');
});

t.test('*26 in JSON: capture 08', async (t) => {
  const ours = await scenario(
    t,
    async (sim) => {
      const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '*26', park: true });
      await call.hangup('a');
    },
    'json',
  );
  const theirs = eventsOf(parseAll([fixture('08-star26-json.raw')]).frames);
  compare(t, ours, theirs, '08');
});

t.test('HEARTBEAT: the header names and order of capture 14, only to sessions that asked for it', async (t) => {
  const sim = new FreeswitchSimulator({ heartbeatMs: 30 });
  await sim.start();
  t.teardown(() => sim.stop());
  const other = connect(sim.port, '127.0.0.1');
  const otherChunks: Buffer[] = [];
  other.on('data', (c: Buffer) => otherChunks.push(c));
  other.write('auth ClueCon\n\nevent plain CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE\n\n');
  t.teardown(() => other.destroy());
  await waitFor(() => Buffer.concat(otherChunks).toString().includes('listener enabled'), 'the other session subscribed');
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  const got = await rawSession(sim.port, ['auth ClueCon', 'event plain HEARTBEAT'], (s) => (s.match(/Event-Name: HEARTBEAT/g)?.length ?? 0) >= 2);
  const ours = eventsOf(parseAll([got]).frames);
  const theirs = eventsOf(parseAll([fixture('14-heartbeat.raw')]).frames);
  t.ok(ours.length >= 2 && theirs.length === 2);
  for (const ev of ours) t.same(ev.headerNames(), theirs[0]?.headerNames(), 'header names in order');
  const hb = ours[0] as EslEvent;
  t.equal(hb.get('Event-Calling-Function'), 'send_heartbeat');
  t.equal(hb.get('Event-Info'), 'System Ready');
  t.equal(hb.get('FreeSWITCH-Hostname'), sim.hostname);
  t.equal(hb.get('Session-Count'), '1', 'the live call is counted');
  t.match(hb.get('Up-Time'), /^0 years, 0 days, 0 hours, 0 minutes, \d+ seconds, \d+ milliseconds, 0 microseconds$/);
  // Heartbeats went out above; the other session's HANGUP_COMPLETE comes after them on its socket.
  await call.hangup();
  await waitFor(() => Buffer.concat(otherChunks).toString().includes('CHANNEL_HANGUP_COMPLETE'), 'the other session got its events');
  t.notMatch(Buffer.concat(otherChunks).toString(), /HEARTBEAT/, 'a session that did not subscribe gets none');
});

t.test('uuid_buglist: the bodies of captures 15, with and without a recording', async (t) => {
  const sim = new FreeswitchSimulator();
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-conf-'));
  t.teardown(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701' } });
  await call.answer();
  const { runApi } = await import('../../src/sim/commands');
  t.equal(runApi(sim, `uuid_buglist ${call.aUuid}`), fixture('15-uuid-buglist-none.txt').toString(), 'no recording: byte-identical');
  const path = join(dir, 'buglist.wav');
  runApi(sim, `uuid_record ${call.aUuid} start ${path}`);
  // The capture file ends in one more newline than mod_commands writes (switch_core_media_bug_enumerate
  // ends with "</media-bugs>\n"); the rest is compared byte for byte.
  const captured = fixture('15-uuid-buglist.txt').toString().replace('/tmp/rec/buglist.wav', path);
  t.equal(runApi(sim, `uuid_buglist ${call.aUuid}`), captured.replace(/\n\n$/, '\n'), 'one recording: as captured');
  await call.hangup();
});
