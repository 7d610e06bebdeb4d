/**
 * The simulator's fault modes (src/sim/faults.ts), each shown over TCP doing what it says: late replies,
 * a drop right after a command that still takes effect, RECORD_* events duplicated / missing / swapped,
 * raw bytes, a frozen (vanished) host, and uuid_buglist reflecting the running recordings.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainEvent } from '../../src/esl/event';
import { FrameParser, type EslFrame } from '../../src/esl/frame-parser';
import { EslCommandError, EslNotConnectedError, EslTimeoutError, type EslEvent } from '../../src/esl/types';
import type { RecordEventFault } from '../../src/sim/faults';
import { FreeswitchSimulator, type SimCall } from '../../src/sim/simulator';
import { testClient } from '../helpers/esl-client';
import { waitFor } from '../helpers/wait-for';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<{ sim: FreeswitchSimulator; dir: string }> {
  const sim = new FreeswitchSimulator();
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-faults-'));
  t.teardown(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sim, dir };
}

/** A raw event-socket connection that keeps every frame it gets, with the time it arrived. */
class Raw {
  readonly frames: Array<{ frame: EslFrame; at: number }> = [];
  bytes = 0;
  closed = false;
  readonly socket: Socket;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    const parser = new FrameParser({ frame: (frame) => this.frames.push({ frame, at: Date.now() }), malformed: () => undefined });
    this.socket.on('data', (c: Buffer) => {
      this.bytes += c.length;
      parser.push(c);
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }
  send(cmd: string): void {
    this.socket.write(`${cmd}\n\n`);
  }
  bodies(type: string): string[] {
    return this.frames.filter((f) => f.frame.headers.get('Content-Type') === type).map((f) => f.frame.body.toString());
  }
  events(): EslEvent[] {
    return this.frames.filter((f) => f.frame.headers.get('Content-Type') === 'text/event-plain').map((f) => plainEvent(f.frame.body));
  }
  async login(events: string): Promise<void> {
    this.send('auth ClueCon');
    this.send(`event plain ${events}`);
    await waitFor(() => this.frames.some((f) => /listener enabled/.test(f.frame.headers.get('Reply-Text') ?? '')), 'subscribed');
  }
}

async function answeredCall(sim: FreeswitchSimulator): Promise<SimCall> {
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7701', bridgeTo: { number: '7701', device: '1001' } });
  await call.answer();
  return call;
}

t.test('delayReply: the reply comes late (after the client gave up), the command acts at once, later replies queue behind', async (t) => {
  const { sim, dir } = await setup(t);
  const call = await answeredCall(sim);
  sim.faults.delayReply(/^uuid_record .* start/, 400);
  const raw = new Raw(sim.port);
  t.teardown(() => raw.socket.destroy());
  await raw.login('RECORD_START');
  const path = join(dir, 'late.wav');
  const sent = Date.now();
  raw.send(`api uuid_record ${call.aUuid} start ${path}`);
  raw.send(`api uuid_exists ${call.aUuid}`);
  await waitFor(() => raw.bodies('api/response').length === 2, 'both replies', 5000);
  const replies = raw.frames.filter((f) => f.frame.headers.get('Content-Type') === 'api/response');
  t.same(replies.map((f) => f.frame.body.toString()), ['+OK Success\n', 'true'], 'in command order');
  t.ok((replies[0]?.at ?? 0) - sent >= 400, `uuid_record's reply after ${(replies[0]?.at ?? 0) - sent} ms`);
  t.ok((replies[1]?.at ?? 0) >= (replies[0]?.at ?? 0), 'the next reply waited behind it');
  const start = raw.frames.find((f) => f.frame.headers.get('Content-Type') === 'text/event-plain');
  t.ok(start && start.at < (replies[0]?.at ?? 0), 'RECORD_START went out before the late reply: the recording began at once');
  t.same(sim.recordingsOf(call.aUuid), [path]);

  // Through the daemon's client: a timeout, and the next command still gets its own reply.
  const esl = testClient(sim.port, { apiTimeoutMs: 100 });
  t.teardown(() => esl.close());
  await esl.start();
  await t.rejects(esl.api(`uuid_record ${call.aUuid} start ${join(dir, 'late2.wav')}`), EslTimeoutError);
  t.equal(await esl.api(`uuid_exists ${call.aUuid}`, 2000), 'true', 'not the late +OK Success');
  sim.faults.clear();
  t.equal(await esl.api('uuid_exists nope'), 'false', 'clear() ends the delay');
  await call.hangup();
});

t.test('dropAfter: FreeSWITCH records on, the connection dies before the reply, the client reconnects', async (t) => {
  const { sim, dir } = await setup(t);
  const call = await answeredCall(sim);
  const esl = testClient(sim.port);
  t.teardown(() => esl.close());
  const events: EslEvent[] = [];
  let ready = 0;
  esl.on('event', (ev: EslEvent) => events.push(ev));
  esl.on('ready', () => ready++);
  await esl.start();
  sim.faults.dropAfter(/^uuid_record .* start/);
  const path = join(dir, 'dropped.wav');
  await t.rejects(esl.api(`uuid_record ${call.aUuid} start ${path}`), EslNotConnectedError);
  t.same(sim.recordingsOf(call.aUuid), [path], 'the recording runs in FreeSWITCH');
  t.equal(events.filter((e) => e.name === 'RECORD_START').length, 0, 'its RECORD_START never reached the dropped client');
  await waitFor(() => ready >= 2, 'reconnected');
  t.match(await esl.api(`uuid_buglist ${call.aUuid}`), `<target>${path}</target>`, 'the new connection can see it');
  const second = join(dir, 'second.wav');
  t.equal(await esl.api(`uuid_record ${call.aUuid} start ${second}`), '+OK Success\n', 'once only');
  await call.hangup();
  await waitFor(() => events.filter((e) => e.name === 'RECORD_STOP').length === 2, 'both stops');
  t.ok(existsSync(path) && statSync(path).size > 44, 'the file was written');
});

const EXPECTED: Record<RecordEventFault, string[]> = {
  'duplicate-start': ['RECORD_START', 'RECORD_START', 'RECORD_STOP'],
  'duplicate-stop': ['RECORD_START', 'RECORD_STOP', 'RECORD_STOP'],
  'omit-start': ['RECORD_STOP'],
  'omit-stop': ['RECORD_START'],
  'stop-before-start': ['RECORD_STOP', 'RECORD_START'],
};

for (const [fault, expected] of Object.entries(EXPECTED) as Array<[RecordEventFault, string[]]>) {
  t.test(`recordEvents('${fault}'): the next recording's events, and only its`, async (t) => {
    const { sim, dir } = await setup(t);
    const esl = testClient(sim.port);
    t.teardown(() => esl.close());
    const seen: Array<{ name: string; path: string }> = [];
    esl.on('event', (ev: EslEvent) => {
      if (ev.name.startsWith('RECORD_') || ev.name === 'CHANNEL_HANGUP_COMPLETE') seen.push({ name: ev.name, path: ev.get('Record-File-Path') ?? '' });
    });
    await esl.start();
    const call = await answeredCall(sim);
    sim.faults.recordEvents(fault);
    const faulty = join(dir, 'faulty.wav');
    const normal = join(dir, 'normal.wav');
    await esl.api(`uuid_record ${call.aUuid} start ${faulty}`);
    t.match(await esl.api(`uuid_buglist ${call.aUuid}`), `<target>${faulty}</target>`, 'the recording itself runs');
    await esl.api(`uuid_record ${call.aUuid} stop ${faulty}`);
    await esl.api(`uuid_record ${call.aUuid} start ${normal}`);
    await call.hangup();
    await waitFor(() => seen.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').length === 2, 'the call to end');
    t.same(seen.filter((e) => e.path === faulty).map((e) => e.name), expected, fault);
    t.same(seen.filter((e) => e.path === normal).map((e) => e.name), ['RECORD_START', 'RECORD_STOP'], 'the recording after it is normal');
    t.ok(statSync(faulty).size > 44, 'the file was written');
  });
}

t.test('sendRaw: the bytes reach every connection as they are; the client survives malformed frames', async (t) => {
  const { sim } = await setup(t);
  const raw = new Raw(sim.port);
  t.teardown(() => raw.socket.destroy());
  await raw.login('CHANNEL_CREATE');
  const esl = testClient(sim.port);
  t.teardown(() => esl.close());
  await esl.start();
  const junk = Buffer.from('Content-Type: api/response\nContent-Length: banana\n\nno colon here\n\nContent-Type: text/event-plain\nContent-Length: 5\n\n%%%%%');
  const before = raw.bytes;
  sim.sendRaw(junk);
  await waitFor(() => raw.bytes >= before + junk.length, 'the raw bytes');
  t.equal(raw.bytes, before + junk.length, 'exactly those bytes');
  t.match(await esl.api('status'), /is ready/, 'the client is still in step');
});

t.test('freeze: sockets stay open and silent, commands and events are lost; thaw: output resumes', async (t) => {
  const { sim } = await setup(t);
  const raw = new Raw(sim.port);
  t.teardown(() => raw.socket.destroy());
  await raw.login('CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE');
  sim.freeze();
  t.equal(sim.frozen, true);
  const frozenBytes = raw.bytes;
  raw.send('api status'); // lost on the way to a vanished host
  const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '7700' });
  const late = new Raw(sim.port); // accepted, never greeted while frozen
  t.teardown(() => late.socket.destroy());
  await waitFor(() => sim.connectionCount === 2, 'the second connection accepted');
  t.equal(late.bytes, 0, 'no auth/request while frozen');
  t.equal(sim.liveChannelCount, 1, 'calls go on inside');
  sim.thaw();
  raw.send(`api uuid_exists ${call.aUuid}`);
  await waitFor(() => raw.bodies('api/response').length === 1, 'the reply after thaw');
  t.same(raw.bodies('api/response'), ['true'], 'only the command sent after thaw was answered');
  t.same(raw.events().map((e) => e.name), [], 'the CHANNEL_CREATE of the frozen time never came');
  t.equal(raw.closed, false, 'the socket stayed open throughout');
  t.ok(raw.bytes > frozenBytes);
  await waitFor(() => late.frames.length === 1, 'the late connection greeted at thaw');
  t.equal(late.frames[0]?.frame.headers.get('Content-Type'), 'auth/request');
  await call.hangup();
  await waitFor(() => raw.events().length === 1, 'events flow again');
  t.equal(raw.events()[0]?.name, 'CHANNEL_HANGUP_COMPLETE');
});

t.test('uuid_buglist over TCP follows the recordings: none, two (oldest first), one, unknown uuid', async (t) => {
  const { sim, dir } = await setup(t);
  const esl = testClient(sim.port);
  t.teardown(() => esl.close());
  await esl.start();
  const call = await answeredCall(sim);
  t.equal(await esl.api(`uuid_buglist ${call.aUuid}`), '<media-bugs>\n</media-bugs>\n');
  const one = join(dir, 'one.wav');
  const two = join(dir, 'two.wav');
  await esl.api(`uuid_record ${call.aUuid} start ${one}`);
  await esl.api(`uuid_record ${call.aUuid} start ${two}`);
  const both = await esl.api(`uuid_buglist ${call.aUuid}`);
  t.same([...both.matchAll(/<target>(.*)<\/target>/g)].map((m) => m[1]), [one, two]);
  t.equal(both.match(/<function>session_record<\/function>/g)?.length, 2);
  await esl.api(`uuid_record ${call.aUuid} stop ${one}`);
  t.same([...(await esl.api(`uuid_buglist ${call.aUuid}`)).matchAll(/<target>(.*)<\/target>/g)].map((m) => m[1]), [two], 'a stopped file is no longer written');
  t.equal(await esl.api(`uuid_buglist ${call.bUuid ?? ''}`), '<media-bugs>\n</media-bugs>\n', 'the other leg records nothing');
  await t.rejects(
    esl.api('uuid_buglist 00000000-0000-0000-0000-000000000000'),
    new EslCommandError('uuid_buglist 00000000-0000-0000-0000-000000000000', '-ERR no reply\n'),
    'an unknown uuid: no output, which the event socket reports as -ERR no reply',
  );
  await call.hangup();
});
