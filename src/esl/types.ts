/**
 * The daemon's view of FreeSWITCH's event socket. Everything above src/esl/ talks to these types only,
 * so the transport can change without touching call logic.
 */
import type { EventEmitter } from 'node:events';

/** One event from FreeSWITCH (text/event-plain or text/event-json), header values already URL-decoded. */
export interface EslEvent {
  /** Event-Name, e.g. CHANNEL_CREATE; for CUSTOM events this is still "CUSTOM" (see Event-Subclass). */
  readonly name: string;
  /** A header's decoded value; undefined when absent. Names are case-sensitive, as FreeSWITCH sends them. */
  get(header: string): string | undefined;
  /** The event's own body (BACKGROUND_JOB output, etc.); '' when it has none. */
  readonly body: string;
  /** Every header name, in wire order. */
  headerNames(): string[];
}

/** A reply FreeSWITCH gave that starts with -ERR or -USAGE; message is FreeSWITCH's own text. */
export class EslCommandError extends Error {
  constructor(
    readonly command: string,
    readonly reply: string,
  ) {
    super(`FreeSWITCH refused "${command.split(' ', 2).join(' ')}": ${reply.trim()}`);
    this.name = 'EslCommandError';
  }
}

export class EslTimeoutError extends Error {
  constructor(readonly command: string, readonly timeoutMs: number) {
    super(`no reply from FreeSWITCH to "${command.split(' ', 2).join(' ')}" within ${timeoutMs} ms`);
    this.name = 'EslTimeoutError';
  }
}

export class EslNotConnectedError extends Error {
  constructor(readonly command: string) {
    super(`not connected to FreeSWITCH; cannot send "${command.split(' ', 2).join(' ')}"`);
    this.name = 'EslNotConnectedError';
  }
}

export interface EslClientOptions {
  host: string;
  port: number;
  password: string;
  /** Event names to subscribe to (event plain ...). */
  events: readonly string[];
  connectTimeoutMs: number;
  apiTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /**
   * A connection that delivers no frame at all for this long is treated as lost (dropped, 'disconnected',
   * reconnect), so a FreeSWITCH host that vanished without a TCP reset is noticed. HEARTBEAT is always
   * subscribed and FreeSWITCH sends one every 20 s, so the default 60000 is three missed heartbeats.
   */
  heartbeatTimeoutMs?: number;
  /** Largest frame body accepted; a larger Content-Length drops the connection. Default 64 MiB. */
  maxFrameBytes?: number;
}

/**
 * Events emitted by EslClient, name -> the listener's arguments (on/off/emit are typed by this map):
 * 'error' is not among them and never emitted (so an unhandled one cannot kill the process); problems are
 * logged and reported through 'disconnected'.
 */
export interface EslClientEvents {
  /**
   * Every subscribed event, in wire order (HEARTBEAT only when `events` names it: the client subscribes to
   * it for its own liveness check).
   */
  event: [event: EslEvent];
  /** Authenticated and subscribed; emitted after EVERY (re)connect: the cue to re-sync state. */
  ready: [];
  /** The session ended; a reconnect is scheduled unless close() was called. */
  disconnected: [reason: string];
  /** The password was refused; retries continue at the maximum backoff. */
  'auth-failed': [message: string];
}

export interface EslClient extends EventEmitter<EslClientEvents> {
  readonly connected: boolean;
  /** Starts connecting (and keeps reconnecting); resolves at the first 'ready'. */
  start(): Promise<void>;
  /** Stops reconnecting, sends `exit`, closes the socket. */
  close(): Promise<void>;
  /** `api <command>`: resolves with the reply body; rejects with EslCommandError on -ERR/-USAGE. */
  api(command: string, timeoutMs?: number): Promise<string>;
  /** `bgapi <command>`: resolves with the BACKGROUND_JOB body; rejects like api(). */
  bgapi(command: string, timeoutMs?: number): Promise<string>;
}
