/**
 * A FreeSWITCH stand-in: listens on 127.0.0.1, speaks mod_event_socket (inbound), runs scripted calls,
 * and answers the API commands fsrecd sends, writing real WAV files for uuid_record. Used by the demo,
 * the tests and the benchmark. Its switches for fault tests (freeze/thaw, sendRaw, HEARTBEAT, sim.faults:
 * late replies, drops after a command, duplicated/missing/reordered RECORD_* events) are described in
 * src/sim/faults.ts. Call flows beyond a plain call live in their own modules, built from captures 10-13:
 * transfers.ts (uuid_transfer, call.transfer, uuid_bridge, attendedTransfer), originate.ts (originate,
 * sim.originate), queue.ts (sim.queueCall, CUSTOM callcenter::info); recordings.ts models uuid_record,
 * including RECORD_ANSWER_REQ/RECORD_BRIDGE_REQ, and keeps each file's timeline (recordingTimeline).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { CallSpec, Role, Shape, SimChannel, SimEndpoint } from './channel';
import { runApi, type CommandHost } from './commands';
import { CAPTURED_EVENTS } from './captured-events';
import { buildEvent, buildEventFrom, shapeTemplate } from './event-builder';
import { SimFaults } from './faults';
import type { DialplanTarget, FlowHost } from './flow-host';
import { legTemplate, nextEventIndex, placeholdersOf } from './flow-templates';
import { newLeg } from './legs';
import { originateCommand, originateLeg, type OriginateSpec, type SimOriginated } from './originate';
import { queueCall, type QueueCallSpec, type SimQueueCall } from './queue';
import { SimRecordings, type RecordingTimeline } from './recordings';
import { SimSession } from './session';
import { attendedTransfer, blindTransfer, startUuidBridge, uuidBridge, type AttendedTransferSpec, type SimAttendedTransfer } from './transfers';

export type { CallSpec, SimChannel, SimEndpoint } from './channel';
export type { DialplanTarget } from './flow-host';
export type { RecordingTimeline } from './recordings';

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
  /** The PBX user transfers this leg's far party elsewhere (SIP REFER): as `uuid_transfer` of that leg. */
  transfer(side: 'a' | 'b', dest: string, context?: string): Promise<void>;
}

type Headers = Array<[string, string]>;

export class FreeswitchSimulator extends EventEmitter implements CommandHost, FlowHost {
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
  readonly #recordings: SimRecordings;
  /**
   * What the dialplan does with a destination a call is transferred or originated to: a phone to bridge to,
   * 'echo' (answer + echo, the vanilla 7700 of captures 10 and 12) or 'park'. Unlisted destinations: 'echo'.
   */
  readonly dialplan = new Map<string, DialplanTarget>();
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
    this.#recordings = new SimRecordings({
      clockUs: () => this.#clockUs(),
      faults: this.faults,
      eventHeaders: (name, ch, extra) => this.#eventHeaders(name, ch, extra),
      send: (name, headers) => this.#send(name, headers),
      finished: (done) => this.emit('recordingFinished', done),
    });
  }

  clockUs(): number {
    return this.#clockUs();
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
    return this.#recordings.pathsOf(uuid);
  }

  /**
   * When a recording file got audio (kept after it stopped): armed, answered, bridged, first sample. The audio
   * lost at the start of a call is `lostAfterAnswerUs` (firstSampleUs − answeredUs).
   */
  recordingTimeline(path: string): RecordingTimeline | undefined {
    return this.#recordings.timeline(path);
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

  /**
   * One channel event's headers: the leg's flow's captured event of that name and rank when it follows one
   * (src/sim/flow-templates.ts), else its shape's, else capture 10's (events no shape capture has).
   */
  #eventHeaders(name: string, ch: SimChannel, extra?: Record<string, string>, templateName = name): Headers {
    const n = nextEventIndex(ch, templateName);
    const tpl = legTemplate(ch, templateName, n, shapeTemplate(ch, templateName) !== undefined);
    const ctx = { coreUuid: this.#coreUuid, hostname: this.hostname, sequence: ++this.#sequence, nowUs: this.#clockUs() };
    if (!tpl) return buildEvent(name, ch, ch.other, ctx, extra);
    return buildEventFrom(tpl, name, ch, ch.other, { ...ctx, placeholders: placeholdersOf(ch, ch.other) }, extra);
  }

  /** Sends one channel event to every session subscribed to it; resolves once written. */
  #emitEvent(name: string, ch: SimChannel, extra?: Record<string, string>, templateName = name): Promise<void> {
    if (!this.#anyoneMayWant(name)) {
      nextEventIndex(ch, templateName); // the leg's event ranks stay those of the capture
      return Promise.resolve();
    }
    return this.#send(name, this.#eventHeaders(name, ch, extra, templateName));
  }

  /**
   * Sends one channel event (FlowHost: the flows in src/sim/transfers.ts, originate.ts, queue.ts).
   * `templateName` picks the captured event when it is not the event's name (`CUSTOM:member-queue-start`).
   */
  emitChannelEvent(name: string, ch: SimChannel, extra?: Record<string, string>, templateName = name): Promise<void> {
    return this.#emitEvent(name, ch, extra, templateName);
  }

  /** An event without a channel (mod_callcenter's members-count…): headers given, date and sequence ours. */
  sendEvent(name: string, headers: Headers): Promise<void> {
    const core = new Map(this.#coreHeaders(name, '', '', ''));
    const own = new Set(['Core-UUID', 'FreeSWITCH-Hostname', 'FreeSWITCH-Switchname', 'FreeSWITCH-IPv4', 'FreeSWITCH-IPv6', 'Event-Date-Local', 'Event-Date-GMT', 'Event-Date-Timestamp', 'Event-Sequence']);
    return this.#send(name, headers.map(([k, v]) => [k, own.has(k) ? (core.get(k) ?? v) : v]));
  }

  /** Skips building ~6 KB of headers that no connection subscribed to (the daemon takes a few events only). */
  #anyoneMayWant(name: string): boolean {
    for (const s of this.#sessions) if (s.mayWant(name)) return true;
    return false;
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
    return newLeg(ep, role, shape, callUuid, spec, this.#clockUs());
  }

  /** A new leg, not yet announced (FlowHost): a phone's inbound a-leg, or an outbound leg to `ep`. */
  makeLeg(ep: SimEndpoint, role: Role, spec: CallSpec, callUuid?: string): SimChannel {
    const shape: Shape = role === 'b' ? 'bridged' : spec.from.context === 'public' ? 'carrier' : 'single';
    return this.#newChannel(ep, role, shape, callUuid, spec);
  }

  /** Registers a leg and sends its CHANNEL_CREATE (FlowHost). */
  async addLeg(ch: SimChannel): Promise<void> {
    this.#sessionsSinceStart++;
    this.#channels.set(ch.uuid, ch);
    this.#peakChannels = Math.max(this.#peakChannels, this.#channels.size);
    await this.#emitEvent('CHANNEL_CREATE', ch);
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
      // The vanilla dialplan's extension before `bridge` (captures 10 and 11): hash ×3, export, bridge.
      await this.dialplanApps(a, [
        ['hash', `insert/${a.domain}-spymap/${a.callerNumber}/${a.uuid}`],
        ['hash', `insert/${a.domain}-last_dial/${a.callerNumber}/${a.destination}`],
        ['hash', `insert/${a.domain}-last_dial/global/${a.uuid}`],
        ['export', `RFC2822_DATE=${new Date(Math.floor(this.#clockUs() / 1000)).toUTCString().replace('GMT', '+0000')}`],
        ['bridge', `sofia/internal/${spec.bridgeTo.number}@${spec.bridgeTo.domain ?? a.domain}`],
      ]);
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

  /** CHANNEL_EXECUTE for each dialplan application the leg runs (FlowHost). */
  async dialplanApps(ch: SimChannel, apps: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [app, data] of apps) {
      // FreeSWITCH sends Application-Data only when there is some, Application-UUID only for dialplan steps.
      const extra: Record<string, string> = { Application: app, '?Application-UUID': randomUUID(), '?Application-Data': data };
      await this.#emitEvent('CHANNEL_EXECUTE', ch, extra);
    }
  }

  #handle(a: SimChannel, b: SimChannel | undefined): SimCall {
    return {
      aUuid: a.uuid,
      bUuid: b?.uuid,
      answer: async () => {
        if (b) await this.#answerLeg(b);
        await this.#answerLeg(a);
        if (b) await this.bridgeLegs(a, b);
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
      transfer: async (side, dest, context) => {
        const ch = side === 'b' && b ? b : a;
        await this.transfer(ch.uuid, dest, context);
      },
    };
  }

  /**
   * Bridges two answered legs as switch_ivr_multi_threaded_bridge reports it (captures 06, 10): CHANNEL_BRIDGE
   * of the first, then CALL_UPDATE of the second and of the first (sofia_receive_message) (FlowHost).
   */
  async bridgeLegs(x: SimChannel, y: SimChannel, opts: { afterBridge?: () => Promise<void> } = {}): Promise<void> {
    const now = this.#clockUs();
    for (const [me, peer] of [[x, y], [y, x]] as const) {
      me.otherUuid = peer.uuid;
      me.other = peer;
      me.bridgedUs = now;
      me.inBridge = true;
      me.vars.set('bridge_uuid', peer.uuid);
      me.vars.set('last_bridge_to', peer.uuid);
      me.vars.set('signal_bond', peer.uuid);
    }
    this.#recordings.gateChanged(x);
    this.#recordings.gateChanged(y);
    await this.#emitEvent('CHANNEL_BRIDGE', x, { 'Bridge-A-Unique-ID': x.uuid, 'Bridge-B-Unique-ID': y.uuid });
    await opts.afterBridge?.();
    await this.#emitEvent('CALL_UPDATE', y, { 'Bridged-To': x.uuid });
    await this.#emitEvent('CALL_UPDATE', x, { 'Bridged-To': y.uuid });
  }

  /** The leg leaves its bridge (FreeSWITCH's CF_BRIDGED cleared): gated recordings pause (FlowHost). */
  unbridged(ch: SimChannel): void {
    ch.inBridge = false;
    this.#recordings.gateChanged(ch);
  }

  async #answerLeg(ch: SimChannel): Promise<void> {
    if (ch.state !== 'ringing') return;
    ch.state = 'answered';
    ch.answeredUs = this.#clockUs();
    this.#recordings.gateChanged(ch);
    await this.#emitEvent('CHANNEL_ANSWER', ch);
  }

  /** CHANNEL_ANSWER of a ringing leg (FlowHost). */
  answerLeg(ch: SimChannel): Promise<void> {
    return this.#answerLeg(ch);
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

  /** Hangs up a leg and its bridged party, in the captured order (FlowHost). */
  hangupCall(first: SimChannel, cause: string): Promise<void> {
    return this.#hangupCall(first, cause);
  }

  /**
   * Hangup order as captured: HANGUP of the first leg, the other leg's HANGUP (+ its RECORD_STOPs) +
   * HANGUP_COMPLETE + DESTROY, UNBRIDGE, RECORD_STOP for each recording of the first leg, then its
   * HANGUP_COMPLETE and DESTROY (captures 06, 12, 13).
   */
  async #hangupCall(first: SimChannel, cause: string): Promise<void> {
    if (first.state === 'hangup' || !this.#channels.has(first.uuid)) return;
    // The party still tied to this leg (bridged, or the b-leg still ringing for it), not one a transfer took away.
    const o = first.other;
    const other = o && this.#channels.has(o.uuid) && (o.other === undefined || o.other === first) ? o : undefined;
    const now = this.#clockUs();
    this.#markHungUp(first, now, cause);
    await this.#emitEvent('CHANNEL_HANGUP', first);
    if (other && other.state !== 'hangup') {
      this.#markHungUp(other, now, cause);
      await this.#emitEvent('CHANNEL_HANGUP', other);
      await this.#recordings.stopAll(other, 'success-silence');
      await this.#emitEvent('CHANNEL_HANGUP_COMPLETE', other);
      await this.destroyLeg(other);
    }
    if (other) await this.#emitEvent('CHANNEL_UNBRIDGE', first);
    await this.#recordings.stopAll(first, 'success-silence');
    await this.#emitEvent('CHANNEL_HANGUP_COMPLETE', first);
    await this.destroyLeg(first);
  }

  #markHungUp(ch: SimChannel, now: number, cause: string): void {
    ch.state = 'hangup';
    ch.hangupUs = now;
    ch.hangupCause = cause;
    ch.inBridge = false;
    this.#recordings.gateChanged(ch);
  }

  /**
   * One leg alone hangs up (FlowHost: the far party of a transfer): CHANNEL_HANGUP, its RECORD_STOPs,
   * CHANNEL_HANGUP_COMPLETE; CHANNEL_DESTROY is the caller's to send (it comes later in capture 10).
   */
  async hangupLegAlone(ch: SimChannel, cause: string): Promise<void> {
    if (ch.state === 'hangup') return;
    this.#markHungUp(ch, this.#clockUs(), cause);
    await this.#emitEvent('CHANNEL_HANGUP', ch);
    await this.#recordings.stopAll(ch, 'success-silence');
    await this.#emitEvent('CHANNEL_HANGUP_COMPLETE', ch);
  }

  /** CHANNEL_DESTROY; the leg is gone (FlowHost). */
  async destroyLeg(ch: SimChannel): Promise<void> {
    if (!this.#channels.has(ch.uuid)) return;
    this.#channels.delete(ch.uuid);
    await this.#emitEvent('CHANNEL_DESTROY', ch);
  }

  /** Moves a leg's recordings to another leg, as switch_ivr_transfer_recordings does (FlowHost). */
  moveRecordings(from: SimChannel, to: SimChannel): void {
    this.#recordings.move(from, to);
  }

  /** Stops every recording of a leg now (FlowHost), as its media bugs close. */
  stopRecordings(ch: SimChannel, cause: string): Promise<void> {
    return this.#recordings.stopAll(ch, cause);
  }

  recordStart(ch: SimChannel, path: string, limitSec: number, vars: Map<string, string>): void {
    this.#recordings.start(ch, path, limitSec, vars);
  }

  /** Active recordings of a channel, oldest first, as `uuid_buglist` lists FreeSWITCH's media bugs. */
  mediaBugs(ch: SimChannel): string[] {
    return this.recordingsOf(ch.uuid);
  }

  recordStop(ch: SimChannel, path: string): boolean {
    return this.#recordings.stop(ch, path);
  }

  recordMask(ch: SimChannel, path: string, mask: boolean): boolean {
    return this.#recordings.mask(ch, path, mask);
  }

  // --- call flows beyond a plain call (each in its own module) ---

  /** `uuid_transfer <uuid> [-bleg|-both] <dest> [XML] [<context>]`, or a transfer the PBX user makes (REFER). */
  transfer(uuid: string, dest: string, context?: string, opts: { leg?: 'bleg' | 'both' } = {}): Promise<void> {
    return blindTransfer(this, uuid, dest, context, opts.leg);
  }

  /** `uuid_bridge` as the api runs it: the reply at once, the bridge right after. */
  startUuidBridge(aUuid: string, bUuid: string): string {
    const { reply, done } = startUuidBridge(this, aUuid, bUuid);
    void done.catch(() => undefined);
    return reply;
  }

  /** `uuid_bridge <uuid_a> <uuid_b>`: resolves to the api reply (`+OK <uuid_b>` or `-ERR Invalid uuid`). */
  uuidBridge(aUuid: string, bUuid: string): Promise<string> {
    return uuidBridge(this, aUuid, bUuid);
  }

  /** Capture 11: a third party originated and parked, then bridged to the recorded call's far leg. */
  attendedTransfer(spec: AttendedTransferSpec): Promise<SimAttendedTransfer> {
    return attendedTransfer(this, spec);
  }

  /** Capture 12: one outbound leg, answered before any dialplan runs. */
  originate(spec: OriginateSpec): Promise<SimOriginated> {
    return originateLeg(this, spec);
  }

  /** `originate <url> <exten> [XML] [<context>]` as an api command: the reply once the leg is answered. */
  originateApi(args: string): Promise<string> {
    return originateCommand(this, args);
  }

  /** Capture 13: a mod_callcenter queue call from the member's answer to the agent's bridge. */
  queueCall(spec: QueueCallSpec): Promise<SimQueueCall> {
    return queueCall(this, spec);
  }
}
