/**
 * Follows a recorded conversation across transfers (recording.follow_transfer). When the recorded channel
 * hangs up out of a bridge, its far party carries the conversation; at that party's next bridge the next
 * segment starts on it — unless the new party's channel is already recorded, whose recording then holds the
 * conversation. Captures 10 and 11 show FreeSWITCH's order: the RECORD_STOP first, then the new bridge.
 */
import type { Bus } from '../bus';
import type { RecordStopInfo } from '../calls/record-stop';
import type { Call, Leg } from '../calls/types';
import type { RecordingOptions } from '../config/types';
import type { Logger } from '../log';
import type { RecordingMeta } from '../model/recording';
import type { NamePath } from '../naming/naming-port';
import type { Decision } from '../policy/types';
import { partyOf } from '../recorder/parties';
import { extensionFor, type Recorder } from '../recorder/recorder';
import { Conversations, type CarriedConversation } from './conversations';
import { Subscriptions, type Feature } from './subscriptions';

export class TransferFollowFeature implements Feature {
  readonly #subs: Subscriptions;
  readonly #conversations = new Conversations();

  constructor(
    bus: Bus,
    private readonly deps: { recorder: Recorder; namePath: NamePath; log: Logger; now?: () => number },
  ) {
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('recordingEnded', (meta, options, stop) => this.#handOver(meta, options, stop));
    this.#subs.on('legGone', (leg) => this.#conversations.forget(leg.uuid));
    this.#subs.on('decided', (call, decision, trigger, bridged) => {
      if (trigger === 'bridge') this.#onBridge(call, decision, bridged);
    });
  }

  stop(): void {
    this.#subs.clear();
  }

  /** The recorded channel left a bridge; if its far party is bridged on, the conversation goes on there. */
  #handOver(meta: RecordingMeta, options: RecordingOptions, stop: RecordStopInfo): void {
    if (!stop.legHungUp || !stop.otherLegUuid || meta.onDemand) return;
    this.#conversations.handOver(stop.otherLegUuid, {
      conversationId: meta.conversationId ?? meta.callUuid,
      segment: meta.segment ?? 1,
      recordingId: meta.id,
      options,
      follow: options.followTransfer,
      kind: 'attended',
      user: meta.user,
      device: meta.device,
      reasons: meta.reasons,
    });
  }

  /**
   * Both sides may carry one (the transferor's two recorded calls): one recording holds the bridge, so the
   * first carrier's conversation goes on and the other's is named in its reasons.
   */
  #onBridge(call: Call, decision: Decision, bridged: ReadonlyArray<Leg | undefined>): void {
    const carriers = bridged.flatMap((leg) => {
      const carried = leg && this.#conversations.take(leg.uuid);
      return leg && carried ? [{ leg, carried }] : [];
    });
    const [first, ...others] = carriers;
    if (!first) return;
    const joined = others.map((o) => `joins conversation ${o.carried.conversationId}`);
    this.#continue(call, first.leg, bridged, first.carried, decision, joined);
  }

  /** The next segment of a conversation, on the channel that carries it, from the instant of the bridge. */
  #continue(call: Call, carrier: Leg, bridged: ReadonlyArray<Leg | undefined>, carried: CarriedConversation, decision: Decision, joined: string[]): void {
    const { recorder, log } = this.deps;
    const partner = bridged.find((l) => l && l.uuid !== carrier.uuid);
    // FreeSWITCH's transfer history on the channels says how the call moved (bl_xfer, uuid_br).
    const kind = carrier.lastTransfer ?? partner?.lastTransfer ?? carried.kind;
    // The carrier's recording holds both sides of its bridge: no second recording of this conversation.
    recorder.claimLegs(call.uuid, [carrier.uuid, ...(carried.options.perEndpointFiles ? [] : bridged.flatMap((l) => (l ? [l.uuid] : [])))]);
    if (!carried.follow) {
      log.info('transfer: recording.follow_transfer is false; the conversation is not recorded further', { conversation: carried.conversationId, leg: carrier.uuid });
      return;
    }
    const continues = `continues conversation ${carried.conversationId} after ${kind} transfer`;
    // The new party's channel is already recorded (its own call was, a rule armed it): that recording holds
    // this bridge too. One recording of a conversation, never two; it names the one it continues.
    const already = recorder.active().find((r) => r.state !== 'stopping' && !r.meta.onDemand && bridged.some((l) => l?.uuid === r.meta.legUuid));
    if (already) {
      const m = already.meta;
      m.reasons.push(continues);
      // A recording that has held no conversation yet (a parked or originated channel, alone until now) is
      // this conversation's next segment; one that has is left in its own conversation, naming this one.
      if (!m.transferFrom && (m.segment ?? 1) === 1 && !m.parties?.some((p) => p.role === 'callee')) {
        const recorded = bridged.find((l) => l?.uuid === m.legUuid);
        const other = bridged.find((l) => l && l.uuid !== m.legUuid);
        Object.assign(m, {
          conversationId: carried.conversationId,
          segment: carried.segment + 1,
          startedBy: 'transfer',
          transferFrom: { recordingId: carried.recordingId, kind },
          parties: [...(recorded ? [partyOf(recorded, 'caller')] : []), ...(other ? [partyOf(other, 'callee')] : [])],
        });
      }
      log.info('transfer: the conversation goes on in a recording already running on the new party', { conversation: carried.conversationId, recording: m.id });
      return;
    }
    const ruleReasons = decision.plans.flatMap((p) => p.reasons.map((r) => r.text));
    const named = this.deps.namePath({ call, leg: carrier, kind: 'call', decision, extension: extensionFor(carried.options), now: new Date((this.deps.now ?? Date.now)()) });
    log.info('transfer: recording the conversation on', { conversation: carried.conversationId, segment: carried.segment + 1, leg: carrier.uuid, with: partner?.uuid });
    void recorder.start(call, carrier, named, carried.options, {
      onDemand: false,
      reasons: [continues, ...joined, ...ruleReasons],
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
}
