/**
 * Bounded memory: a frame announcing 10 GB, or a header that never ends, is refused at once (the parser
 * reports a fatal error and keeps nothing); the client logs it, drops the connection and reconnects.
 */
import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { createEslClient } from '../../src/esl/client';
import { DEFAULT_MAX_FRAME_BYTES, FrameParser, type EslFrame } from '../../src/esl/frame-parser';
import { EslNotConnectedError } from '../../src/esl/types';
import { createLogger } from '../../src/log';
import { waitFor } from '../helpers/wait-for';

const TEN_GB = 10 * 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

function parser(limits?: { maxFrameBytes?: number; maxHeaderBytes?: number }): { p: FrameParser; frames: EslFrame[]; fatal: string[]; malformed: string[] } {
  const frames: EslFrame[] = [];
  const fatal: string[] = [];
  const malformed: string[] = [];
  const p = new FrameParser({ frame: (f) => frames.push(f), malformed: (r) => malformed.push(r), fatal: (r) => fatal.push(r) }, limits);
  return { p, frames, fatal, malformed };
}

t.test('a 10 GB Content-Length is fatal at once and nothing of its body is kept', async (t) => {
  const { p, frames, fatal } = parser();
  p.push(Buffer.from(`Content-Type: api/response\nContent-Length: ${TEN_GB}\n\n`));
  t.equal(fatal.length, 1, 'one fatal error');
  t.match(fatal[0], /Content-Length 10737418240, above the 67108864-byte limit/);
  const chunk = Buffer.alloc(MiB, 0x41);
  for (let i = 0; i < 100; i++) p.push(chunk);
  t.equal(p.bufferedBytes, 0, 'after 100 MiB more, nothing is buffered');
  t.equal(p.failed, true);
  t.equal(fatal.length, 1, 'reported once');
  t.equal(frames.length, 0);
  t.equal(DEFAULT_MAX_FRAME_BYTES, 64 * MiB);
});

t.test('a Content-Length longer than any number is fatal too, not taken as garbage headers', async (t) => {
  const { p, fatal } = parser();
  p.push(Buffer.from(`Content-Type: api/response\nContent-Length: ${'9'.repeat(40)}\n\n`));
  t.equal(fatal.length, 1);
});

t.test('exactly the limit is accepted, one byte more is not', async (t) => {
  const ok = parser({ maxFrameBytes: 10 });
  ok.p.push(Buffer.from('Content-Type: api/response\nContent-Length: 10\n\n0123456789'));
  t.same(ok.fatal, []);
  t.equal(ok.frames[0]?.body.toString(), '0123456789');
  const over = parser({ maxFrameBytes: 10 });
  over.p.push(Buffer.from('Content-Type: api/response\nContent-Length: 11\n\n0123456789A'));
  t.equal(over.fatal.length, 1);
  t.equal(over.frames.length, 0);
});

t.test('a header that grows past its bound without ending is fatal', async (t) => {
  const { p, fatal } = parser({ maxHeaderBytes: 4096 });
  for (let i = 0; i < 100 && fatal.length === 0; i++) p.push(Buffer.from(`X-Junk-${i}: ${'x'.repeat(100)}\n`));
  t.equal(fatal.length, 1);
  t.match(fatal[0], /header grew past 4096 bytes without ending/);
  t.equal(p.bufferedBytes, 0);
});

t.test('without a fatal() in the sink the reason still reaches malformed()', async (t) => {
  const malformed: string[] = [];
  const p = new FrameParser({ frame: () => undefined, malformed: (r) => malformed.push(r) });
  p.push(Buffer.from(`Content-Length: ${TEN_GB}\n\n`));
  t.equal(malformed.length, 1);
  t.match(malformed[0], /above the/);
});

/** An event socket that authenticates, answers `event`, and answers the first api with a 10 GB frame. */
async function hugeFrameServer(t: { teardown(fn: () => unknown): void }): Promise<{ server: Server; connections: () => number; streamed: () => number }> {
  let connections = 0;
  let streamed = 0;
  const sockets = new Set<Socket>();
  const chunk = Buffer.alloc(MiB, 0x41); // reused: the server itself must not be what grows
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
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
        else if (cmd.startsWith('api') && ++apis === 1 && connections === 1) {
          socket.write(`Content-Type: api/response\nContent-Length: ${TEN_GB}\n\n`);
          // Then body bytes for as long as the client keeps reading (up to 256 MiB), honouring backpressure.
          const pump = (): void => {
            while (!socket.destroyed && streamed < 256 * MiB) {
              streamed += chunk.length;
              if (!socket.write(chunk)) {
                socket.once('drain', pump);
                return;
              }
            }
          };
          pump();
        } else if (cmd.startsWith('api')) {
          socket.write('Content-Type: api/response\nContent-Length: 3\n\n+OK');
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { server, connections: () => connections, streamed: () => streamed };
}

t.test('client: a 10 GB frame is refused with a clear error, the connection dropped and remade, memory flat', async (t) => {
  const { server, connections, streamed } = await hugeFrameServer(t);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const logStream = new PassThrough();
  const lines: string[] = [];
  logStream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const esl = createEslClient(
    { host: '127.0.0.1', port, password: 'ClueCon', events: ['CHANNEL_CREATE'], connectTimeoutMs: 2000, apiTimeoutMs: 10_000, reconnectMinMs: 20, reconnectMaxMs: 200 },
    createLogger('debug', logStream),
  );
  t.teardown(() => esl.close());
  let ready = 0;
  const reasons: string[] = [];
  esl.on('ready', () => ready++);
  esl.on('disconnected', (r: string) => reasons.push(r));
  await esl.start();
  global.gc?.();
  const before = process.memoryUsage();
  await t.rejects(esl.api('status'), EslNotConnectedError, 'the command waiting for that reply fails at once');
  await waitFor(() => ready >= 2, 'reconnected and ready again');
  t.equal(await esl.api('status'), '+OK', 'the new connection works');
  const after = process.memoryUsage();
  t.equal(connections(), 2, 'one reconnect');
  t.equal(reasons.length, 1);
  t.match(reasons[0], /unreadable stream: a frame announced Content-Length 10737418240, above the 67108864-byte limit/);
  const error = lines.map((l) => JSON.parse(l) as { level: string; message: string; reason?: string }).find((l) => l.level === 'error');
  t.match(error, { message: /unreadable event-socket stream from FreeSWITCH; dropping the connection and reconnecting/, reason: /10737418240/ }, 'logged clearly, at error');
  const grew = after.arrayBuffers - before.arrayBuffers;
  t.ok(grew < 64 * MiB, `buffers grew by ${(grew / MiB).toFixed(1)} MiB while the server pushed ${(streamed() / MiB).toFixed(0)} MiB`);
});
