/**
 * The inbound event-socket client: connect, authenticate, subscribe, api/bgapi with timeouts, and
 * reconnect with backoff after any drop. Replaces modesl's transport (see README, "Why not modesl's
 * parser"); modesl stays the reference our tests and benchmark compare against.
 *
 * A drop is also what the client calls a connection that went quiet (no frame for heartbeatTimeoutMs,
 * though FreeSWITCH sends HEARTBEAT every 20 s: the host vanished without a TCP reset) or that broke the
 * frame parser's bounds (a 10 GB Content-Length): both are closed here and reconnected like any other.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Logger } from '../log';
import { Backoff } from '../util/backoff';
import { jsonEvent, plainEvent } from './event';
import { FrameParser, type EslFrame } from './frame-parser';
import {
  EslCommandError,
  EslNotConnectedError,
  EslTimeoutError,
  type EslClient,
  type EslClientEvents,
  type EslClientOptions,
  type EslEvent,
} from './types';

interface Pending {
  command: string;
  /** undefined once the caller gave up (timeout): the reply, when it comes, is dropped to keep order. */
  resolve?: (frame: EslFrame) => void;
  reject?: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface BackgroundJob {
  command: string;
  resolve: (body: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

type Phase = 'idle' | 'connecting' | 'auth' | 'subscribing' | 'ready' | 'closed';

const CONTROL = /[\r\n]/;

/** Three missed HEARTBEATs (FreeSWITCH's event-heartbeat-interval is 20 s by default). */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;

export class EslConnection extends EventEmitter<EslClientEvents> implements EslClient {
  #socket: Socket | undefined;
  #phase: Phase = 'idle';
  #queue: Pending[] = [];
  #jobs = new Map<string, BackgroundJob>();
  #backoff: Backoff;
  #retryTimer: NodeJS.Timeout | undefined;
  #firstReady: { resolve: () => void; promise: Promise<void> };
  #authRefused = false;
  #jobCounter = 0;
  /** Date.now() of the last frame on the current socket: any frame, not only HEARTBEAT, shows life. */
  #lastFrameAt = 0;
  #watchdog: NodeJS.Timeout | undefined;
  /** A silent FreeSWITCH is reported at warn once; the retries that find it still silent go to debug. */
  #silenceReported = false;

  constructor(
    private readonly options: EslClientOptions,
    private readonly log: Logger,
  ) {
    super();
    this.#backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs);
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstReady = { resolve, promise };
  }

  get connected(): boolean {
    return this.#phase === 'ready';
  }

  start(): Promise<void> {
    if (this.#phase === 'idle') this.#connect();
    return this.#firstReady.promise;
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#phase = 'closed';
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#failAll(new EslNotConnectedError('(closing)'));
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end('exit\n\n');
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }

  api(command: string, timeoutMs = this.options.apiTimeoutMs): Promise<string> {
    return this.#send(`api ${command}`, command, timeoutMs).then((frame) => {
      const body = frame.body.toString('utf8');
      if (/^-(ERR|USAGE)/.test(body)) throw new EslCommandError(command, body);
      return body;
    });
  }

  async bgapi(command: string, timeoutMs = this.options.apiTimeoutMs): Promise<string> {
    const jobUuid = `fsrecd-${process.pid}-${Date.now().toString(36)}-${++this.#jobCounter}`;
    const result = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#jobs.delete(jobUuid);
        reject(new EslTimeoutError(command, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.#jobs.set(jobUuid, { command, resolve, reject, timer });
    });
    try {
      const reply = await this.#send(`bgapi ${command}\nJob-UUID: ${jobUuid}`, command, timeoutMs);
      const text = reply.headers.get('Reply-Text') ?? '';
      if (text.startsWith('-ERR')) throw new EslCommandError(command, text);
    } catch (err) {
      const job = this.#jobs.get(jobUuid);
      if (job) clearTimeout(job.timer);
      this.#jobs.delete(jobUuid);
      throw err;
    }
    return result;
  }

  #send(wire: string, command: string, timeoutMs: number): Promise<EslFrame> {
    if (CONTROL.test(command)) {
      return Promise.reject(new Error(`refusing an ESL command with a line break: ${JSON.stringify(command.slice(0, 80))}`));
    }
    const socket = this.#socket;
    if (this.#phase !== 'ready' || !socket) return Promise.reject(new EslNotConnectedError(command));
    return new Promise<EslFrame>((resolve, reject) => {
      const entry: Pending = { command, resolve, reject };
      entry.timer = setTimeout(() => {
        // Keep the entry as a tombstone: its late reply must not be taken for the next command's.
        entry.resolve = undefined;
        entry.reject = undefined;
        reject(new EslTimeoutError(command, timeoutMs));
      }, timeoutMs);
      entry.timer.unref();
      this.#queue.push(entry);
      socket.write(`${wire}\n\n`);
    });
  }

  #connect(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'connecting';
    const socket = new Socket();
    this.#socket = socket;
    socket.setNoDelay(true);
    // Kernel keepalive probes catch a dead peer on an idle link; the HEARTBEAT watchdog below catches a
    // FreeSWITCH that is unreachable or hung while the kernel still thinks the connection is fine.
    socket.setKeepAlive(true, 10_000);
    let closeReason = 'connection closed';
    const drop = (reason: string): void => {
      closeReason = reason;
      socket.destroy();
    };
    const parser = new FrameParser(
      {
        frame: (frame) => {
          if (this.#socket !== socket) return;
          this.#lastFrameAt = Date.now();
          this.#onFrame(frame);
        },
        malformed: (reason) => this.log.warn('malformed frame from FreeSWITCH', { reason }),
        fatal: (reason) => {
          this.log.error('unreadable event-socket stream from FreeSWITCH; dropping the connection and reconnecting', { reason });
          drop(`unreadable stream: ${reason}`);
        },
      },
      { maxFrameBytes: this.options.maxFrameBytes },
    );
    const connectTimer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
    connectTimer.unref();
    socket.on('connect', () => {
      clearTimeout(connectTimer);
      this.#phase = 'auth';
      this.#watch(socket, drop);
    });
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    socket.on('error', (err) => this.log.debug('event socket error', { error: err.message }));
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (this.#socket === socket) this.#onClosed(closeReason);
    });
    socket.connect(this.options.port, this.options.host);
  }

  /**
   * Drops `socket` once no frame has arrived for heartbeatTimeoutMs. Runs from the TCP connect on, so a
   * peer that accepts and then says nothing (not even auth/request) is dropped too. One timer per silence
   * window, re-armed for the remainder, rather than one reset per frame (thousands of events a second).
   */
  #watch(socket: Socket, drop: (reason: string) => void): void {
    const limit = this.options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    if (!(limit > 0)) return;
    this.#lastFrameAt = Date.now();
    const check = (): void => {
      this.#watchdog = undefined;
      if (this.#socket !== socket || socket.destroyed) return;
      const silentMs = Date.now() - this.#lastFrameAt;
      if (silentMs < limit) {
        this.#watchdog = setTimeout(check, limit - silentMs);
        this.#watchdog.unref();
        return;
      }
      const message = `no HEARTBEAT or other frame from FreeSWITCH for ${limit} ms; treating the connection as lost`;
      const fields = { host: this.options.host, port: this.options.port, silentMs, phase: this.#phase };
      if (this.#silenceReported) this.log.debug(message, fields);
      else this.log.warn(message, fields);
      this.#silenceReported = true;
      drop(message);
    };
    this.#watchdog = setTimeout(check, limit);
    this.#watchdog.unref();
  }

  #onFrame(frame: EslFrame): void {
    const type = frame.headers.get('Content-Type');
    switch (type) {
      case 'auth/request':
        this.#write(`auth ${this.options.password}`);
        return;
      case 'command/reply':
      case 'api/response':
        this.#onReply(frame);
        return;
      case 'text/event-plain':
        this.#onEvent(plainEvent(frame.body));
        return;
      case 'text/event-json': {
        const ev = jsonEvent(frame.body);
        if (ev) this.#onEvent(ev);
        else this.log.warn('unparsable JSON event from FreeSWITCH');
        return;
      }
      case 'text/disconnect-notice':
        this.log.info('FreeSWITCH sent a disconnect notice');
        this.#socket?.destroy();
        return;
      default:
        return; // log/data, text/rude-rejection…: nothing we asked for
    }
  }

  #onReply(frame: EslFrame): void {
    const text = frame.headers.get('Reply-Text') ?? '';
    if (this.#phase === 'closed') return; // "+OK bye" to our exit
    if (this.#phase === 'auth') {
      if (text.startsWith('+OK')) {
        this.#phase = 'subscribing';
        this.#authRefused = false;
        this.#write(`event plain ${[...new Set([...this.options.events, 'BACKGROUND_JOB', 'HEARTBEAT'])].join(' ')}`);
      } else {
        this.#authRefused = true;
        const message = `FreeSWITCH refused the event-socket password for ${this.options.host}:${this.options.port} (check esl.password): ${text || 'no reply text'}`;
        this.log.error(message);
        this.emit('auth-failed', message);
        this.#socket?.destroy();
      }
      return;
    }
    if (this.#phase === 'subscribing') {
      if (!text.startsWith('+OK')) this.log.error('FreeSWITCH refused the event subscription', { reply: text });
      this.#phase = 'ready';
      this.#silenceReported = false;
      this.#backoff.reset();
      this.emit('ready');
      this.#firstReady.resolve();
      return;
    }
    const entry = this.#queue.shift();
    if (!entry) {
      this.log.warn('reply from FreeSWITCH with no command waiting', { reply: text });
      return;
    }
    if (entry.timer) clearTimeout(entry.timer);
    entry.resolve?.(frame);
  }

  #onEvent(ev: EslEvent): void {
    // Subscribed for the watchdog (its arrival already counted as life); the daemon did not ask for it.
    if (ev.name === 'HEARTBEAT' && !this.options.events.includes('HEARTBEAT')) return;
    if (ev.name === 'BACKGROUND_JOB') {
      const job = this.#jobs.get(ev.get('Job-UUID') ?? '');
      if (job) {
        this.#jobs.delete(ev.get('Job-UUID') ?? '');
        clearTimeout(job.timer);
        if (/^-(ERR|USAGE)/.test(ev.body)) job.reject(new EslCommandError(job.command, ev.body));
        else job.resolve(ev.body);
        return;
      }
    }
    this.emit('event', ev);
  }

  #write(line: string): void {
    this.#socket?.write(`${line}\n\n`);
  }

  #onClosed(reason: string): void {
    const wasReady = this.#phase === 'ready';
    this.#socket = undefined;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#failAll(new EslNotConnectedError('(connection lost)'));
    if (this.#phase === 'closed') return;
    this.#phase = 'connecting';
    if (wasReady) this.emit('disconnected', reason);
    const delay = this.#authRefused ? this.#backoff.max() : this.#backoff.next();
    this.log.debug('reconnecting to FreeSWITCH', { inMs: delay });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #failAll(err: Error): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const entry of queue) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject?.(err);
    }
    for (const job of this.#jobs.values()) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    this.#jobs.clear();
  }
}

export function createEslClient(options: EslClientOptions, log: Logger): EslClient {
  return new EslConnection(options, log);
}
