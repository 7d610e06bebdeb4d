/**
 * A FreeSWITCH stand-in: listens on 127.0.0.1, speaks mod_event_socket (inbound), runs scripted calls,
 * and answers the API commands fsrecd sends, writing real WAV files for uuid_record. Used by the demo,
 * the tests and the benchmark. Its switches for fault tests (freeze/thaw, sendRaw, HEARTBEAT, sim.faults:
 * late replies, drops after a command, duplicated/missing/reordered RECORD_* events) are described in
 * src/sim/faults.ts.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { CallSpec, Role, Shape, SimChannel, SimEndpoint } from './channel';
import { runApi, type CommandHost } from './commands';
import { CAPTURED_EVENTS } from './captured-events';
import { buildEvent, identityVariables } from './event-builder';
import { SimFaults, type RecordEventFault } from './faults';
import { SimSession } from './session';
import { finishRecording, prepareRecordingFile, type ActiveSimRecording } from './uuid-record';

export type { CallSpec, SimChannel, SimEndpoint } from './channel';

export interface SimulatorOptions {
  port?: number;
  password?: string;
  hostname?: string;
  coreUuid?: string;
  /** Microsecond clock for event timestamps and recording durations (tests inject one). */
  clockUs?: () => number;
  /** HEARTBEAT to subscribed sessions every this many ms, as FreeSWITCH's default 20 s; 0: none. */
  heartbeatMs?: number;
}

export interface SimCall {
  readonly aUuid: string;
  readonly bUuid?: string;
  answer(): Promise<void>;
  dtmf(leg: 'a' | 'b', digits: string): Promise<void>;
  hangup(side?: 'a' | 'b', cause?: string): Promise<void>;
}

const IDENTITY_VARS = identityVariables();

type Headers = Array<[string, string]>;

export class FreeswitchSimulator extends EventEmitter implements CommandHost {
  readonly commands: string[] = [];
  readonly broadcasts: Array<{ uuid: string; media: string; leg: string }> = [];
  readonly hostname: string;
  #server: Server | undefined;
  #port: number;
  readonly #password: string;
  #coreUuid: string;
  readonly #clockUs: () => number;
  readonly #sessions = new Set<SimSession>();
  readonly #channels = new Map<string, SimChannel>();
  readonly #recordings = new Map<string, Map<string, ActiveSimRecording>>();
  #sequence = 1000;
  #sessionsSinceStart = 0;
  #peakChannels = 0;
  readonly #heartbeatMs: number;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  readonly #startedUs: number;
  #frozen = false;
  /** Fault injection for fault tests; see src/sim/faults.ts. */
  readonly faults = new SimFaults();

  constructor(opts: SimulatorOptions = {}) {
    super();
    this.#port = opts.port ?? 0;
    this.#password = opts.password ?? 'ClueCon';
    this.hostname = opts.hostname ?? 'sim';
    this.#coreUuid = opts.coreUuid ?? randomUUID();
    this.#clockUs = opts.clockUs ?? (() => Date.now() * 1000);
    this.#heartbeatMs = opts.heartbeatMs ?? 20_000;
    this.#startedUs = this.#clockUs();
  }

  get port(): number {
    return this.#port;
  }

  get liveChannelCount(): number {
    return this.#channels.size;
  }

  get connectionCount(): number {
    return this.#sessions.size;
  }

  async start(): Promise<number> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
    if (this.#heartbeatMs > 0) {
      this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
      this.#heartbeatTimer.unref();
    }
    return this.#port;
  }

  async stop(): Promise<void> {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    for (const s of this.#sessions) s.socket.destroy();
    this.#sessions.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops every ESL connection abruptly, as a crash or a network cut would. */
  dropConnections(): void {
    for (const s of this.#sessions) s.socket.destroy();
    this.#sessions.clear();
  }

  /**
   * The host vanishes without a TCP reset (power cut, network partition, hung kernel): sockets stay open,
   * nothing more is sent (events, HEARTBEAT, replies), commands are lost, new connections are accepted but
   * never greeted. Calls go on inside. thaw() ends it.
   */
  freeze(): void {
    this.#frozen = true;
    for (const s of this.#sessions) s.frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
    for (const s of this.#sessions) s.frozen = false;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Writes raw bytes to every connection, framed or not: malformed input for fuzz tests. */
  sendRaw(data: string | Buffer): void {
    for (const s of this.#sessions) s.sendRaw(data);
  }

  /** A FreeSWITCH restart: notice to clients, listener down, new Core-UUID, same port. */
  async restart(opts: { keepChannels?: boolean } = {}): Promise<void> {
    for (const s of this.#sessions) s.disconnect();
    this.#sessions.clear();
    await this.stop();
    if (!opts.keepChannels) {
      this.#channels.clear();
      this.#recordings.clear();
    }
    this.#coreUuid = randomUUID();
    await this.start();
  }

  channel(uuid: string): SimChannel | undefined {
    return this.#channels.get(uuid);
  }

  channels(): SimChannel[] {
    return [...this.#channels.values()];
  }

  /** Active recordings of a channel (tests look at them). */
  recordingsOf(uuid: string): string[] {
    return [...(this.#recordings.get(uuid)?.keys() ?? [])];
  }

  status(): string {
    const up = Math.floor(process.uptime());
    return [
      `UP 0 years, 0 days, 0 hours, 0 minutes, ${up} seconds, 0 milliseconds, 0 microseconds`,
      'FreeSWITCH (Version 1.10.9-release  64bit) is ready (fsrecd simulator)',
      `${this.#sessionsSinceStart} session(s) since startup`,
      `${this.#channels.size} session(s) - peak ${this.#channels.size}, last 5min 0 `,
      '0 session(s) per Sec out of max 30, peak 0, last 5min 0 ',
      '1000 session(s) max',
      'min idle cpu 0.00/99.00',
      'Current Stack Size/Max 240K/8192K',
      '',
    ].join('\n');
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session = new SimSession(socket, {
      password: this.#password,
      api: (cmd) => runApi(this, cmd),
      newJobUuid: () => randomUUID(),
      commandSeen: (cmd) => {
        this.commands.push(cmd);
        this.emit('command', cmd);
      },
      background: (job, cmd, output) => {
        const headers = this.#coreHeaders('BACKGROUND_JOB', 'mod_event_socket.c', 'api_exec', '1572');
        headers.push(['Job-UUID', job], ['Job-Command', cmd.split(' ')[0] ?? '']);
        const args = cmd.split(' ').slice(1).join(' ');
        if (args) headers.push(['Job-Command-Arg', args]);
        for (const s of this.#sessions) if (s.wants('BACKGROUND_JOB', headers)) s.sendEvent(headers, output);
      },
      replyDelayFor: (cmd) => this.faults.replyDelayFor(cmd),
      dropAfterCommand: (cmd) => this.faults.dropAfterCommand(cmd),
    }, this.#frozen);
    this.#sessions.add(session);
    this.emit('connection');
    socket.on('close', () => {
      this.#sessions.delete(session);
      this.emit('disconnect');
    });
  }

  #coreHeaders(name: string, file: string, fn: string, line: string): Array<[string, string]> {
    const nowUs = this.#clockUs();
    const d = new Date(Math.floor(nowUs / 1000));
    const p = (n: number): string => String(n).padStart(2, '0');
    return [
      ['Event-Name', name],
      ['Core-UUID', this.#coreUuid],
      ['FreeSWITCH-Hostname', this.hostname],
      ['FreeSWITCH-Switchname', this.hostname],
      ['FreeSWITCH-IPv4', '127.0.0.1'],
      ['FreeSWITCH-IPv6', '::1'],
      ['Event-Date-Local', `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`],
      ['Event-Date-GMT', d.toUTCString()],
      ['Event-Date-Timestamp', String(nowUs)],
      ['Event-Calling-File', file],
      ['Event-Calling-Function', fn],
      ['Event-Calling-Line-Number', line],
      ['Event-Sequence', String(++this.#sequence)],
    ];
  }

  /**
   * HEARTBEAT as FreeSWITCH's switch_core.c sends it (capture 14): the captured headers in their order,
   * with this simulator's identity, uptime and session counts.
   */
  #heartbeat(): void {
    const template = CAPTURED_EVENTS.HEARTBEAT;
    if (!template) return;
    const core = new Map(this.#coreHeaders('HEARTBEAT', 'switch_core.c', 'send_heartbeat', '95'));
    const upMs = Math.max(0, Math.floor((this.#clockUs() - this.#startedUs) / 1000));
    const up = [Math.floor(upMs / 31_536_000_000), Math.floor(upMs / 86_400_000) % 365, Math.floor(upMs / 3_600_000) % 24, Math.floor(upMs / 60_000) % 60, Math.floor(upMs / 1000) % 60, upMs % 1000];
    const live = this.#channels.size;
    const own: Record<string, string> = {
      'Up-Time': `${up[0]} years, ${up[1]} days, ${up[2]} hours, ${up[3]} minutes, ${up[4]} seconds, ${up[5]} milliseconds, 0 microseconds`,
      'Uptime-msec': String(upMs),
      'Session-Count': String(live),
      'Session-Per-Sec-Last': '0',
      'Session-Per-Sec-FiveMin': '0',
      'Session-Since-Startup': String(this.#sessionsSinceStart),
      'Session-Peak-Max': String(this.#peakChannels),
      'Session-Peak-FiveMin': String(live),
    };
    const headers: Headers = template.map(([k, v]) => [k, core.get(k) ?? own[k] ?? v]);
    for (const s of this.#sessions) if (s.wants('HEARTBEAT', headers)) s.sendEvent(headers);
  }

  #eventHeaders(name: string, ch: SimChannel, extra?: Record<string, string>): Headers {
    return buildEvent(name, ch, ch.other, {
      coreUuid: this.#coreUuid,
      hostname: this.hostname,
      sequence: ++this.#sequence,
      nowUs: this.#clockUs(),
    }, extra);
  }

  /** Sends one channel event to every session subscribed to it; resolves once written. */
  #emitEvent(name: string, ch: SimChannel, extra?: Record<string, string>): Promise<void> {
    return this.#send(name, this.#eventHeaders(name, ch, extra));
  }

  async #send(name: string, headers: Headers): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const s of this.#sessions) {
      if (!s.wants(name, headers)) continue;
      s.sendEvent(headers);
      writes.push(s.drained());
    }
    await Promise.all(writes);
  }

  /** The leg's full headers, as `uuid_dump` shows them (the same as its last event). */
  dump(ch: SimChannel): Array<[string, string]> {
    const other = ch.other;
    const name = ch.state === 'answered' ? (other && ch.role === 'a' ? 'CHANNEL_BRIDGE' : 'CHANNEL_ANSWER') : 'CHANNEL_CREATE';
    const headers = buildEvent(name, ch, other, { coreUuid: this.#coreUuid, hostname: this.hostname, sequence: ++this.#sequence, nowUs: this.#clockUs() });
    return headers.map(([k, v]) => (k === 'Event-Name' ? ['Event-Name', 'CHANNEL_DATA'] : [k, v]));
  }

  #newChannel(ep: SimEndpoint, role: Role, shape: Shape, callUuid: string | undefined, spec: CallSpec): SimChannel {
    const uuid = randomUUID();
    const domain = ep.domain ?? '127.0.0.1';
    const vars = new Map<string, string>();
    const hidden = new Set<string>();
    const a = role === 'a';
    const profile = ep.gateway ? `gateway/${ep.gateway}` : ep.context === 'public' ? 'external' : 'internal';
    const channelName = ep.gateway ? `sofia/gateway/${ep.gateway}/${ep.number}` : `sofia/${profile}/${ep.number}@${domain}`;
    vars.set('direction', a ? 'inbound' : 'outbound');
    vars.set('uuid', uuid);
    vars.set('call_uuid', callUuid ?? uuid);
    vars.set('channel_name', channelName);
    vars.set('sip_call_id', `${randomUUID()}@127.0.0.1`);
    if (a) {
      vars.set('sip_from_user', ep.number);
      vars.set('sip_req_user', spec.to);
      vars.set('sip_to_user', spec.to);
    }
    if (ep.device && a) {
      for (const k of ['user_name', 'sip_auth_username', 'number_alias', 'requested_user_name', 'accountcode']) vars.set(k, ep.device);
      vars.set('domain_name', domain);
      vars.set('requested_domain_name', domain);
      vars.set('sip_auth_realm', domain);
      vars.set('user_context', ep.context ?? 'default');
      vars.set('effective_caller_id_number', ep.number);
      vars.set('effective_caller_id_name', ep.name ?? `Extension ${ep.number}`);
    } else {
      // Only a phone's a-leg carries a directory identity; captured templates must not lend it to others.
      for (const k of IDENTITY_VARS) hidden.add(k);
    }
    if (ep.device && !a) {
      vars.set('dialed_user', ep.device);
      vars.set('dialed_domain', domain);
    }
    if (ep.gateway) vars.set('sip_gateway_name', ep.gateway);
    if (!a && callUuid) {
      vars.set('originator', callUuid);
      vars.set('signal_bond', callUuid);
      vars.set('originating_leg_uuid', callUuid);
    }
    vars.set('fsrecd_sim_entry_context', ep.context ?? 'default');
    for (const [k, v] of Object.entries(ep.vars ?? {})) vars.set(k, v);
    const nowUs = this.#clockUs();
    return {
      uuid,
      callUuid: callUuid ?? uuid,
      role,
      shape,
      direction: a ? 'inbound' : 'outbound',
      channelName,
      callerNumber: a ? ep.number : (spec.from.number),
      callerName: a ? (ep.name ?? ep.number) : (spec.from.name ?? spec.from.number),
      destination: a ? spec.to : ep.number,
      context: ep.context ?? 'default',
      domain,
      vars,
      hiddenVars: hidden,
      createdUs: nowUs,
      answeredUs: 0,
      bridgedUs: 0,
      hangupUs: 0,
      media: spec.media ?? true,
      state: 'ringing',
    };
  }

  /** Places a scripted call: CHANNEL_CREATE of the a-leg (and of the b-leg, as FreeSWITCH originates it). */
  async createCall(spec: CallSpec): Promise<SimCall> {
    this.#sessionsSinceStart++;
    const shape: Shape = spec.bridgeTo ? 'bridged' : spec.from.context === 'public' ? 'carrier' : spec.park ? 'park' : 'single';
    const a = this.#newChannel(spec.from, 'a', shape, undefined, spec);
    this.#channels.set(a.uuid, a);
    this.#peakChannels = Math.max(this.#peakChannels, this.#channels.size + (spec.bridgeTo ? 1 : 0));
    await this.#emitEvent('CHANNEL_CREATE', a);
    if (spec.transferContext) {
      a.context = spec.transferContext;
    }
    let b: SimChannel | undefined;
    if (spec.bridgeTo) {
      b = this.#newChannel(spec.bridgeTo, 'b', shape, a.uuid, spec);
      b.otherUuid = a.uuid;
      b.other = a;
      this.#channels.set(b.uuid, b);
      await this.#emitEvent('CHANNEL_CREATE', b);
    }
    if (spec.park) {
      await this.#answerLeg(a);
      await this.#emitEvent('CHANNEL_PARK', a);
    }
    return this.#handle(a, b);
  }

  #handle(a: SimChannel, b: SimChannel | undefined): SimCall {
    return {
      aUuid: a.uuid,
      bUuid: b?.uuid,
      answer: async () => {
        if (b) await this.#answerLeg(b);
        await this.#answerLeg(a);
        if (b) {
          const now = this.#clockUs();
          a.otherUuid = b.uuid;
          a.other = b;
          a.bridgedUs = now;
          b.bridgedUs = now;
          await this.#emitEvent('CHANNEL_BRIDGE', a, { 'Bridge-A-Unique-ID': a.uuid, 'Bridge-B-Unique-ID': b.uuid });
        }
      },
      dtmf: async (leg, digits) => {
        const ch = leg === 'b' && b ? b : a;
        for (const d of digits) {
          if (!this.#channels.has(ch.uuid)) return;
          await this.#emitEvent('DTMF', ch, { 'DTMF-Digit': d, 'DTMF-Duration': '2000', 'DTMF-Source': 'RTP' });
        }
      },
      hangup: async (side = 'a', cause = 'NORMAL_CLEARING') => {
        const first = side === 'b' && b ? b : a;
        await this.#hangupCall(first, cause);
      },
    };
  }

  async #answerLeg(ch: SimChannel): Promise<void> {
    if (ch.state !== 'ringing') return;
    ch.state = 'answered';
    ch.answeredUs = this.#clockUs();
    await this.#emitEvent('CHANNEL_ANSWER', ch);
  }

  answer(ch: SimChannel): void {
    void this.#answerLeg(ch);
  }

  kill(ch: SimChannel, cause: string): void {
    void this.#hangupCall(ch, cause);
  }

  broadcast(ch: SimChannel, media: string, leg: string): void {
    this.broadcasts.push({ uuid: ch.uuid, media, leg });
    this.emit('broadcast', ch.uuid, media);
  }

  /**
   * Hangup order as captured: HANGUP of the first leg, the other leg's HANGUP + HANGUP_COMPLETE, UNBRIDGE,
   * RECORD_STOP for each recording of the first leg, then its HANGUP_COMPLETE.
   */
  async #hangupCall(first: SimChannel, cause: string): Promise<void> {
    if (first.state === 'hangup' || !this.#channels.has(first.uuid)) return;
    const other = first.other && this.#channels.has(first.other.uuid) ? first.other : undefined;
    const now = this.#clockUs();
    first.state = 'hangup';
    first.hangupUs = now;
    first.hangupCause = cause;
    await this.#emitEvent('CHANNEL_HANGUP', first);
    if (other && other.state !== 'hangup') {
      other.state = 'hangup';
      other.hangupUs = now;
      other.hangupCause = cause;
      await this.#emitEvent('CHANNEL_HANGUP', other);
      await this.#stopAll(other, 'success-silence');
      await this.#emitEvent('CHANNEL_HANGUP_COMPLETE', other);
      this.#channels.delete(other.uuid);
    }
    if (other) await this.#emitEvent('CHANNEL_UNBRIDGE', first);
    await this.#stopAll(first, 'success-silence');
    await this.#emitEvent('CHANNEL_HANGUP_COMPLETE', first);
    this.#channels.delete(first.uuid);
  }

  recordStart(ch: SimChannel, path: string, limitSec: number, vars: Map<string, string>): void {
    prepareRecordingFile(path);
    const stereo = (vars.get('RECORD_STEREO') ?? ch.vars.get('RECORD_STEREO') ?? ch.vars.get('record_stereo') ?? 'true') === 'true';
    const rate = Number(vars.get('record_sample_rate') ?? ch.vars.get('record_sample_rate') ?? 8000) || 8000;
    const minSec = Number(vars.get('RECORD_MIN_SEC') ?? ch.vars.get('RECORD_MIN_SEC') ?? 0) || 0;
    let recs = this.#recordings.get(ch.uuid);
    if (!recs) {
      recs = new Map();
      this.#recordings.set(ch.uuid, recs);
    }
    const rec: ActiveSimRecording = { path, startedUs: this.#clockUs(), limitSec, minSec, format: { sampleRate: rate, channels: stereo ? 2 : 1 }, masks: [] };
    rec.eventFault = this.faults.nextRecordFault();
    recs.set(path, rec);
    ch.vars.set('record_stereo', stereo ? 'true' : 'false');
    const start = this.#eventHeaders('RECORD_START', ch, { 'Record-File-Path': path });
    if (rec.eventFault === 'stop-before-start') rec.heldStart = start;
    else void this.#sendTimes('RECORD_START', start, rec.eventFault);
  }

  /** Active recordings of a channel, oldest first, as `uuid_buglist` lists FreeSWITCH's media bugs. */
  mediaBugs(ch: SimChannel): string[] {
    return this.recordingsOf(ch.uuid);
  }

  /** Sends a RECORD_* event as often as the recording's event fault says (once when there is none). */
  async #sendTimes(name: 'RECORD_START' | 'RECORD_STOP', headers: Headers, fault: RecordEventFault | undefined): Promise<void> {
    const kind = name === 'RECORD_START' ? 'start' : 'stop';
    if (fault === `omit-${kind}`) return;
    await this.#send(name, headers);
    if (fault === `duplicate-${kind}`) await this.#send(name, headers);
  }

  recordStop(ch: SimChannel, path: string): boolean {
    const recs = this.#recordings.get(ch.uuid);
    const targets = path === 'all' ? [...(recs?.keys() ?? [])] : recs?.has(path) ? [path] : [];
    if (targets.length === 0) return false;
    for (const p of targets) void this.#stopOne(ch, p, 'success-maxtime');
    return true;
  }

  recordMask(ch: SimChannel, path: string, mask: boolean): boolean {
    const rec = this.#recordings.get(ch.uuid)?.get(path);
    if (!rec) return false;
    const now = this.#clockUs();
    const open = rec.masks.at(-1);
    if (mask && (!open || open[1] !== undefined)) rec.masks.push([now, undefined]);
    if (!mask && open && open[1] === undefined) open[1] = now;
    return true;
  }

  async #stopAll(ch: SimChannel, cause: string): Promise<void> {
    for (const path of [...(this.#recordings.get(ch.uuid)?.keys() ?? [])]) await this.#stopOne(ch, path, cause);
    this.#recordings.delete(ch.uuid);
  }

  async #stopOne(ch: SimChannel, path: string, cause: string): Promise<void> {
    const recs = this.#recordings.get(ch.uuid);
    const rec = recs?.get(path);
    if (!rec) return;
    recs?.delete(path);
    const done = finishRecording(rec, this.#clockUs(), cause, ch.media);
    // Tests learn each file as FreeSWITCH closed it (size, cause), before any client hears RECORD_STOP.
    this.emit('recordingFinished', done);
    for (const [k, v] of [
      ['record_file_size', String(done.size)],
      ['record_samples', String(done.samples)],
      ['record_seconds', String(Math.floor(done.ms / 1000))],
      ['record_ms', String(done.ms)],
      ['record_completion_cause', done.cause],
    ] as const) ch.vars.set(k, v);
    const extra: Record<string, string> = { 'Record-File-Path': path };
    if (done.discarded) extra.RECORD_DISCARDED = 'true';
    await this.#sendTimes('RECORD_STOP', this.#eventHeaders('RECORD_STOP', ch, extra), rec.eventFault);
    if (rec.heldStart) await this.#send('RECORD_START', rec.heldStart);
  }
}
