/**
 * How fast the daemon absorbs real-sized events, its CPU per call and its memory per live call: a replay
 * server blasts a recorded simulator stream at the daemon's ESL client over loopback TCP.
 */
import { createServer, type Socket } from 'node:net';
import { Daemon, ESL_EVENTS } from '../src/daemon';
import { defaultConfig } from '../src/config/defaults';
import { createEslClient } from '../src/esl/client';
import { silentLogger } from '../src/log';
import { Metrics } from '../src/metrics';
import { decideRecording } from '../src/policy/decide';
import { recordingNamer } from '../src/naming/name-recording';
import type { RecordedStream } from './event-stream';

async function replayServer(stream: Buffer): Promise<{ port: number; close(): void; go(): void }> {
  let socket: Socket | undefined;
  let ready!: () => void;
  const synced = new Promise<void>((r) => (ready = r));
  const server = createServer((s) => {
    socket = s;
    s.write('Content-Type: auth/request\n\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const cmd = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (cmd.startsWith('auth')) s.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
        else if (cmd.startsWith('event')) s.write('Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n');
        else if (cmd.startsWith('api show')) {
          s.write('Content-Type: api/response\nContent-Length: 17\n\n{"row_count": 0}\n');
          ready();
        } else s.write('Content-Type: api/response\nContent-Length: 4\n\n+OK\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () => {
      socket?.destroy();
      server.close();
    },
    go: () => void synced.then(() => socket?.write(stream)),
  };
}

function daemonFor(port: number): { daemon: Daemon; close(): Promise<void> } {
  const cfg = defaultConfig();
  const log = silentLogger();
  const esl = createEslClient({ host: '127.0.0.1', port, password: 'x', events: ESL_EVENTS, connectTimeoutMs: 2000, apiTimeoutMs: 5000, reconnectMinMs: 100, reconnectMaxMs: 1000 }, log);
  const noSink = { started: async () => undefined, finished: async () => undefined, discarded: async () => undefined, failed: async () => undefined };
  const daemon = new Daemon({
    config: () => cfg,
    esl,
    sink: noSink,
    decide: (call) => decideRecording(cfg, call, () => undefined),
    namePath: recordingNamer(cfg),
    log,
    metrics: new Metrics(),
  });
  void esl.start();
  return { daemon, close: () => esl.close() };
}

/** Until the daemon has read every replayed event; an error, not a hang, when it stops making progress. */
async function allSeen(daemon: Daemon, events: number, stallMs = 10_000): Promise<void> {
  let seen = daemon.eventsSeen;
  let progressAt = Date.now();
  while (daemon.eventsSeen < events) {
    await new Promise((r) => setImmediate(r));
    if (daemon.eventsSeen !== seen) {
      seen = daemon.eventsSeen;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > stallMs) {
      throw new Error(`the daemon read ${seen} of the ${events} replayed events and then nothing for ${stallMs / 1000} s`);
    }
  }
}

export async function measureAbsorption(stream: RecordedStream): Promise<{ eventsPerSecond: number; cpuMsPerCall: number; events: number }> {
  const server = await replayServer(stream.bytes);
  const { daemon, close } = daemonFor(server.port);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  server.go();
  await allSeen(daemon, stream.events);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await close();
  server.close();
  return { eventsPerSecond: Math.round(stream.events / seconds), cpuMsPerCall: (cpu.user + cpu.system) / 1000 / stream.calls, events: stream.events };
}

export async function measureLiveCallMemory(stream: RecordedStream): Promise<{ liveCalls: number; bytesPerCall: number; rssMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const server = await replayServer(stream.bytes);
  const { daemon, close } = daemonFor(server.port);
  server.go();
  await allSeen(daemon, stream.events);
  gc?.();
  const after = process.memoryUsage();
  const liveCalls = daemon.registry.callCount;
  await close();
  server.close();
  return { liveCalls, bytesPerCall: Math.round((after.heapUsed - before) / Math.max(1, liveCalls)), rssMb: Math.round(after.rss / 1e6) };
}
