/** One ESL client connection to the simulator: auth, subscriptions, filters, command dispatch. */
import type { Socket } from 'node:net';
import { AUTH_REQUEST, DISCONNECT_NOTICE, apiResponse, bgapiReply, commandReply, jsonEventFrame, plainEventFrame } from './wire';

export interface SessionHost {
  password: string;
  /** The api output; a promise for commands that reply later (originate waits for the answer). */
  api(command: string): string | Promise<string>;
  background(jobUuid: string, command: string, output: string): void;
  newJobUuid(): string;
  commandSeen(command: string): void;
  /** Fault injection (src/sim/faults.ts): ms to hold this command's reply, 0 for none. */
  replyDelayFor(command: string): number;
  /** Fault injection: close the connection once this command has been carried out. */
  dropAfterCommand(command: string): boolean;
}

type Format = 'plain' | 'json';

export class SimSession {
  authed = false;
  format: Format = 'plain';
  readonly #events = new Set<string>();
  /** CUSTOM event subclasses asked for (`event plain CUSTOM callcenter::info`); every one after ALL. */
  readonly #subclasses = new Set<string>();
  #allSubclasses = false;
  #all = false;
  readonly #filters: Array<[string, string]> = [];
  #pending = '';
  /** A vanished host: nothing goes out and what comes in is lost (see freeze() in faults.ts). */
  #frozen: boolean;
  #greeted = false;
  /** Closing after a dropAfter command: its reply and events must not reach the client. */
  #dropping = false;
  /** Replies queued behind a delayed one, so replies keep the order of their commands. */
  #repliesHeld = 0;
  #replyChain: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: Socket,
    private readonly host: SessionHost,
    frozen = false,
  ) {
    this.#frozen = frozen;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => undefined);
    this.#greet();
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  set frozen(value: boolean) {
    this.#frozen = value;
    this.#greet();
  }

  #greet(): void {
    if (this.#greeted || this.#frozen) return;
    this.#greeted = true;
    this.#write(AUTH_REQUEST);
  }

  /** Every byte to the client goes through here, so freeze and drop silence all of it. */
  #write(data: string | Buffer): void {
    if (this.#silent()) return;
    this.socket.write(data);
  }

  #silent(): boolean {
    return this.#frozen || this.#dropping || this.socket.destroyed;
  }

  /** Raw bytes, frames or not (fuzz tests). */
  sendRaw(data: string | Buffer): void {
    this.#write(data);
  }

  /** A command's reply: at once, or after `delayMs` and after every reply held before it. */
  #reply(frame: string, delayMs = 0, then?: () => void): void {
    if (delayMs <= 0 && this.#repliesHeld === 0) {
      this.#write(frame);
      then?.();
      return;
    }
    this.#repliesHeld++;
    this.#replyChain = this.#replyChain
      .then(() => (delayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref()) : undefined))
      .then(() => {
        this.#repliesHeld--;
        this.#write(frame);
        then?.();
      });
  }

  /** A reply that is known later (originate): later replies on this connection wait behind it. */
  #replyWhen(frame: Promise<string>, delayMs: number): void {
    this.#repliesHeld++;
    this.#replyChain = this.#replyChain
      .then(() => frame)
      .then(async (f) => {
        if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
        this.#repliesHeld--;
        this.#write(f);
      });
  }

  /** Subscribed to this event name at all (filters and CUSTOM subclasses aside): worth building it. */
  mayWant(eventName: string): boolean {
    return this.authed && (this.#all || this.#events.has(eventName));
  }

  /**
   * mod_event_socket.c event_handler: ALL takes everything; otherwise the event's name must be subscribed, and a
   * CUSTOM event with a subclass only goes out when that subclass was named after CUSTOM.
   */
  wants(eventName: string, headers: ReadonlyArray<readonly [string, string]>): boolean {
    if (!this.mayWant(eventName)) return false;
    if (eventName === 'CUSTOM' && !this.#all && !this.#allSubclasses) {
      const subclass = headers.find(([n]) => n === 'Event-Subclass')?.[1];
      if (subclass !== undefined && !this.#subclasses.has(subclass)) return false;
    }
    if (this.#filters.length === 0) return true;
    return this.#filters.some(([k, v]) => headers.some(([n, val]) => n === k && val === v));
  }

  sendEvent(headers: ReadonlyArray<readonly [string, string]>, body = ''): void {
    if (this.#silent()) return;
    this.#write(this.format === 'json' ? jsonEventFrame(headers, body) : plainEventFrame(headers, body));
  }

  #drain: Promise<void> | undefined;

  /** Resolves when the socket can take more: one shared wait, however many events queued behind it. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.#drain = undefined;
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      // A client killed with data queued never drains: FreeSWITCH goes on without it.
      this.socket.once('close', done);
    });
    return this.#drain;
  }

  disconnect(): void {
    if (this.socket.destroyed) return;
    if (this.#frozen) this.socket.end();
    else this.socket.end(DISCONNECT_NOTICE);
  }

  /** Commands end with a blank line; the first line is the command, further lines headers (bgapi's Job-UUID). */
  #onData(chunk: string): void {
    if (this.#frozen || this.#dropping) return; // lost on the way to a vanished host, or after the drop
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
      if (this.#dropping || this.#frozen) return;
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
          this.#reply(commandReply('+OK accepted'));
        } else {
          this.#reply(commandReply('-ERR invalid'));
          s.end(DISCONNECT_NOTICE);
        }
      } else {
        this.#reply(commandReply('-ERR command not found'));
      }
      return;
    }
    if ((verb === 'api' || verb === 'bgapi') && this.host.dropAfterCommand(arg)) {
      // The command reached FreeSWITCH and takes effect; the connection dies before anything comes back.
      this.#dropping = true;
      this.host.commandSeen(arg);
      this.host.api(arg);
      s.destroy();
      return;
    }
    switch (verb) {
      case 'event': {
        // As mod_event_socket.c parses it: the first word may be the format; every word after CUSTOM is a
        // subclass name (even one spelled like an event); ALL also takes every CUSTOM subclass.
        const [fmt = 'plain', ...names] = args;
        const formatGiven = /^(plain|json|xml)$/i.test(fmt);
        if (formatGiven) this.format = fmt.toLowerCase() === 'json' ? 'json' : 'plain';
        let custom = false;
        let keys = 0;
        for (const n of formatGiven ? names : args) {
          if (!n) continue;
          if (custom) this.#subclasses.add(n);
          else {
            keys++;
            const upper = n.toUpperCase();
            if (upper === 'ALL') {
              this.#all = true;
              this.#allSubclasses = true;
            } else this.#events.add(upper);
            if (upper === 'CUSTOM') custom = true;
          }
        }
        this.#reply(commandReply(keys === 0 ? '-ERR no keywords supplied' : `+OK event listener enabled ${this.format}`));
        return;
      }
      case 'nixevent': {
        let custom = false;
        for (const n of args) {
          if (custom) this.#subclasses.delete(n);
          else if (n.toUpperCase() === 'CUSTOM') custom = true;
          else this.#events.delete(n.toUpperCase());
        }
        if (args.includes('ALL')) {
          this.#all = false;
          this.#allSubclasses = false;
        }
        this.#reply(commandReply('+OK events nixed'));
        return;
      }
      case 'noevents':
        this.#events.clear();
        this.#subclasses.clear();
        this.#allSubclasses = false;
        this.#all = false;
        this.#reply(commandReply('+OK no longer listening for events'));
        return;
      case 'filter':
        if (args[0] === 'delete') {
          this.#filters.splice(0, this.#filters.length);
          this.#reply(commandReply('+OK filter deleted.'));
        } else {
          this.#filters.push([args[0] ?? '', args.slice(1).join(' ')]);
          this.#reply(commandReply(`+OK filter added. [${args[0]}]=[${args.slice(1).join(' ')}]`));
        }
        return;
      case 'api': {
        this.host.commandSeen(arg);
        // mod_event_socket answers an empty output with "-ERR no reply\n" (api_exec), never Content-Length: 0.
        const output = this.host.api(arg);
        if (typeof output === 'string') this.#reply(apiResponse(output || '-ERR no reply\n'), this.host.replyDelayFor(arg));
        else this.#replyWhen(output.then((o) => apiResponse(o || '-ERR no reply\n')), this.host.replyDelayFor(arg));
        return;
      }
      case 'bgapi': {
        this.host.commandSeen(arg);
        const job = headers.get('Job-UUID') ?? this.host.newJobUuid();
        this.#reply(bgapiReply(job));
        const delayMs = this.host.replyDelayFor(arg);
        const finish = (output: string): void => {
          if (delayMs > 0) setTimeout(() => this.host.background(job, arg, output), delayMs).unref();
          else this.host.background(job, arg, output);
        };
        const output = this.host.api(arg);
        if (typeof output === 'string') finish(output);
        else void output.then(finish);
        return;
      }
      case 'exit':
        this.#reply(commandReply('+OK bye'), 0, () => s.end(DISCONNECT_NOTICE));
        return;
      default:
        this.#reply(commandReply('-ERR command not found'));
    }
  }
}
