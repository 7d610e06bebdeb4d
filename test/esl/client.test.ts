import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { EslCommandError, EslTimeoutError, type EslEvent } from '../../src/esl/types';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { testClient } from '../helpers/esl-client';
import { waitFor } from '../helpers/wait-for';

async function sim(t: { teardown(fn: () => unknown): void }, password = 'ClueCon'): Promise<FreeswitchSimulator> {
  const s = new FreeswitchSimulator({ password });
  await s.start();
  t.teardown(() => s.stop());
  return s;
}

t.test('wrong password: one clear auth-failed, retried only at the maximum backoff', async (t) => {
  const s = await sim(t, 'Secret-1');
  let connections = 0;
  s.on('connection', () => connections++);
  const esl = testClient(s.port, { reconnectMinMs: 10, reconnectMaxMs: 400 });
  t.teardown(() => esl.close());
  const messages: string[] = [];
  esl.on('auth-failed', (m: string) => messages.push(m));
  void esl.start();
  await waitFor(() => messages.length >= 1, 'auth-failed');
  t.match(messages[0], /FreeSWITCH refused the event-socket password for 127\.0\.0\.1:\d+ \(check esl\.password\): -ERR invalid/);
  t.notMatch(messages[0], /ClueCon/, 'the password is not in the message');
  const started = Date.now();
  await waitFor(() => messages.length >= 2, 'second attempt', 3000);
  t.ok(Date.now() - started >= 300, 'the retry waited about reconnect_max_ms, not reconnect_min_ms');
  t.ok(connections <= 3, `no tight loop (${connections} connections)`);
  t.equal(esl.connected, false);
});

t.test('api: replies, -ERR as EslCommandError, bgapi via BACKGROUND_JOB, line breaks refused', async (t) => {
  const s = await sim(t);
  const esl = testClient(s.port);
  t.teardown(() => esl.close());
  await esl.start();
  t.match(await esl.api('status'), /FreeSWITCH \(Version 1\.10\.9/);
  await t.rejects(esl.api('uuid_record 00000000-0000 start /tmp/x.wav'), EslCommandError);
  await t.rejects(esl.api('no_such_command'), { message: /-ERR no_such_command Command not found!/ });
  t.match(await esl.bgapi('status'), /is ready/);
  const before = s.commands.length;
  await t.rejects(esl.api('uuid_kill x\napi uuid_kill y'), /line break/);
  await t.rejects(esl.api('status\r'), /line break/);
  t.equal(s.commands.length, before, 'nothing reached the server');
  t.match(await esl.api('status'), /is ready/, 'the session is still in step');
});

t.test('a timed-out command does not steal the next reply', async (t) => {
  // A server that answers the first api late and the second at once.
  let socketRef: Socket | undefined;
  const server = createServer((socket) => {
    socketRef = socket;
    socket.write('Content-Type: auth/request\n\n');
    let buf = '';
    let apis = 0;
    socket.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const cmd = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (cmd.startsWith('auth')) socket.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
        else if (cmd.startsWith('event')) socket.write('Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n');
        else if (cmd.startsWith('api')) {
          const n = ++apis;
          const reply = (body: string): void => void socket.write(`Content-Type: api/response\nContent-Length: ${body.length}\n\n${body}`);
          if (n === 1) setTimeout(() => reply('late-first'), 150);
          else setTimeout(() => reply(`reply-${n}`), 200);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    socketRef?.destroy();
    server.close();
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const esl = testClient(port, { apiTimeoutMs: 50 });
  t.teardown(() => esl.close());
  await esl.start();
  await t.rejects(esl.api('first', 50), EslTimeoutError);
  t.equal(await esl.api('second', 2000), 'reply-2', 'second gets its own reply, not the late first one');
});

t.test('reconnects after a drop and after a restart, with ready each time', async (t) => {
  const s = await sim(t);
  const esl = testClient(s.port);
  t.teardown(() => esl.close());
  let ready = 0;
  const reasons: string[] = [];
  esl.on('ready', () => ready++);
  esl.on('disconnected', (r: string) => reasons.push(r));
  await esl.start();
  s.dropConnections();
  await waitFor(() => ready >= 2, 'ready after drop');
  await s.restart();
  await waitFor(() => ready >= 3, 'ready after restart');
  t.equal(reasons.length, 2, 'one disconnected per outage');
  t.match(await esl.api('status'), /is ready/);
  const events: EslEvent[] = [];
  esl.on('event', (ev: EslEvent) => events.push(ev));
  const call = await s.createCall({ from: { number: '1000', device: '1000' }, to: '1001', bridgeTo: { number: '1001', device: '1001' } });
  await call.answer();
  await call.hangup();
  await waitFor(() => events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').length === 2, 'hangups');
  t.same(
    events.map((e) => e.name),
    ['CHANNEL_CREATE', 'CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_HANGUP_COMPLETE'],
    'events in order, only the subscribed ones',
  );
});

t.test('CRLF framing cut between CR and LF: each command still gets its own reply', async (t) => {
  // The server writes each api reply in two pieces, the cut inside the "\r\n\r\n" that ends its headers.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.write('Content-Type: auth/request\r\n\r\n');
    let buf = '';
    let replies = Promise.resolve(); // one reply at a time, in command order, as FreeSWITCH does
    socket.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const cmd = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (cmd.startsWith('auth')) socket.write('Content-Type: command/reply\r\nReply-Text: +OK accepted\r\n\r\n');
        else if (cmd.startsWith('event')) socket.write('Content-Type: command/reply\r\nReply-Text: +OK event listener enabled plain\r\n\r\n');
        else if (cmd.startsWith('api ')) {
          const body = `reply to ${cmd.slice(4)}`;
          replies = replies.then(async () => {
            socket.write(`Content-Type: api/response\r\nContent-Length: ${body.length}\r\n\r`);
            await new Promise((r) => setTimeout(r, 30)); // the pieces leave as separate TCP segments
            socket.write(`\n${body}`);
          });
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const addr = server.address();
  const esl = testClient(typeof addr === 'object' && addr ? addr.port : 0);
  t.teardown(() => esl.close());
  await esl.start();
  const [a, b] = await Promise.all([esl.api('one'), esl.api('two')]);
  t.equal(a, 'reply to one');
  t.equal(b, 'reply to two');
});
