/**
 * When the recorder asks the policy (src/policy/decide.ts says why a call is recorded; this file says when):
 * at a channel's creation, to arm a recording the answer cannot change; at answer; at every bridge, where a
 * transfer may bring parties whose rules record. It logs one `decision` line per question and starts the
 * plans not started yet.
 */
import { aLegOf } from '../calls/a-leg';
import type { Call, Leg } from '../calls/types';
import type { RecordingOptions } from '../config/types';
import { sanitizeExtension } from '../naming/sanitize';
import type { SegmentStart } from '../model/recording';
import { isToggleCall } from '../policy/toggle-call';
import type { Decision, RecordingPlan } from '../policy/types';
import type { RecorderContext } from './context';
import { partyOf } from './parties';
import type { RecordingStarter } from './starter';

export type DecisionTrigger = 'create' | 'answer' | 'bridge';

/** The file extension: a per-call override where the dialplan set a valid one, else the configured format. */
export function extensionFor(options: RecordingOptions, override?: string): string {
  return sanitizeExtension(override, sanitizeExtension(options.format, 'wav'));
}

export class DecisionPoint {
  constructor(
    private readonly ctx: RecorderContext,
    private readonly starter: RecordingStarter,
  ) {}

  /**
   * Arms a recording when the leg is created, where the decision needs nothing the answer brings (account
   * rules, the caller's own endpoint and *26 choice): FreeSWITCH then writes from the instant of answer
   * (RECORD_ANSWER_REQ / RECORD_BRIDGE_REQ). An account only known later (a carrier call still in its
   * entry context) waits for the answer, where the full decision is made.
   */
  arm(call: Call, leg: Leg): void {
    if (leg.uuid !== call.uuid || !this.ctx.deps.config().accounts.has(leg.domain)) return;
    this.consider(call, 'create', leg);
  }

  consider(call: Call, trigger: DecisionTrigger, answeredLeg?: Leg, bridged: ReadonlyArray<Leg | undefined> = []): void {
    const { deps, active, started } = this.ctx;
    if (!this.ctx.accepting) return;
    const aLeg = aLegOf(call);
    if (!aLeg || isToggleCall(deps.config(), aLeg)) return;
    // A b-leg answering before the a-leg: wait for the leg that will be recorded.
    if (trigger === 'answer' && answeredLeg && answeredLeg.uuid !== aLeg.uuid && !aLeg.answered) return;
    let decision: Decision;
    try {
      decision = deps.decide(call);
    } catch (err) {
      deps.log.error('recording decision failed', { call: call.uuid, error: String(err) });
      return;
    }
    // Said before any plan starts: the transfer follower claims the legs a continuing conversation covers.
    deps.bus.emit('decided', call, decision, trigger, bridged);
    for (const rec of active.ofCall(call.uuid)) {
      // A recording that began before the call reached a queue (armed, or at answer) learns it now; the
      // journal's next write of the entry carries it.
      if (decision.queue) rec.meta.queue ??= decision.queue;
      if (decision.agent) rec.meta.agent ??= decision.agent;
      // An armed recording began before there was a callee: the answer or the bridge names one.
      const other = rec.leg.otherLegUuid ? call.legs.get(rec.leg.otherLegUuid) : undefined;
      if (other && rec.meta.parties && !rec.meta.parties.some((p) => p.role === 'callee')) rec.meta.parties.push(partyOf(other, 'callee'));
    }
    // At creation only a-leg plans are armed; at answer those that start on answer; at bridge all of them.
    const pending = decision.plans.filter(
      (p) => !started.has(call.uuid, p.legUuid) && (trigger !== 'answer' || p.options.startOn === 'answer') && (trigger !== 'create' || p.legUuid === aLeg.uuid),
    );
    // The commands first: the decision's log line is a fifth of the work here, and every millisecond before
    // uuid_record reaches FreeSWITCH is audio not recorded (a plan starts synchronously up to its command).
    for (const plan of pending) void this.#startPlan(call, decision, plan, trigger === 'create' ? 'armed' : trigger);
    deps.log.info('decision', {
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
  }

  async #startPlan(call: Call, decision: Decision, plan: RecordingPlan, startedBy: SegmentStart): Promise<void> {
    const { deps, started } = this.ctx;
    const leg = call.legs.get(plan.legUuid);
    if (!leg || (!leg.answered && startedBy !== 'armed')) return;
    if (started.has(call.uuid, plan.legUuid)) return;
    started.of(call.uuid).add(plan.legUuid);
    if (leg.recordingPath) {
      // A previous fsrecd process started this recording; the spool's journal already owns that file.
      deps.log.info('call already recorded by an earlier fsrecd run', { call: call.uuid, path: leg.recordingPath });
      return;
    }
    const named = deps.namePath({ call, leg, kind: 'call', decision, plan, extension: extensionFor(plan.options), now: new Date(this.ctx.now()) });
    const bLeg = [...call.legs.values()].find((l) => l.uuid !== leg.uuid && (l.uuid === leg.otherLegUuid || l.direction === 'outbound'));
    await this.starter.start(call, leg, named, plan.options, {
      onDemand: false,
      reasons: plan.reasons.map((r) => r.text),
      user: plan.user,
      device: plan.device,
      decision,
      startedBy,
      parties: [partyOf(leg, 'caller'), ...(bLeg ? [partyOf(bLeg, 'callee')] : [])],
    });
  }
}
