/** One ESL client connection to the simulator: auth, subscriptions, filters, command dispatch. */
import type { Socket } from 'node:net';
import { AUTH_REQUEST, DISCONNECT_NOTICE, apiResponse, bgapiReply, commandReply, jsonEventFrame, plainEventFrame } from './wire';

export interface SessionHost {
  password: string;
  api(command: string): string;
  background(jobUuid: string, command: string, output: string): void;
  newJobUuid(): string;
  commandSeen(command: string): void;
}

type Format = 'plain' | 'json';

export class SimSession {
  authed = false;
  format: Format = 'plain';
  readonly #events = new Set<string>();
  #all = false;
  readonly #filters: Array<[string, string]> = [];
  #pending = '';

  constructor(
    readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.write(AUTH_REQUEST);
  }

  wants(eventName: string, headers: ReadonlyArray<readonly [string, string]>): boolean {
    if (!this.authed || (!this.#all && !this.#events.has(eventName))) return false;
    if (this.#filters.length === 0) return true;
    return this.#filters.some(([k, v]) => headers.some(([n, val]) => n === k && val === v));
  }

  sendEvent(headers: ReadonlyArray<readonly [string, string]>, body = ''): void {
    if (this.socket.destroyed) return;
    this.socket.write(this.format === 'json' ? jsonEventFrame(headers, body) : plainEventFrame(headers, body));
  }

  #drain: Promise<void> | undefined;

  /** Resolves when the socket can take more: one shared wait, however many events queued behind it. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) =>
      this.socket.once('drain', () => {
        this.#drain = undefined;
        resolve();
      }),
    );
    return this.#drain;
  }

  disconnect(): void {
    if (this.socket.destroyed) return;
    this.socket.end(DISCONNECT_NOTICE);
  }

  /** Commands end with a blank line; the first line is the command, further lines headers (bgapi's Job-UUID). */
  #onData(chunk: string): void {
    this.#pending += chunk.replace(/\r/g, '');
    for (let end = this.#pending.indexOf('\n\n'); end >= 0; end = this.#pending.indexOf('\n\n')) {
      const block = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 2);
      const [line = '', ...rest] = block.split('\n');
      if (!line.trim()) continue;
      const headers = new Map<string, string>();
      for (const h of rest) {
        const colon = h.indexOf(': ');
        if (colon > 0) headers.set(h.slice(0, colon), h.slice(colon + 2));
      }
      this.#dispatch(line.trim(), headers);
    }
  }

  #dispatch(line: string, headers: Map<string, string>): void {
    const s = this.socket;
    const [verb = '', ...args] = line.split(' ');
    const arg = args.join(' ');
    if (!this.authed) {
      if (verb === 'auth') {
        if (arg === this.host.password) {
          this.authed = true;
          s.write(commandReply('+OK accepted'));
        } else {
          s.write(commandReply('-ERR invalid'));
          s.end(DISCONNECT_NOTICE);
        }
      } else {
        s.write(commandReply('-ERR command not found'));
      }
      return;
    }
    switch (verb) {
      case 'event': {
        const [fmt = 'plain', ...names] = args;
        this.format = fmt === 'json' ? 'json' : 'plain';
        for (const n of names) {
          if (n === 'ALL') this.#all = true;
          else if (n) this.#events.add(n);
        }
        s.write(commandReply(`+OK event listener enabled ${this.format}`));
        return;
      }
      case 'nixevent':
        for (const n of args) this.#events.delete(n);
        if (args.includes('ALL')) this.#all = false;
        s.write(commandReply('+OK events nixed'));
        return;
      case 'noevents':
        this.#events.clear();
        this.#all = false;
        s.write(commandReply('+OK no longer listening for events'));
        return;
      case 'filter':
        if (args[0] === 'delete') {
          this.#filters.splice(0, this.#filters.length);
          s.write(commandReply('+OK filter deleted.'));
        } else {
          this.#filters.push([args[0] ?? '', args.slice(1).join(' ')]);
          s.write(commandReply(`+OK filter added. [${args[0]}]=[${args.slice(1).join(' ')}]`));
        }
        return;
      case 'api':
        this.host.commandSeen(arg);
        s.write(apiResponse(this.host.api(arg)));
        return;
      case 'bgapi': {
        this.host.commandSeen(arg);
        const job = headers.get('Job-UUID') ?? this.host.newJobUuid();
        s.write(bgapiReply(job));
        this.host.background(job, arg, this.host.api(arg));
        return;
      }
      case 'exit':
        s.write(commandReply('+OK bye'));
        s.end(DISCONNECT_NOTICE);
        return;
      default:
        s.write(commandReply('-ERR command not found'));
    }
  }
}
