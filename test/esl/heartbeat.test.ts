/**
 * A FreeSWITCH that vanishes without a TCP reset: the simulator is frozen (sockets open, nothing sent), and
 * the client must call the connection lost once no frame has come for heartbeatTimeoutMs, then reconnect.
 * Real timeouts, kept short; every wait is for a fact.
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { createEslClient, DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../../src/esl/client';
import type { EslClientOptions, EslEvent } from '../../src/esl/types';
import { createLogger } from '../../src/log';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { testClient } from '../helpers/esl-client';
import { waitFor } from '../helpers/wait-for';

async function sim(t: { teardown(fn: () => unknown): void }, heartbeatMs = 20_000): Promise<FreeswitchSimulator> {
  const s = new FreeswitchSimulator({ heartbeatMs });
  await s.start();
  t.teardown(() => s.stop());
  return s;
}

function loggedClient(port: number, overrides: Partial<EslClientOptions>): { esl: ReturnType<typeof createEslClient>; logs: Array<{ level: string; message: string }> } {
  const stream = new PassThrough();
  const logs: Array<{ level: string; message: string }> = [];
  stream.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as { level: string; message: string });
  });
  const esl = createEslClient(
    { host: '127.0.0.1', port, password: 'ClueCon', events: ['CHANNEL_CREATE'], connectTimeoutMs: 2000, apiTimeoutMs: 2000, reconnectMinMs: 20, reconnectMaxMs: 100, ...overrides },
    createLogger('debug', stream),
  );
  return { esl, logs };
}

t.test('default bound: three missed 20 s heartbeats', async (t) => {
  t.equal(DEFAULT_HEARTBEAT_TIMEOUT_MS, 60_000);
});

t.test('a silent FreeSWITCH is a drop: connected goes false, one clear log line, reconnect when it is back', async (t) => {
  const s = await sim(t);
  const { esl, logs } = loggedClient(s.port, { heartbeatTimeoutMs: 300 });
  t.teardown(() => esl.close());
  let ready = 0;
  const reasons: string[] = [];
  esl.on('ready', () => ready++);
  esl.on('disconnected', (r: string) => reasons.push(r));
  await esl.start();
  t.equal(esl.connected, true);
  let closed = 0;
  s.on('disconnect', () => closed++);

  const frozenAt = Date.now();
  s.freeze();
  await waitFor(() => !esl.connected, 'connected to go false', 5000);
  const detectedMs = Date.now() - frozenAt;
  // The bound runs from the last frame, which came before the freeze (at connect): only an upper bound holds.
  t.ok(detectedMs < 2000, `noticed within 2 s of the silence (after ${detectedMs} ms; bound 300 ms from the last frame)`);
  t.same(reasons, ['no HEARTBEAT or other frame from FreeSWITCH for 300 ms; treating the connection as lost']);
  await waitFor(() => closed >= 1, 'the client to close the silent socket');

  // Still frozen: the retry is accepted but never greeted, and is dropped the same way, quietly.
  await waitFor(() => closed >= 2, 'a retry to be dropped as silent too', 5000);
  t.equal(ready, 1, 'never ready while FreeSWITCH is silent');
  const silenceLines = logs.filter((l) => /no HEARTBEAT or other frame/.test(l.message));
  t.equal(silenceLines.filter((l) => l.level === 'warn').length, 1, 'one warning, however many silent retries');
  t.ok(silenceLines.length >= 2, 'the retries are logged at debug');

  s.thaw();
  await waitFor(() => ready >= 2, 'ready again after FreeSWITCH is back', 5000);
  t.equal(esl.connected, true);
  t.match(await esl.api('status'), /is ready/);
  t.equal(reasons.length, 1, "one 'disconnected' for the outage");
});

t.test('heartbeats keep a quiet connection up; the daemon does not get them as events', async (t) => {
  const s = await sim(t, 50);
  const watcher = testClient(s.port, { events: ['HEARTBEAT'], heartbeatTimeoutMs: 300 });
  const daemon = testClient(s.port, { heartbeatTimeoutMs: 300 });
  t.teardown(() => Promise.all([watcher.close(), daemon.close()]));
  const heartbeats: EslEvent[] = [];
  const daemonEvents: string[] = [];
  let drops = 0;
  watcher.on('event', (ev: EslEvent) => heartbeats.push(ev));
  daemon.on('event', (ev: EslEvent) => daemonEvents.push(ev.name));
  daemon.on('disconnected', () => drops++);
  watcher.on('disconnected', () => drops++);
  await Promise.all([watcher.start(), daemon.start()]);
  const since = Date.now();
  // Nothing but HEARTBEAT flows; wait until well past three timeouts' worth of them.
  await waitFor(() => heartbeats.length >= 20, '20 heartbeats');
  t.ok(Date.now() - since > 900, 'longer than the 300 ms bound, three times over');
  t.equal(heartbeats[0]?.name, 'HEARTBEAT', 'a client that asks for HEARTBEAT gets it');
  t.equal(drops, 0, 'no drop while heartbeats arrive');
  t.equal(daemon.connected, true);
  t.same(daemonEvents, [], 'HEARTBEAT is not passed on when not asked for');
});

t.test('a peer that accepts and never sends auth/request is dropped too', async (t) => {
  const s = await sim(t);
  s.freeze();
  const { esl } = loggedClient(s.port, { heartbeatTimeoutMs: 200 });
  t.teardown(() => esl.close());
  let closed = 0;
  s.on('disconnect', () => closed++);
  void esl.start();
  await waitFor(() => closed >= 1, 'the silent connection attempt to be dropped', 5000);
  s.thaw();
  await esl.start();
  t.equal(esl.connected, true, 'connects once FreeSWITCH answers');
});
