/**
 * Starts and stops FreeSWITCH recordings: asks the policy at answer/bridge, names the file, sends
 * `uuid_record`, and follows RECORD_START/RECORD_STOP to hand each finished file to the sink (the spool).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Bus } from '../bus';
import type { Call, Leg } from '../calls/types';
import type { FsrecdConfig, RecordingOptions } from '../config/types';
import { outcomeUnknown } from './command-outcome';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Decision, RecordingPlan } from '../policy/types';
import { ActiveRecordings, type ActiveRecording } from './active-recordings';
import type { NamePath, NamedPath } from '../naming/naming-port';
import { recordMaskCommand, recordStartCommand, recordStopCommand } from './record-command';
import type { RecordStart, RecordStopInfo } from '../calls/record-stop';
import { mediaBugTargets } from './media-bugs';
import { Conversations, partyOf, type CarriedConversation } from './conversations';
import type { Party, RecordingMeta, RecordingSink, SegmentStart } from '../model/recording';

export interface RecorderDeps {
  bus: Bus;
  api: (command: string) => Promise<string>;
  config: () => FsrecdConfig;
  decide: (call: Call) => Decision;
  namePath: NamePath;
  sink: RecordingSink;
  /** Whether a file exists (an unanswered uuid_record is settled by what FreeSWITCH left on disk). */
  fileExists?: (path: string) => Promise<boolean>;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

export interface OnDemandRequest {
  call: Call;
  /** The leg whose party pressed the code. */
  pressedBy: Leg;
  /** That party's user (device owner, fsrecd_user, else the device): the recording is filed under it. */
  user?: string;
}

const RECENT_PATHS_MAX = 20_000;

function aLegOf(call: Call): Leg | undefined {
  return call.legs.get(call.uuid) ?? [...call.legs.values()].find((l) => l.direction === 'inbound') ?? call.legs.values().next().value;
}

function extensionFor(options: RecordingOptions, override?: string): string {
  return (override && /^[a-z0-9]{1,8}$/i.test(override) ? override : options.format) || 'wav';
}

export class Recorder {
  readonly #active = new ActiveRecordings();
  /** Plans already started per call (call uuid -> recorded leg uuids): one recording per call per leg. */
  readonly #started = new Map<string, Set<string>>();
  readonly #onDemandOps = new Map<string, Promise<unknown>>();
  /** Paths handed out recently, oldest first (a Set keeps insertion order). */
  readonly #recentPaths = new Set<string>();
  readonly #dirs = new Set<string>();
  readonly #conversations = new Conversations();
  /** Stops taking new work on shutdown; live FreeSWITCH recordings continue. */
  #accepting = true;
  readonly #now: () => number;

  constructor(private readonly deps: RecorderDeps) {
    this.#now = deps.now ?? Date.now;
    const { bus } = deps;
    bus.on('legCreated', (leg, call) => this.#arm(call, leg));
    bus.on('legAnswered', (leg, call) => this.#consider(call, 'answer', leg));
    bus.on('callBridged', (call, a, b) => this.#consider(call, 'bridge', undefined, [a, b]));
    bus.on('legGone', (leg) => this.#conversations.forget(leg.uuid));
    bus.on('recordStart', (ev) => this.#onRecordStart(ev));
    bus.on('recordStop', (ev) => this.#onRecordStop(ev));
    bus.on('callEnded', (call) => this.#onCallEnded(call));
    bus.on('resynced', (calls) => this.#onResynced(calls));
  }

  get activeCount(): number {
    return this.#active.size;
  }

  active(): ActiveRecording[] {
    return this.#active.all();
  }

  /** This recorder follows the file at `path` (its RECORD_STOP, or the call's end, will settle it). */
  follows(path: string): boolean {
    return this.#active.hasPath(path);
  }

  stopAccepting(): void {
    this.#accepting = false;
  }

  /**
   * *3: starts an on-demand recording of the call, or stops the one running. Presses on one call are
   * handled one after the other: a quick second *3 must see the recording the first one started.
   */
  toggleOnDemand(req: OnDemandRequest): Promise<'started' | 'stopped' | 'ignored'> {
    const prior = this.#onDemandOps.get(req.call.uuid) ?? Promise.resolve();
    const next = prior.then(() => this.#toggleOnDemand(req));
    const settled = next.catch(() => undefined).finally(() => {
      if (this.#onDemandOps.get(req.call.uuid) === settled) this.#onDemandOps.delete(req.call.uuid);
    });
    this.#onDemandOps.set(req.call.uuid, settled);
    return next;
  }

  async #toggleOnDemand(req: OnDemandRequest): Promise<'started' | 'stopped' | 'ignored'> {
    const running = this.#active.ofCall(req.call.uuid).find((r) => r.meta.onDemand && r.state !== 'stopping');
    if (running) {
      await this.#stop(running, `*3 by ${req.pressedBy.device ?? req.pressedBy.callerNumber}`);
      return 'stopped';
    }
    const leg = aLegOf(req.call);
    if (!this.#accepting || !leg || !leg.answered) return 'ignored';
    const cfg = this.deps.config();
    const options = cfg.recording;
    const seq = this.#active.nextOnDemandSeq(req.call.uuid);
    const who = req.pressedBy.device ?? req.pressedBy.callerNumber;
    const named = this.deps.namePath({
      call: req.call,
      leg,
      kind: 'on-demand',
      seq,
      name: leg.recordName ?? req.pressedBy.recordName,
      extension: extensionFor(options, leg.recordFormat ?? req.pressedBy.recordFormat),
      now: new Date(this.#now()),
    });
    const started = await this.#start(req.call, leg, named, { ...options, stereo: true, minSeconds: 0 }, {
      onDemand: true,
      reasons: [`*3 on-demand by ${who}`],
      user: req.user,
      device: req.pressedBy.device,
      startedBy: 'on-demand',
    });
    return started ? 'started' : 'ignored';
  }

  /** Pause/resume for card numbers: masks (or unmasks) every recording of the call. */
  async setMasked(call: Call, masked: boolean): Promise<number> {
    let n = 0;
    for (const rec of this.#active.ofCall(call.uuid)) {
      if (rec.state !== 'recording' || rec.masked === masked) continue;
      try {
        await this.deps.api(recordMaskCommand(rec.meta.legUuid, rec.meta.path, masked));
        rec.masked = masked;
        n++;
      } catch (err) {
        this.deps.log.error('uuid_record mask/unmask failed', { recording: rec.meta.id, error: String(err) });
      }
    }
    return n;
  }

  /**
   * Arms a recording when the leg is created, where the decision needs nothing the answer brings (account
   * rules, the caller's own endpoint and *26 choice): FreeSWITCH then writes from the instant of answer
   * (RECORD_ANSWER_REQ / RECORD_BRIDGE_REQ). An account only known later (a carrier call still in its
   * entry context) waits for the answer, where the full decision is made.
   */
  #arm(call: Call, leg: Leg): void {
    if (leg.uuid !== call.uuid || !this.deps.config().accounts.has(leg.domain)) return;
    this.#consider(call, 'create', leg);
  }

  #consider(call: Call, trigger: 'create' | 'answer' | 'bridge', answeredLeg?: Leg, bridged: ReadonlyArray<Leg | undefined> = []): void {
    if (!this.#accepting) return;
    const cfg = this.deps.config();
    const aLeg = aLegOf(call);
    if (!aLeg || this.#isFeatureCall(aLeg, cfg)) return;
    // A b-leg answering before the a-leg: wait for the leg that will be recorded.
    if (trigger === 'answer' && answeredLeg && answeredLeg.uuid !== aLeg.uuid && !aLeg.answered) return;
    let decision: Decision;
    try {
      decision = this.deps.decide(call);
    } catch (err) {
      this.deps.log.error('recording decision failed', { call: call.uuid, error: String(err) });
      return;
    }
    // A transfer: a channel that carried a recorded conversation is bridged to someone new.
    // Both sides may carry one (the transferor's two recorded calls): one recording holds the bridge, so the
    // first carrier's conversation goes on and the other's is named in its reasons.
    const carriers = bridged.flatMap((leg) => {
      const carried = leg && this.#conversations.take(leg.uuid);
      return leg && carried ? [{ leg, carried }] : [];
    });
    const [first, ...others] = carriers;
    if (first) {
      const merged = others.map((o) => `joins conversation ${o.carried.conversationId}`);
      this.#continueConversation(call, first.leg, bridged, first.carried, decision, merged);
    }
    // A recording that began before the call reached a queue (armed, or at answer) learns it at the bridge;
    // the journal's next write of the entry carries it.
    for (const rec of this.#active.ofCall(call.uuid)) {
      if (decision.queue) rec.meta.queue ??= decision.queue;
      if (decision.agent) rec.meta.agent ??= decision.agent;
      // An armed recording began before there was a callee: the bridge (or its answer) names one.
      const other = rec.leg.otherLegUuid ? call.legs.get(rec.leg.otherLegUuid) : undefined;
      if (other && rec.meta.parties && !rec.meta.parties.some((p) => p.role === 'callee')) rec.meta.parties.push(partyOf(other, 'callee'));
    }
    const started = this.#started.get(call.uuid);
    // At creation only a-leg plans are armed; at answer those that start on answer; at bridge all of them.
    const pending = decision.plans.filter(
      (p) => !started?.has(p.legUuid) && (trigger === 'bridge' || p.options.startOn === 'answer' || trigger === 'create') && (trigger !== 'create' || p.legUuid === aLeg.uuid),
    );
    this.deps.log.info('decision', {
      call: call.uuid,
      trigger,
      record: decision.record,
      direction: decision.direction,
      network: decision.network,
      domain: decision.domain,
      reasons: decision.plans.flatMap((p) => p.reasons.map((r) => r.text)),
      considered: decision.considered.map((r) => r.text),
      notes: decision.notes,
      starting: pending.length,
    });
    this.deps.bus.emit('decided', call, decision, trigger);
    for (const plan of pending) void this.#startPlan(call, decision, plan, trigger === 'create' ? 'armed' : trigger);
  }

  /** The next segment of a conversation, on the channel that carries it, from the instant of the bridge. */
  #continueConversation(call: Call, carrier: Leg, bridged: ReadonlyArray<Leg | undefined>, carried: CarriedConversation, decision: Decision, joined: string[] = []): void {
    const started = this.#startedSet(call.uuid);
    const partner = bridged.find((l) => l && l.uuid !== carrier.uuid);
    // FreeSWITCH's transfer history on the channels says how the call moved (bl_xfer, uuid_br).
    const kind = carrier.lastTransfer ?? partner?.lastTransfer ?? carried.kind;
    // The carrier's recording holds both sides of its bridge: no second recording of this conversation.
    for (const l of bridged) if (l && !carried.options.perEndpointFiles) started.add(l.uuid);
    started.add(carrier.uuid);
    if (!carried.follow) {
      this.deps.log.info('transfer: recording.follow_transfer is false; the conversation is not recorded further', { conversation: carried.conversationId, leg: carrier.uuid });
      return;
    }
    // The new party's channel is already recorded (its own call was, a rule armed it): that recording
    // holds this bridge too. One recording of a conversation, never two; it names the one it continues.
    const already = this.#active.all().find((r) => r.state !== 'stopping' && bridged.some((l) => l?.uuid === r.meta.legUuid) && !r.meta.onDemand);
    if (already) {
      const m = already.meta;
      already.meta.reasons.push(`continues conversation ${carried.conversationId} after ${kind} transfer`);
      // A recording that has held no conversation yet (a parked or originated channel, alone until now) is
      // this conversation's next segment; one that has is left in its own conversation, naming this one.
      if (!m.transferFrom && (m.segment ?? 1) === 1 && !m.parties?.some((p) => p.role === 'callee')) {
        m.conversationId = carried.conversationId;
        m.segment = carried.segment + 1;
        m.startedBy = 'transfer';
        m.transferFrom = { recordingId: carried.recordingId, kind };
        const recorded = bridged.find((l) => l?.uuid === m.legUuid);
        const other = bridged.find((l) => l && l.uuid !== m.legUuid);
        m.parties = [...(recorded ? [partyOf(recorded, 'caller')] : []), ...(other ? [partyOf(other, 'callee')] : [])];
      }
      this.deps.log.info('transfer: the conversation goes on in a recording already running on the new party', { conversation: carried.conversationId, recording: m.id });
      return;
    }
    const ruleReasons = decision.plans.flatMap((p) => p.reasons.map((r) => r.text));
    const named = this.deps.namePath({ call, leg: carrier, kind: 'call', decision, extension: extensionFor(carried.options), now: new Date(this.#now()) });
    this.deps.log.info('transfer: recording the conversation on', { conversation: carried.conversationId, segment: carried.segment + 1, leg: carrier.uuid, with: partner?.uuid });
    void this.#start(call, carrier, named, carried.options, {
      onDemand: false,
      reasons: [`continues conversation ${carried.conversationId} after ${kind} transfer`, ...joined, ...ruleReasons],
      user: carried.user,
      device: carried.device,
      decision,
      startedBy: 'transfer',
      conversationId: carried.conversationId,
      segment: carried.segment + 1,
      transferFrom: { recordingId: carried.recordingId, kind },
      parties: [partyOf(carrier, 'caller'), ...(partner ? [partyOf(partner, 'callee')] : [])],
    });
  }

  #startedSet(callUuid: string): Set<string> {
    let started = this.#started.get(callUuid);
    if (!started) {
      started = new Set();
      this.#started.set(callUuid, started);
    }
    return started;
  }

  #isFeatureCall(aLeg: Leg, cfg: FsrecdConfig): boolean {
    return cfg.features.toggle.enabled && aLeg.destinationNumber === cfg.features.toggle.code;
  }

  async #startPlan(call: Call, decision: Decision, plan: RecordingPlan, startedBy: SegmentStart): Promise<void> {
    const leg = call.legs.get(plan.legUuid);
    if (!leg || (!leg.answered && startedBy !== 'armed')) return;
    const started = this.#startedSet(call.uuid);
    if (started.has(plan.legUuid)) return;
    started.add(plan.legUuid);
    if (leg.recordingPath) {
      // A previous fsrecd process started this recording; the spool's journal already owns that file.
      this.deps.log.info('call already recorded by an earlier fsrecd run', { call: call.uuid, path: leg.recordingPath });
      return;
    }
    const named = this.deps.namePath({
      call,
      leg,
      kind: 'call',
      decision,
      plan,
      extension: extensionFor(plan.options),
      now: new Date(this.#now()),
    });
    const bLeg = [...call.legs.values()].find((l) => l.uuid !== leg.uuid && (l.uuid === leg.otherLegUuid || l.direction === 'outbound'));
    await this.#start(call, leg, named, plan.options, {
      onDemand: false,
      reasons: plan.reasons.map((r) => r.text),
      user: plan.user,
      device: plan.device,
      decision,
      startedBy,
      parties: [partyOf(leg, 'caller'), ...(bLeg ? [partyOf(bLeg, 'callee')] : [])],
    });
  }

  async #start(
    call: Call,
    leg: Leg,
    named: NamedPath,
    options: RecordingOptions,
    about: {
      onDemand: boolean;
      reasons: string[];
      user?: string;
      device?: string;
      decision?: Decision;
      startedBy: SegmentStart;
      conversationId?: string;
      segment?: number;
      transferFrom?: RecordingMeta['transferFrom'];
      parties?: Party[];
    },
  ): Promise<boolean> {
    const { log, metrics, sink, api } = this.deps;
    if (named.error) {
      log.error('recording filename template failed; recording under the fallback name', {
        call: call.uuid,
        error: named.error,
        path: named.absolutePath,
      });
      metrics.inc('fsrecd_naming_fallbacks_total', 'Recordings named by the fallback because the template failed');
    }
    const suffix = this.#uniqueSuffix(named.absolutePath);
    const path = withSuffix(named.absolutePath, suffix);
    const relativePath = withSuffix(named.relativePath, suffix);
    const aLeg = aLegOf(call) ?? leg;
    const cfg = this.deps.config();
    const account = cfg.accounts.get(aLeg.domain);
    const meta: RecordingMeta = {
      id: `${call.uuid}-${this.#now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      callUuid: call.uuid,
      legUuid: leg.uuid,
      path,
      relativePath,
      format: path.slice(path.lastIndexOf('.') + 1),
      srcnum: aLeg.callerNumber,
      dstnum: aLeg.destinationNumber,
      callerName: aLeg.callerName,
      direction: about.decision?.direction ?? 'inbound',
      network: about.decision?.network ?? 'internal',
      user: about.user,
      device: about.device,
      domain: about.decision?.domain ?? aLeg.domain,
      tenantUuid: about.decision?.tenantUuid ?? account?.tenantUuid ?? aLeg.domain,
      node: leg.node,
      reasons: about.reasons,
      onDemand: about.onDemand,
      startedAt: new Date(this.#now()).toISOString(),
      ...(about.decision?.queue ? { queue: about.decision.queue } : {}),
      ...(about.decision?.agent ? { agent: about.decision.agent } : {}),
      conversationId: about.conversationId ?? call.uuid,
      segment: about.segment ?? 1,
      startedBy: about.startedBy,
      ...(about.parties ? { parties: about.parties } : {}),
      ...(about.transferFrom ? { transferFrom: about.transferFrom } : {}),
    };
    const armed = about.startedBy === 'armed';
    const rec: ActiveRecording = { meta, state: 'starting', masked: false, options, armed, leg };
    // Registered before the command: FreeSWITCH may send RECORD_START before the api reply.
    this.#active.add(rec);
    this.#ensureDir(dirname(path));
    // Journaled in parallel with the command, not before it: every millisecond here is audio not recorded,
    // and a crash in between loses nothing (the spool scan adopts a file no journal names).
    const journaled = sink.started(meta).catch((err: unknown) => {
      log.error('could not journal a recording start; recording anyway (the spool scan will adopt the file)', {
        recording: meta.id,
        error: String(err),
      });
    });
    try {
      await api(recordStartCommand(leg.uuid, path, options, armed));
      await journaled;
      if (rec.state === 'starting') rec.state = 'recording';
      if (rec.callEnded && this.#active.hasPath(path)) {
        this.#active.remove(rec);
        await sink.finished(meta, { endedAt: new Date(this.#now()).toISOString(), durationMs: 0, completionCause: 'call-ended-during-start' });
        return true;
      }
      metrics.inc('fsrecd_recordings_started_total', 'Recordings started', { kind: about.onDemand ? 'on-demand' : 'rule' });
      log.info('recording started', { recording: meta.id, call: call.uuid, leg: leg.uuid, path, reasons: meta.reasons });
      await this.#markChannel(leg.uuid, path);
      if (options.announcement) await this.#announce(leg.uuid, options.announcement);
      return true;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await journaled;
      if (outcomeUnknown(err)) {
        // The command may have reached FreeSWITCH, which then records on: RECORD_START/STOP, the call's end
        // or the next resync settle it. Journaled as still recording, never as failed.
        if (rec.state === 'starting') rec.state = 'unknown';
        metrics.inc('fsrecd_record_start_unanswered_total', 'uuid_record commands whose reply was late or lost (settled from events)');
        log.warn('uuid_record reply late or lost; following the recording until FreeSWITCH says what became of it', { recording: meta.id, call: call.uuid, path, error: reason });
        await sink.note?.(meta.id, `uuid_record reply not received: ${reason}`);
        if (rec.callEnded) await this.#settleUnknown(rec, 'call-ended-during-start');
        return true;
      }
      this.#active.remove(rec);
      metrics.inc('fsrecd_recordings_failed_total', 'Recordings FreeSWITCH refused to start', { reason: failureKind(reason) });
      log.error('uuid_record start failed', { recording: meta.id, call: call.uuid, leg: leg.uuid, path, error: reason });
      await sink.failed(meta, reason).catch((e: unknown) => log.error('could not journal a failed recording', { error: String(e) }));
      return false;
    }
  }

  /**
   * Two recordings never share a name: not two live ones, not one whose file is still in the spool, and
   * not one of the last RECENT_PATHS_MAX (a template with one-second resolution repeats for a quick *3
   * restart or two calls between the same numbers). A later one gets -2, -3… before the extension.
   */
  #uniqueSuffix(path: string): string {
    const taken = (p: string): boolean => this.#active.hasPath(p) || this.#recentPaths.has(p) || existsSync(p);
    let suffix = '';
    for (let n = 2; taken(withSuffix(path, suffix)); n++) suffix = `-${n}`;
    this.#remember(withSuffix(path, suffix));
    return suffix;
  }

  /** Bounded: past RECENT_PATHS_MAX the older half goes (Map iterates oldest first). */
  #remember(path: string): void {
    this.#recentPaths.add(path);
    if (this.#recentPaths.size <= RECENT_PATHS_MAX) return;
    for (const p of this.#recentPaths) {
      if (this.#recentPaths.size <= RECENT_PATHS_MAX / 2) break;
      this.#recentPaths.delete(p);
    }
  }

  /**
   * Creates the recording's directory once (then remembers it). Synchronous on purpose: an async mkdir
   * queues behind the spool's fsyncs in libuv's thread pool and delays uuid_record by milliseconds.
   */
  #ensureDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
      if (this.#dirs.size > 10_000) this.#dirs.clear();
      this.#dirs.add(dir);
    } catch (err) {
      // FreeSWITCH creates missing directories itself (as its own user); ours is a courtesy.
      this.deps.log.debug('could not create the recording directory; FreeSWITCH will', { dir, error: String(err) });
    }
  }

  async #markChannel(legUuid: string, path: string): Promise<void> {
    try {
      await this.deps.api(`uuid_setvar ${legUuid} fsrecd_recording ${path}`);
    } catch (err) {
      this.deps.log.debug('could not mark the channel as recorded', { leg: legUuid, error: String(err) });
    }
  }

  async #announce(legUuid: string, announcement: string): Promise<void> {
    await this.play(legUuid, announcement, 'both');
  }

  /** Plays a prompt or tone (uuid_broadcast); failures are logged, never thrown: a tone is not worth a call. */
  async play(legUuid: string, media: string, to: 'aleg' | 'both' = 'aleg'): Promise<void> {
    if (/\s/.test(media)) {
      this.deps.log.warn('media path contains blanks; not played', { media });
      return;
    }
    try {
      await this.deps.api(`uuid_broadcast ${legUuid} ${media} ${to}`);
    } catch (err) {
      this.deps.log.warn('uuid_broadcast failed', { leg: legUuid, error: String(err) });
    }
  }

  async #stop(rec: ActiveRecording, why: string): Promise<void> {
    rec.state = 'stopping';
    try {
      await this.deps.api(recordStopCommand(rec.meta.legUuid, rec.meta.path));
      this.deps.log.info('recording stop requested', { recording: rec.meta.id, why });
    } catch (err) {
      // -ERR Cannot stop record session!: it already ended; RECORD_STOP (or the hangup) closes it.
      this.deps.log.warn('uuid_record stop failed', { recording: rec.meta.id, error: String(err) });
    }
  }

  #onRecordStart(start: RecordStart): void {
    const rec = this.#active.byPath(start.path);
    if (rec && (rec.state === 'starting' || rec.state === 'unknown')) rec.state = 'recording';
  }

  /** An armed recording of a call nobody answered: nothing was recorded, nothing is lost. */
  async #discardUnanswered(rec: ActiveRecording): Promise<void> {
    this.deps.metrics.inc('fsrecd_recordings_discarded_total', 'Recordings FreeSWITCH discarded', { cause: 'unanswered' });
    this.deps.log.info('armed recording of an unanswered call: nothing to store', { recording: rec.meta.id });
    await this.deps.sink.discarded(rec.meta, { endedAt: new Date(this.#now()).toISOString(), durationMs: 0, completionCause: 'unanswered' });
  }

  /**
   * A recording whose uuid_record reply never came, once its channel is gone (or FreeSWITCH has no media
   * bug for it): a file on disk is a recording to store; no file means FreeSWITCH never started it.
   */
  async #settleUnknown(rec: ActiveRecording, cause: string): Promise<void> {
    this.#active.remove(rec);
    const { sink, log } = this.deps;
    const exists = await (this.deps.fileExists ?? defaultFileExists)(rec.meta.path);
    if (exists) {
      log.info('unanswered uuid_record did record; storing the file', { recording: rec.meta.id, path: rec.meta.path });
      await sink.finished(rec.meta, { endedAt: new Date(this.#now()).toISOString(), durationMs: this.#now() - Date.parse(rec.meta.startedAt), completionCause: cause });
    } else {
      log.warn('unanswered uuid_record left no file: FreeSWITCH did not record', { recording: rec.meta.id, path: rec.meta.path });
      await sink.failed(rec.meta, `uuid_record reply lost and no file was written (${cause})`);
    }
  }

  async #onRecordStop(info: RecordStopInfo): Promise<void> {
    const rec = this.#active.byPath(info.path);
    if (!rec) return; // Not ours (dialplan recordings are adopted by the spool's scan).
    this.#active.remove(rec);
    const { sink, log, metrics } = this.deps;
    if (info.legHungUp && info.otherLegUuid && !rec.meta.onDemand) {
      // The recorded channel left a bridge; if its far party is bridged on, the conversation goes on there.
      this.#conversations.handOver(info.otherLegUuid, {
        conversationId: rec.meta.conversationId ?? rec.meta.callUuid,
        segment: rec.meta.segment ?? 1,
        recordingId: rec.meta.id,
        options: rec.options,
        follow: rec.options.followTransfer,
        kind: 'attended',
        user: rec.meta.user,
        device: rec.meta.device,
        reasons: rec.meta.reasons,
      });
    }
    if (rec.armed && !rec.leg.answered && !(await (this.deps.fileExists ?? defaultFileExists)(rec.meta.path))) {
      await this.#discardUnanswered(rec);
      return;
    }
    if (info.discarded) {
      metrics.inc('fsrecd_recordings_discarded_total', 'Recordings FreeSWITCH discarded', { cause: info.result.completionCause });
      log.info('recording discarded by FreeSWITCH', { recording: rec.meta.id, cause: info.result.completionCause });
      await sink.discarded(rec.meta, info.result).catch((e: unknown) => log.error('journal write failed', { error: String(e) }));
      return;
    }
    metrics.inc('fsrecd_recordings_finished_total', 'Recordings finished');
    log.info('recording finished', {
      recording: rec.meta.id,
      path: rec.meta.path,
      durationMs: info.result.durationMs,
      cause: info.result.completionCause,
    });
    await sink.finished(rec.meta, info.result).catch((e: unknown) => log.error('journal write failed', { error: String(e) }));
  }

  /** A call ended without a RECORD_STOP for some recording (missed while disconnected): close it anyway. */
  async #onCallEnded(call: Call): Promise<void> {
    this.#started.delete(call.uuid);
    this.#active.forgetCall(call.uuid);
    for (const rec of this.#active.ofCall(call.uuid)) {
      if (rec.armed && !rec.leg.answered && !(await (this.deps.fileExists ?? defaultFileExists)(rec.meta.path))) {
        this.#active.remove(rec);
        await this.#discardUnanswered(rec);
        continue;
      }
      if (rec.state === 'unknown') {
        await this.#settleUnknown(rec, 'call-ended-without-record-stop');
        continue;
      }
      if (rec.state === 'starting') {
        // uuid_record is in flight: its reply decides (a -ERR journals it as failed, a +OK finishes it).
        rec.callEnded = true;
        continue;
      }
      this.#active.remove(rec);
      const result = {
        endedAt: new Date(this.#now()).toISOString(),
        durationMs: this.#now() - Date.parse(rec.meta.startedAt),
        completionCause: 'call-ended-without-record-stop',
      };
      this.deps.log.warn('call ended without RECORD_STOP; handing the file to the spool as finished', { recording: rec.meta.id });
      await this.deps.sink.finished(rec.meta, result).catch((e: unknown) => this.deps.log.error('journal write failed', { error: String(e) }));
    }
  }

  /** After a reconnect: calls that were answered while we were away get their decision now. */
  async #onResynced(calls: readonly Call[]): Promise<void> {
    await this.#settleUnknownAfterResync();
    for (const call of calls) {
      const aLeg = aLegOf(call);
      if (!aLeg?.answered) continue;
      this.#consider(call, aLeg.bridged ? 'bridge' : 'answer');
      if (aLeg.bridged) this.#consider(call, 'answer');
    }
  }

  /** Unanswered starts on channels still up: FreeSWITCH's media bugs say whether it records. */
  async #settleUnknownAfterResync(): Promise<void> {
    for (const rec of this.#active.all()) {
      if (rec.state !== 'unknown') continue;
      try {
        const targets = mediaBugTargets(await this.deps.api(`uuid_buglist ${rec.meta.legUuid}`));
        if (targets.has(rec.meta.path)) {
          rec.state = 'recording';
          this.deps.log.info('unanswered uuid_record is recording after all', { recording: rec.meta.id });
        } else await this.#settleUnknown(rec, 'not-recording-after-resync');
      } catch (err) {
        // -ERR: the channel is gone (its end settles the recording); a timeout: the next resync asks again.
        this.deps.log.debug('uuid_buglist failed during resync', { recording: rec.meta.id, error: String(err) });
      }
    }
  }
}

const defaultFileExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

function withSuffix(path: string, suffix: string): string {
  if (!suffix) return path;
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}${suffix}${path.slice(dot)}` : `${path}${suffix}`;
}

function failureKind(message: string): string {
  if (/Cannot locate session/i.test(message)) return 'no-session';
  if (/timeout|no reply/i.test(message)) return 'timeout';
  if (/not connected/i.test(message)) return 'disconnected';
  if (/refusing to send/i.test(message)) return 'unsafe-path';
  return 'other';
}
