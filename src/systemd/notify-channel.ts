/**
 * The sd_notify(3) transport: each message is handed to `systemd-notify`, one at a time, in order.
 *
 * Why a child process: the protocol is one AF_UNIX datagram to $NOTIFY_SOCKET, and Node cannot send unix
 * datagrams (node:dgram is UDP only). The npm packages that can (sd-notify, systemd-daemon, unix-dgram…)
 * are native addons built with node-gyp, a build step a plain `npm ci` can fail on and a package build must
 * repeat per Node ABI. `systemd-notify` ships with systemd itself, so it is on every host that sets
 * NOTIFY_SOCKET. The known trap with it is attribution: systemd maps a datagram to its unit by the sender's
 * PID, and a short-lived sender may be gone before systemd looks. Two things cover that here:
 *  - systemd-notify (since systemd 246, so Debian 12's 252 too) waits by default until systemd has
 *    processed the message (it sends BARRIER=1 after it and waits for the manager to close the barrier's
 *    fd; we never pass --no-block), so the sender is alive while systemd attributes it;
 *  - it sends the message with the credentials of its parent, this process (as root that succeeds; a
 *    non-root service falls back to its own PID, a process of the same cgroup), so the unit needs
 *    NotifyAccess=all. `--pid` is not passed: it would add MAINPID= to every message, which is not ours to
 *    change.
 * Messages are queued and sent one after another: RELOADING=1 must reach systemd before its READY=1.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log';

export interface NotifyChannel {
  /** Queues one message: variable assignments such as READY=1, STATUS=…, WATCHDOG=1. */
  send(assignments: readonly string[]): void;
  /** Resolves when everything queued so far has been handed over (bounded by timeoutMs). */
  flush(timeoutMs: number): Promise<void>;
}

export interface SpawnNotifyOptions {
  /** The socket systemd named in NOTIFY_SOCKET; the child gets it in its environment. */
  socket: string;
  log: Logger;
  /** The program; systemd-notify from PATH unless a test or a packager says otherwise. */
  command?: string;
  /** A sender that hangs (systemd gone) is killed after this long; systemd-notify's own barrier waits 5 s. */
  killAfterMs?: number;
}

/** One line per variable; a newline inside a value would smuggle in another variable, so it becomes a space. */
export function notifyArgs(assignments: readonly string[]): string[] {
  return assignments.map((a) => a.replace(/[\r\n]+/g, ' '));
}

export class SpawnedNotifyChannel implements NotifyChannel {
  readonly #queue: string[][] = [];
  #sending: Promise<void> | undefined;
  #broken = false;

  constructor(private readonly opts: SpawnNotifyOptions) {}

  send(assignments: readonly string[]): void {
    if (this.#broken || assignments.length === 0) return;
    const last = this.#queue[this.#queue.length - 1];
    // A STATUS still waiting to go out is stale once a newer one is queued behind it.
    if (last && isStatusOnly(last) && isStatusOnly(assignments)) this.#queue[this.#queue.length - 1] = notifyArgs(assignments);
    else this.#queue.push(notifyArgs(assignments));
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined));
  }

  async flush(timeoutMs: number): Promise<void> {
    if (!this.#sending) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#sending, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.shift(); next && !this.#broken; next = this.#queue.shift()) await this.#spawn(next);
  }

  #spawn(args: string[]): Promise<void> {
    const { socket, log, command = 'systemd-notify', killAfterMs = 10_000 } = this.opts;
    const env = { ...process.env, NOTIFY_SOCKET: socket };
    return new Promise<void>((resolve) => {
      let stderr = '';
      const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', (err) => {
        clearTimeout(timer);
        // No systemd-notify: nothing will ever get through; say so once instead of once per message.
        this.#broken = true;
        this.#queue.length = 0;
        log.error('cannot tell systemd about our state: systemd-notify did not run (NOTIFY_SOCKET is set; is systemd installed?)', { error: err.message });
        resolve();
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) log.warn('systemd-notify failed; systemd may not have this state', { sent: args.join(' '), code, signal, stderr: stderr.trim() });
        resolve();
      });
    });
  }
}

function isStatusOnly(assignments: readonly string[]): boolean {
  return assignments.length === 1 && assignments[0]?.startsWith('STATUS=') === true;
}

/** The channel when systemd asked for notifications (NOTIFY_SOCKET set), else undefined: nothing is sent. */
export function notifyChannelFromEnv(env: NodeJS.ProcessEnv, log: Logger): NotifyChannel | undefined {
  if (!env.NOTIFY_SOCKET) return undefined;
  return new SpawnedNotifyChannel({ socket: env.NOTIFY_SOCKET, log });
}
