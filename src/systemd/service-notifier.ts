/**
 * What fsrecd tells systemd (Type=notify): READY=1, STATUS= lines, WATCHDOG=1, RELOADING=1/READY=1 around
 * a reload, STOPPING=1. Built only when systemd asked (NOTIFY_SOCKET); otherwise nothing here runs.
 *
 * READY=1 means: the spool is open and pumping (uploads of any backlog have started), and the event socket
 * is connected, or FreeSWITCH did not answer within esl.connect_timeout_ms. An operator expects
 * `systemctl start fsrecd` to come back promptly with fsrecd running even when FreeSWITCH is down (fsrecd
 * still uploads what is spooled and connects as soon as FreeSWITCH is up); holding READY until then would
 * only make systemd fail and restart it at TimeoutStartSec, dropping that work. So after that wait READY=1
 * goes out with STATUS "waiting for FreeSWITCH at host:port", and the STATUS line changes when it connects.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log';
import type { SpoolStatus } from '../spool/status';
import { notifyChannelFromEnv, type NotifyChannel } from './notify-channel';
import { statusLine } from './status-line';
import { PUMP_STUCK_AFTER_MS, pumpAlive, watchdogPingEveryMs } from './watchdog';

export interface NotifierOptions {
  channel: NotifyChannel;
  log: Logger;
  /** WATCHDOG=1 this often (half of WATCHDOG_USEC); undefined: no watchdog. */
  pingEveryMs?: number;
  /** How often the STATUS line is recomputed (sent only when it changed). */
  statusEveryMs?: number;
  pumpStuckAfterMs?: number;
}

/** What the notifier needs of the ESL client: whether it is up, and when that changes. */
export interface EslState {
  readonly connected: boolean;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'disconnected', listener: (reason: string) => void): unknown;
}

/** The running daemon's parts the notifier reads. */
export interface RunningParts {
  esl: EslState;
  /** host:port, for the STATUS line. */
  freeswitch: string;
  /** How long READY=1 waits for the event socket before going out without it. */
  readyWaitMs: number;
  spool: { status(): SpoolStatus; readonly lastScanAt: number | undefined };
  liveCalls: () => number;
  /** The config watcher: 'reloading', then 'reloaded' or 'rejected'. */
  watcher?: Pick<EventEmitter, 'on'>;
}

/** CLOCK_MONOTONIC in µs (libuv's hrtime is CLOCK_MONOTONIC on Linux), as RELOADING=1's MONOTONIC_USEC wants it. */
export function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

export class ServiceNotifier {
  readonly #channel: NotifyChannel;
  readonly #log: Logger;
  readonly #timers: NodeJS.Timeout[] = [];
  #parts: RunningParts | undefined;
  #readyTimer: NodeJS.Timeout | undefined;
  #readySent = false;
  #reloading = false;
  #stopping = false;
  #everConnected = false;
  #lastStatus = '';
  #stuckReported = false;

  constructor(private readonly opts: NotifierOptions) {
    this.#channel = opts.channel;
    this.#log = opts.log;
  }

  /** Starts the watchdog at once (systemd counts from the exec); until running() it vouches for the event loop only. */
  start(): void {
    const every = this.opts.pingEveryMs;
    if (every === undefined) return;
    const t = setInterval(() => this.#watchdog(), every);
    t.unref();
    this.#timers.push(t);
  }

  /** The spool is started and the event socket is being connected: READY=1 follows (see the header). */
  running(parts: RunningParts): void {
    this.#parts = parts;
    parts.esl.on('ready', () => {
      this.#everConnected = true;
      if (this.#readySent) this.#sendStatus();
      else this.#ready();
    });
    parts.esl.on('disconnected', () => this.#sendStatus());
    parts.watcher?.on('reloading', () => this.#reloadStarts());
    parts.watcher?.on('reloaded', () => this.#reloadEnds());
    parts.watcher?.on('rejected', () => this.#reloadEnds());
    const t = setInterval(() => this.#sendStatus(), this.opts.statusEveryMs ?? 5000);
    t.unref();
    this.#timers.push(t);
    if (parts.esl.connected) {
      this.#everConnected = true;
      this.#ready();
      return;
    }
    this.#sendStatus();
    this.#readyTimer = setTimeout(() => this.#ready(), parts.readyWaitMs);
    this.#readyTimer.unref();
  }

  /** Shutdown has begun: no more pings or status lines; systemd shows "deactivating". */
  stopping(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#clearTimers();
    this.#channel.send(['STOPPING=1', 'STATUS=stopping: finishing uploads in flight']);
  }

  /** Waits (bounded) until what is queued has reached systemd, so STOPPING=1 is not lost to the exit. */
  async close(timeoutMs: number): Promise<void> {
    this.#clearTimers();
    await this.#channel.flush(timeoutMs);
  }

  #ready(): void {
    if (this.#readySent || this.#stopping || !this.#parts) return;
    this.#readySent = true;
    if (this.#readyTimer) clearTimeout(this.#readyTimer);
    this.#lastStatus = this.#statusNow();
    this.#channel.send(['READY=1', `STATUS=${this.#lastStatus}`]);
  }

  #reloadStarts(): void {
    // A reload during start-up is part of the start: systemd is not told about it separately.
    if (!this.#readySent || this.#stopping) return;
    this.#reloading = true;
    this.#channel.send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, 'STATUS=reloading the configuration']);
  }

  #reloadEnds(): void {
    if (!this.#reloading || this.#stopping) return;
    this.#reloading = false;
    this.#lastStatus = this.#statusNow();
    this.#channel.send(['READY=1', `STATUS=${this.#lastStatus}`]);
  }

  #sendStatus(): void {
    if (this.#stopping || this.#reloading || !this.#parts) return;
    const line = this.#statusNow();
    if (line === this.#lastStatus) return;
    this.#lastStatus = line;
    this.#channel.send([`STATUS=${line}`]);
  }

  #statusNow(): string {
    const p = this.#parts as RunningParts;
    const s = p.spool.status();
    return statusLine({
      freeswitch: p.freeswitch,
      eslConnected: p.esl.connected,
      eslEverConnected: this.#everConnected,
      liveCalls: p.liveCalls(),
      backlogFiles: s.backlogFiles,
      oldestAgeSeconds: s.oldestAgeSeconds,
      problems: s.problems,
    });
  }

  #watchdog(): void {
    if (this.#stopping) return;
    const lastScanAt = this.#parts?.spool.lastScanAt;
    const stuckAfterMs = this.opts.pumpStuckAfterMs ?? PUMP_STUCK_AFTER_MS;
    if (!pumpAlive({ lastScanAt, now: Date.now(), stuckAfterMs })) {
      // Withheld on purpose: systemd then restarts fsrecd (WatchdogSec=), which reopens the spool.
      if (!this.#stuckReported) this.#log.error('the spool has not finished a scan pass for too long; not pinging the systemd watchdog', { lastScanAt: new Date(lastScanAt ?? 0).toISOString(), stuckAfterMs });
      this.#stuckReported = true;
      return;
    }
    this.#stuckReported = false;
    this.#channel.send(['WATCHDOG=1']);
  }

  #clearTimers(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    if (this.#readyTimer) clearTimeout(this.#readyTimer);
  }
}

/**
 * The notifier when systemd started us with Type=notify (NOTIFY_SOCKET set), already ticking; else undefined.
 * The variables are taken out of env (as sd_notify's unset_environment does): a process fsrecd starts (a
 * hook) must not inherit the right to tell systemd that fsrecd is ready, reloading or alive.
 */
export function serviceNotifierFromEnv(env: NodeJS.ProcessEnv, log: Logger): ServiceNotifier | undefined {
  const channel = notifyChannelFromEnv(env, log);
  const pingEveryMs = watchdogPingEveryMs(env, process.pid);
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!channel) return undefined;
  const notifier = new ServiceNotifier({ channel, log, pingEveryMs });
  notifier.start();
  return notifier;
}
