/**
 * The notifier's decisions without a socket: when the watchdog is asked for, when WATCHDOG=1 is withheld (a
 * stuck spool pump), the STATUS line, what a value may not smuggle in, and that nothing runs without
 * NOTIFY_SOCKET. The messages as systemd receives them are tested in notify.test.ts.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { EslClientEvents } from '../../src/esl/types';
import { silentLogger } from '../../src/log';
import { notifyArgs, notifyChannelFromEnv, type NotifyChannel } from '../../src/systemd/notify-channel';
import { monotonicUsec, ServiceNotifier, serviceNotifierFromEnv } from '../../src/systemd/service-notifier';
import { statusLine } from '../../src/systemd/status-line';
import { pumpAlive, watchdogPingEveryMs } from '../../src/systemd/watchdog';
import type { SpoolStatus } from '../../src/spool/status';
import { waitFor } from '../helpers/wait-for';

class RecordingChannel implements NotifyChannel {
  readonly sent: string[][] = [];
  send(assignments: readonly string[]): void {
    this.sent.push([...assignments]);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

const spoolStatus = (over: Partial<SpoolStatus> = {}): SpoolStatus => ({ inProgress: 0, backlogFiles: 0, backlogBytes: 0, oldestAgeSeconds: 0, stored: 0, lost: 0, journalWritesFailing: 0, problems: [], ...over });

class FakeEsl extends EventEmitter<EslClientEvents> {
  connected = false;
}

t.test('watchdogPingEveryMs: half of WATCHDOG_USEC, only for this process', async (t) => {
  t.equal(watchdogPingEveryMs({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
  t.equal(watchdogPingEveryMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
  t.equal(watchdogPingEveryMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), undefined, 'inherited from another process');
  t.equal(watchdogPingEveryMs({}, 42), undefined);
  t.equal(watchdogPingEveryMs({ WATCHDOG_USEC: 'infinity' }, 42), undefined);
  t.equal(watchdogPingEveryMs({ WATCHDOG_USEC: '1000' }, 42), undefined, 'under a millisecond between pings is unusable');
});

t.test('pumpAlive: a recent scan pass, or no spool yet', async (t) => {
  t.equal(pumpAlive({ lastScanAt: undefined, now: 1_000_000, stuckAfterMs: 1000 }), true, 'start-up: nothing to judge');
  t.equal(pumpAlive({ lastScanAt: 999_500, now: 1_000_000, stuckAfterMs: 1000 }), true);
  t.equal(pumpAlive({ lastScanAt: 998_000, now: 1_000_000, stuckAfterMs: 1000 }), false);
});

t.test('statusLine', async (t) => {
  const base = { freeswitch: '127.0.0.1:8021', eslConnected: true, eslEverConnected: true, liveCalls: 1, backlogFiles: 0, oldestAgeSeconds: 0, problems: [] };
  t.equal(statusLine(base), 'FreeSWITCH 127.0.0.1:8021 connected, 1 live call; no upload backlog');
  t.equal(statusLine({ ...base, liveCalls: 12, backlogFiles: 3, oldestAgeSeconds: 600 }), 'FreeSWITCH 127.0.0.1:8021 connected, 12 live calls; upload backlog 3 files, oldest 10 min');
  t.equal(statusLine({ ...base, eslConnected: false }), 'FreeSWITCH 127.0.0.1:8021 disconnected, reconnecting; no upload backlog');
  t.equal(statusLine({ ...base, eslConnected: false, eslEverConnected: false, problems: ['disk 97% full'] }), 'waiting for FreeSWITCH at 127.0.0.1:8021; no upload backlog; disk 97% full');
});

t.test('a value cannot add a variable: newlines become spaces', async (t) => {
  t.same(notifyArgs(['STATUS=disk full\nREADY=1', 'WATCHDOG=1']), ['STATUS=disk full READY=1', 'WATCHDOG=1']);
});

t.test('the notify variables are taken out of the environment children inherit', async (t) => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/none/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid), PATH: '/usr/bin' };
  const notifier = serviceNotifierFromEnv(env, silentLogger());
  t.ok(notifier, 'a notifier for NOTIFY_SOCKET');
  await notifier?.close(0);
  t.same(env, { PATH: '/usr/bin' });
});

t.test('nothing without NOTIFY_SOCKET', async (t) => {
  t.equal(notifyChannelFromEnv({ WATCHDOG_USEC: '1000000' }, silentLogger()), undefined);
  t.equal(serviceNotifierFromEnv({ WATCHDOG_USEC: '1000000' }, silentLogger()), undefined);
});

t.test('MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds', async (t) => {
  const a = BigInt(monotonicUsec());
  const hr = process.hrtime.bigint() / 1000n;
  t.ok(a > 0n && a <= hr && hr - a < 1_000_000n, `${a} close to process.hrtime ${hr}`);
});

t.test('the watchdog is withheld while the spool pump is stuck, and resumes when it turns again', async (t) => {
  const channel = new RecordingChannel();
  const notifier = new ServiceNotifier({ channel, log: silentLogger(), pingEveryMs: 20, pumpStuckAfterMs: 10_000 });
  t.teardown(() => notifier.close(0));
  let scannedAt = Date.now();
  let checks = 0; // each watchdog tick reads lastScanAt once, and sends (or not) in the same turn
  const spool = {
    get lastScanAt(): number {
      checks++;
      return scannedAt;
    },
    status: () => spoolStatus(),
  };
  const esl = new FakeEsl();
  esl.connected = true;
  notifier.start();
  notifier.running({ esl, freeswitch: '127.0.0.1:8021', readyWaitMs: 1000, spool, liveCalls: () => 0 });
  const pings = (from = 0): number => channel.sent.slice(from).filter((m) => m[0] === 'WATCHDOG=1').length;
  await waitFor(() => pings() >= 2, 'pings while the pump turns');

  scannedAt = Date.now() - 60_000;
  const stuckFrom = channel.sent.length;
  const checksAtStuck = checks;
  await waitFor(() => checks >= checksAtStuck + 3, 'three watchdog checks of the stuck pump');
  t.equal(pings(stuckFrom), 0, 'no WATCHDOG=1 while no scan pass finished for longer than the bound');

  scannedAt = Date.now();
  const resumedFrom = channel.sent.length;
  await waitFor(() => pings(resumedFrom) > 0, 'pings again once the pump turns');
});

t.test('READY waits for the event socket at most readyWaitMs; reloads before READY are part of the start', async (t) => {
  const channel = new RecordingChannel();
  const notifier = new ServiceNotifier({ channel, log: silentLogger() });
  t.teardown(() => notifier.close(0));
  const esl = new FakeEsl();
  const watcher = new EventEmitter();
  notifier.running({ esl, freeswitch: 'fs:8021', readyWaitMs: 30, spool: { lastScanAt: undefined, status: () => spoolStatus() }, liveCalls: () => 0, watcher });
  watcher.emit('reloading');
  watcher.emit('reloaded');
  t.same(channel.sent, [['STATUS=waiting for FreeSWITCH at fs:8021; no upload backlog']], 'no RELOADING/READY during the start');
  await waitFor(() => channel.sent.some((m) => m[0] === 'READY=1'), 'READY after the wait');
  t.same(channel.sent.at(-1), ['READY=1', 'STATUS=waiting for FreeSWITCH at fs:8021; no upload backlog']);

  esl.connected = true;
  esl.emit('ready');
  t.same(channel.sent.at(-1), ['STATUS=FreeSWITCH fs:8021 connected, 0 live calls; no upload backlog'], 'connect: a STATUS, not a second READY');
  watcher.emit('reloading');
  t.match(channel.sent.at(-1), ['RELOADING=1', /^MONOTONIC_USEC=\d+$/, 'STATUS=reloading the configuration']);
  watcher.emit('rejected');
  t.same(channel.sent.at(-1), ['READY=1', 'STATUS=FreeSWITCH fs:8021 connected, 0 live calls; no upload backlog'], 'a refused config still ends the reload');
  notifier.stopping();
  notifier.stopping();
  t.same(channel.sent.filter((m) => m[0] === 'STOPPING=1'), [['STOPPING=1', 'STATUS=stopping: finishing uploads in flight']], 'STOPPING=1 once');
  watcher.emit('reloading');
  esl.emit('disconnected', 'test');
  t.equal(channel.sent.at(-1)?.[0], 'STOPPING=1', 'nothing after STOPPING=1');
});
