/**
 * The built daemon (`node dist/cli.js run`) as systemd runs it with Type=notify: NOTIFY_SOCKET names a unix
 * datagram socket this test binds (with python3: Node cannot), and WATCHDOG_USEC asks for pings. The
 * messages are the ones systemd would get, with the sender credentials systemd would see.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { waitFor } from '../helpers/wait-for';

const CLI = join(__dirname, '../../dist/cli.js');
const ESL_PW = 'Notify-Pw-1';
const PHONE = (n: string): { number: string; device: string; domain: string } => ({ number: n, device: n, domain: 'acme.example' });

interface Datagram {
  pid: number | null;
  text: string;
}

/** The stand-in notify socket: every datagram it got, in order, minus systemd-notify's BARRIER=1 markers. */
async function notifySocket(t: Test, dir: string): Promise<{ path: string; messages: () => Datagram[] }> {
  const path = join(dir, 'notify.sock');
  const out = join(dir, 'notify.jsonl');
  const receiver = spawn('python3', [join(__dirname, 'notify-receiver.py'), path, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void receiver.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    receiver.once('error', reject);
    receiver.stdout.once('data', () => resolve());
  });
  const messages = (): Datagram[] =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Datagram)
          .filter((m) => m.text !== 'BARRIER=1')
      : [];
  return { path, messages };
}

/** A TCP relay to the simulator that holds each connection until release(): FreeSWITCH slow to answer. */
async function holdingRelay(t: Test, targetPort: number): Promise<{ port: number; held: () => number; release: () => void }> {
  const waiting: Socket[] = [];
  let released = false;
  const relay = (client: Socket): void => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.resume();
  };
  const server: Server = createServer((client) => {
    client.pause();
    if (released) relay(client);
    else waiting.push(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of waiting) s.destroy();
    server.close();
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    held: () => waiting.length,
    release: () => {
      released = true;
      for (const s of waiting.splice(0)) relay(s);
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

function writeConfig(dir: string, eslPort: number, connectTimeoutMs: number): string {
  const path = join(dir, 'fsrecd.yml');
  writeFileSync(
    path,
    `esl: {port: ${eslPort}, password: ${ESL_PW}, connect_timeout_ms: ${connectTimeoutMs}, reconnect_min_ms: 50, reconnect_max_ms: 200}
spool_dir: ${dir}/spool
state_dir: ${dir}/state
storage: {type: local, dir: ${dir}/stored}
http: {listen: null}
accounts:
  acme.example:
    users:
      alice: {record: on}
    devices:
      "1000": {user: alice}
`,
  );
  return path;
}

function startDaemon(t: Test, config: string, notifySocketPath: string): { proc: ChildProcess; output: () => string } {
  let output = '';
  // WATCHDOG_USEC=600 ms: a ping every 300 ms, so a test sees several.
  const proc = spawn(process.execPath, [CLI, 'run', '--config', config], { env: { ...process.env, NOTIFY_SOCKET: notifySocketPath, WATCHDOG_USEC: '600000' }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  t.teardown(() => void proc.kill('SIGKILL'));
  return { proc, output: () => output };
}

const index = (ms: Datagram[], pred: (m: Datagram) => boolean, from = 0): number => ms.findIndex((m, i) => i >= from && pred(m));
const isReady = (m: Datagram): boolean => m.text.split('\n').includes('READY=1');
const isWatchdog = (m: Datagram): boolean => m.text === 'WATCHDOG=1';

t.test('READY=1 after the event socket and the spool, STATUS, WATCHDOG, RELOADING/READY on SIGHUP, STOPPING on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sim = new FreeswitchSimulator({ password: ESL_PW });
  const simPort = await sim.start();
  t.teardown(() => sim.stop());
  const relay = await holdingRelay(t, simPort);
  const socket = await notifySocket(t, dir);
  // connect_timeout_ms 20 s: READY waits for the event socket, not for the give-up time.
  const daemon = startDaemon(t, writeConfig(dir, relay.port, 20_000), socket.path);

  // The daemon is connecting (its spool already started: app.ts opens the spool first) and FreeSWITCH has
  // not answered. Two watchdog pings later, anything queued before them has gone out: no READY=1 among it.
  await waitFor(() => relay.held() > 0, 'the daemon connecting to FreeSWITCH', 20_000);
  t.ok(existsSync(join(dir, 'spool')), 'the spool is open before FreeSWITCH answers');
  const pingsBefore = socket.messages().filter(isWatchdog).length;
  await waitFor(() => socket.messages().filter(isWatchdog).length >= pingsBefore + 2, 'two more watchdog pings');
  t.equal(index(socket.messages(), isReady), -1, 'no READY=1 while the event socket is not connected');
  t.ok(socket.messages().some((m) => m.text === `STATUS=waiting for FreeSWITCH at 127.0.0.1:${relay.port}; no upload backlog`), 'STATUS says what it waits for');

  relay.release();
  const ready = await waitFor(() => socket.messages().find(isReady), 'READY=1');
  t.equal(ready.text, `READY=1\nSTATUS=FreeSWITCH 127.0.0.1:${relay.port} connected, 0 live calls; no upload backlog`, 'READY=1 with the connected status');

  // STATUS follows the live calls (recomputed every 5 s, sent when changed).
  const call = await sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => socket.messages().some((m) => m.text === `STATUS=FreeSWITCH 127.0.0.1:${relay.port} connected, 1 live call; no upload backlog`), 'STATUS with one live call', 15_000);
  await call.hangup();

  // SIGHUP: RELOADING=1 with the monotonic time of the reload, then READY=1 again.
  const before = socket.messages().length;
  daemon.proc.kill('SIGHUP');
  const reloading = await waitFor(() => index(socket.messages(), (m) => m.text.startsWith('RELOADING=1\n'), before) + 1 || false, 'RELOADING=1');
  const reloadMsg = socket.messages()[reloading - 1] as Datagram;
  t.match(reloadMsg.text, /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading the configuration$/, 'RELOADING=1 with MONOTONIC_USEC');
  await waitFor(() => index(socket.messages(), isReady, reloading) >= 0, 'READY=1 after the reload');

  // The watchdog kept pinging all along.
  t.ok(socket.messages().filter(isWatchdog).length >= pingsBefore + 4, `WATCHDOG=1 repeats (${socket.messages().filter(isWatchdog).length} pings)`);

  const exited = new Promise<number | null>((r) => daemon.proc.once('exit', (code) => r(code)));
  daemon.proc.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM exits 0');
  const all = socket.messages();
  const stopping = index(all, (m) => m.text.startsWith('STOPPING=1\n'));
  t.ok(stopping >= 0, 'STOPPING=1 reached the socket before the exit');
  t.same(all.slice(stopping + 1), [], 'nothing after STOPPING=1');

  // systemd attributes each message by the sender's credentials. systemd-notify sends with its parent's
  // PID (the daemon) where the kernel lets it (as root); otherwise with its own, and NotifyAccess=all plus
  // its wait for the barrier make that attributable.
  if (process.getuid?.() === 0) {
    t.same([...new Set(all.map((m) => m.pid))], [daemon.proc.pid], 'every message carries the daemon PID');
  } else {
    t.notOk(all.some((m) => m.pid === null), 'every message carries credentials');
  }
});

t.test('FreeSWITCH down at start: READY=1 after esl.connect_timeout_ms, saying so; STATUS changes when it comes up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const eslPort = await freePort();
  const socket = await notifySocket(t, dir);
  const daemon = startDaemon(t, writeConfig(dir, eslPort, 1000), socket.path);

  const ready = await waitFor(() => socket.messages().find(isReady), 'READY=1 without FreeSWITCH', 20_000);
  t.equal(ready.text, `READY=1\nSTATUS=waiting for FreeSWITCH at 127.0.0.1:${eslPort}; no upload backlog`);

  const sim = new FreeswitchSimulator({ password: ESL_PW, port: eslPort });
  await sim.start();
  t.teardown(() => sim.stop());
  await waitFor(() => socket.messages().some((m) => m.text === `STATUS=FreeSWITCH 127.0.0.1:${eslPort} connected, 0 live calls; no upload backlog`), 'STATUS: connected', 20_000);
  t.equal(socket.messages().filter(isReady).length, 1, 'READY=1 once');

  const exited = new Promise<number | null>((r) => daemon.proc.once('exit', (code) => r(code)));
  daemon.proc.kill('SIGTERM');
  t.equal(await exited, 0);
});
