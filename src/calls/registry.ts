/**
 * The live registry of legs and calls, fed by channel events. It owns no sockets: the daemon hands it
 * events and it announces what changed on the bus. Hung-up legs leave at once, so memory follows the
 * number of live calls, not the number of calls ever seen. Fields are validated where they are read
 * (leg-from-event.ts): an event without a valid channel uuid changes nothing, and none makes it throw.
 */
import type { TypedBus } from '../events/typed-bus';
import type { CallEvents } from './events';
import { readRecordStart, readRecordStop } from './record-stop';
import type { EslEvent } from '../esl/types';
import { legFromEvent, microsToMs, refreshLeg, validUuid, type LegVariableNames } from './leg-from-event';
import type { Call, Leg } from './types';

/** The event's own time, or `fallback` when it carries none a Date can hold. */
function eventTimeMs(ev: EslEvent, fallback: number): number {
  return microsToMs(ev.get('Event-Date-Timestamp')) ?? fallback;
}

/** A DTMF digit as FreeSWITCH reports one: 0-9, *, #, A-D (RFC 2833 events 0-15); anything else is noise. */
function dtmfDigit(ev: EslEvent): string | undefined {
  const digit = ev.get('DTMF-Digit');
  return digit !== undefined && /^[0-9*#A-Da-d]$/.test(digit) ? digit.toUpperCase() : undefined;
}

export class CallRegistry {
  readonly #legs = new Map<string, Leg>();
  readonly #calls = new Map<string, Call>();
  /** Legs that hung up while a resync was in flight: a dump taken before their hangup must not revive them. */
  #goneDuringResync: Set<string> | undefined;

  constructor(
    private readonly bus: Pick<TypedBus<CallEvents>, 'emit'>,
    private names: LegVariableNames,
    private readonly now: () => number = Date.now,
  ) {}

  setVariableNames(names: LegVariableNames): void {
    this.names = names;
  }

  get legCount(): number {
    return this.#legs.size;
  }

  get callCount(): number {
    return this.#calls.size;
  }

  /** Every live channel's uuid. */
  legUuids(): IterableIterator<string> {
    return this.#legs.keys();
  }

  leg(uuid: string): Leg | undefined {
    return this.#legs.get(uuid);
  }

  call(uuid: string): Call | undefined {
    return this.#calls.get(uuid);
  }

  /** The call a leg belongs to. */
  callOf(leg: Leg): Call | undefined {
    return this.#calls.get(leg.callUuid);
  }

  calls(): IterableIterator<Call> {
    return this.#calls.values();
  }

  /** Feeds one ESL event; events for channels it never saw create them (late start, missed CREATE). */
  apply(ev: EslEvent): void {
    switch (ev.name) {
      case 'CHANNEL_CREATE':
        this.#track(ev, 'legCreated');
        return;
      case 'CHANNEL_ANSWER': {
        const leg = this.#track(ev);
        if (!leg) return;
        leg.answered = true;
        leg.answeredAt ??= eventTimeMs(ev, this.now());
        this.bus.emit('legAnswered', leg, this.#callFor(leg));
        return;
      }
      case 'CHANNEL_PARK': {
        const leg = this.#track(ev);
        if (leg) this.bus.emit('legParked', leg, this.#callFor(leg));
        return;
      }
      case 'CHANNEL_BRIDGE':
        this.#bridge(ev);
        return;
      case 'CHANNEL_UNBRIDGE': {
        const uuid = validUuid(ev.get('Unique-ID'));
        const leg = uuid === undefined ? undefined : this.#legs.get(uuid);
        if (leg) leg.bridged = false;
        return;
      }
      case 'DTMF': {
        const digit = dtmfDigit(ev);
        const leg = digit === undefined ? undefined : this.#track(ev);
        if (leg && digit) this.bus.emit('dtmf', leg, this.#callFor(leg), digit, eventTimeMs(ev, this.now()));
        return;
      }
      case 'CALL_UPDATE':
        this.#refreshKnown(ev);
        return;
      case 'CUSTOM':
        // mod_callcenter's member-queue-start is the first event that names the member's queue.
        if (ev.get('Event-Subclass') === 'callcenter::info') this.#refreshKnown(ev);
        return;
      case 'RECORD_START': {
        const start = readRecordStart(ev);
        if (start) this.bus.emit('recordStart', start);
        return;
      }
      case 'RECORD_STOP': {
        const stop = readRecordStop(ev, this.now());
        if (stop) this.bus.emit('recordStop', stop);
        return;
      }
      case 'CHANNEL_HANGUP_COMPLETE': {
        const uuid = validUuid(ev.get('Unique-ID'));
        if (uuid !== undefined) this.#forget(uuid);
        return;
      }
      default:
        return;
    }
  }

  /** Starts a resync: returns the legs known now, and remembers hangups until replaceAll(). */
  beginResync(): Set<string> {
    this.#goneDuringResync = new Set();
    return new Set(this.#legs.keys());
  }

  /**
   * Merges what FreeSWITCH says is live (after a reconnect) into the registry. Legs we knew before the
   * resync began (`knownBefore`) that FreeSWITCH no longer lists hung up while we were away: they are
   * announced as gone so the recorder can close their recordings. Legs created during the resync stay.
   */
  replaceAll(dumps: readonly EslEvent[], knownBefore: ReadonlySet<string>): void {
    const seen = new Set<string>();
    const gone = this.#goneDuringResync ?? new Set<string>();
    this.#goneDuringResync = undefined;
    for (const dump of dumps) {
      const uuid = validUuid(dump.get('Unique-ID'));
      if (!uuid || gone.has(uuid)) continue;
      seen.add(uuid);
      const existing = this.#legs.get(uuid);
      if (existing) {
        refreshLeg(existing, dump, this.names);
        const fresh = legFromEvent(dump, this.names, this.now());
        if (fresh) {
          existing.answered ||= fresh.answered;
          existing.answeredAt ??= fresh.answeredAt;
          existing.bridged = fresh.bridged;
          existing.otherLegUuid = fresh.otherLegUuid ?? existing.otherLegUuid;
        }
      } else {
        this.#track(dump);
      }
    }
    for (const uuid of knownBefore) if (!seen.has(uuid)) this.#forget(uuid);
  }

  /** The leg's call; made again if it is missing, so no listener is ever handed an undefined call. */
  #callFor(leg: Leg): Call {
    let call = this.#calls.get(leg.callUuid);
    if (!call) {
      call = { uuid: leg.callUuid, legs: new Map(), createdAt: leg.createdAt };
      this.#calls.set(call.uuid, call);
    }
    if (!call.legs.has(leg.uuid)) call.legs.set(leg.uuid, leg);
    return call;
  }

  #track(ev: EslEvent, announce?: 'legCreated'): Leg | undefined {
    const uuid = validUuid(ev.get('Unique-ID'));
    if (!uuid) return undefined;
    let leg = this.#legs.get(uuid);
    if (leg) {
      refreshLeg(leg, ev, this.names);
      return leg;
    }
    leg = legFromEvent(ev, this.names, this.now());
    if (!leg) return undefined;
    // The uuids it names are held once: as the legs' own strings where those legs are live.
    leg.callUuid = this.#legs.get(leg.callUuid)?.uuid ?? leg.callUuid;
    if (leg.otherLegUuid !== undefined) leg.otherLegUuid = this.#legs.get(leg.otherLegUuid)?.uuid ?? leg.otherLegUuid;
    this.#legs.set(uuid, leg);
    const call = this.#callFor(leg);
    if (announce) this.bus.emit(announce, leg, call);
    return leg;
  }

  /**
   * Refreshes a leg already tracked, never creates one: callcenter::info's bridge-agent-end names the agent's
   * leg after its CHANNEL_HANGUP_COMPLETE (capture 13), and a leg made from it would never leave.
   */
  #refreshKnown(ev: EslEvent): void {
    const uuid = validUuid(ev.get('Unique-ID'));
    const leg = uuid === undefined ? undefined : this.#legs.get(uuid);
    if (leg) refreshLeg(leg, ev, this.names);
  }

  #bridge(ev: EslEvent): void {
    const a = this.#track(ev);
    if (!a) return;
    const otherUuid = validUuid(ev.get('Other-Leg-Unique-ID') ?? ev.get('Bridge-B-Unique-ID'));
    const b = otherUuid ? this.#legs.get(otherUuid) : undefined;
    const at = eventTimeMs(ev, this.now());
    a.bridged = true;
    a.bridgedAt ??= at;
    if (otherUuid) a.otherLegUuid = b?.uuid ?? otherUuid;
    if (b) {
      b.bridged = true;
      b.bridgedAt ??= at;
      b.otherLegUuid = a.uuid;
      this.#adopt(b, a.callUuid);
    }
    this.bus.emit('callBridged', this.#callFor(a), a, b);
  }

  /** A leg bridged into another call (e.g. an originate then bridge) joins that call. */
  #adopt(leg: Leg, callUuid: string): void {
    if (leg.callUuid === callUuid) return;
    const from = this.#calls.get(leg.callUuid);
    from?.legs.delete(leg.uuid);
    if (from && from.legs.size === 0) this.#calls.delete(from.uuid);
    leg.callUuid = callUuid;
    this.#callFor(leg);
  }

  #forget(uuid: string): void {
    this.#goneDuringResync?.add(uuid);
    const leg = this.#legs.get(uuid);
    if (!leg) return;
    const call = this.#calls.get(leg.callUuid);
    this.#legs.delete(uuid);
    if (!call) return;
    this.bus.emit('legGone', leg, call);
    call.legs.delete(uuid);
    if (call.legs.size === 0) {
      this.#calls.delete(call.uuid);
      this.bus.emit('callEnded', call);
    }
  }
}
