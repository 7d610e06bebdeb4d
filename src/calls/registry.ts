/**
 * The live registry of legs and calls, fed by channel events. It owns no sockets: the daemon hands it
 * events and it announces what changed on the bus. Hung-up legs leave at once, so memory follows the
 * number of live calls, not the number of calls ever seen.
 */
import type { Bus } from '../bus';
import type { EslEvent } from '../esl/types';
import { legFromEvent, refreshLeg, type LegVariableNames } from './leg-from-event';
import type { Call, Leg } from './types';

function eventTimeMs(ev: EslEvent, fallback: number): number {
  const micros = Number(ev.get('Event-Date-Timestamp'));
  return Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : fallback;
}

export class CallRegistry {
  readonly #legs = new Map<string, Leg>();
  readonly #calls = new Map<string, Call>();
  /** Legs that hung up while a resync was in flight: a dump taken before their hangup must not revive them. */
  #goneDuringResync: Set<string> | undefined;

  constructor(
    private readonly bus: Bus,
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
        this.bus.emit('legAnswered', leg, this.#calls.get(leg.callUuid) as Call);
        return;
      }
      case 'CHANNEL_PARK': {
        const leg = this.#track(ev);
        if (leg) this.bus.emit('legParked', leg, this.#calls.get(leg.callUuid) as Call);
        return;
      }
      case 'CHANNEL_BRIDGE':
        this.#bridge(ev);
        return;
      case 'CHANNEL_UNBRIDGE': {
        const leg = this.#legs.get(ev.get('Unique-ID') ?? '');
        if (leg) leg.bridged = false;
        return;
      }
      case 'DTMF': {
        const leg = this.#track(ev);
        const digit = ev.get('DTMF-Digit');
        if (leg && digit) this.bus.emit('dtmf', leg, this.#calls.get(leg.callUuid) as Call, digit, eventTimeMs(ev, this.now()));
        return;
      }
      case 'RECORD_START':
        this.bus.emit('recordStart', ev);
        return;
      case 'RECORD_STOP':
        this.bus.emit('recordStop', ev);
        return;
      case 'CHANNEL_HANGUP_COMPLETE':
        this.#forget(ev.get('Unique-ID') ?? '');
        return;
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
      const uuid = dump.get('Unique-ID');
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

  #track(ev: EslEvent, announce?: 'legCreated'): Leg | undefined {
    const uuid = ev.get('Unique-ID');
    if (!uuid) return undefined;
    let leg = this.#legs.get(uuid);
    if (leg) {
      refreshLeg(leg, ev, this.names);
      return leg;
    }
    leg = legFromEvent(ev, this.names, this.now());
    if (!leg) return undefined;
    this.#legs.set(uuid, leg);
    let call = this.#calls.get(leg.callUuid);
    if (!call) {
      call = { uuid: leg.callUuid, legs: new Map(), createdAt: leg.createdAt };
      this.#calls.set(call.uuid, call);
    }
    call.legs.set(uuid, leg);
    if (announce) this.bus.emit(announce, leg, call);
    return leg;
  }

  #bridge(ev: EslEvent): void {
    const a = this.#track(ev);
    if (!a) return;
    const otherUuid = ev.get('Other-Leg-Unique-ID') ?? ev.get('Bridge-B-Unique-ID');
    const b = otherUuid ? this.#legs.get(otherUuid) : undefined;
    const at = eventTimeMs(ev, this.now());
    a.bridged = true;
    a.bridgedAt ??= at;
    if (otherUuid) a.otherLegUuid = otherUuid;
    if (b) {
      b.bridged = true;
      b.bridgedAt ??= at;
      b.otherLegUuid = a.uuid;
      this.#adopt(b, a.callUuid);
    }
    this.bus.emit('callBridged', this.#calls.get(a.callUuid) as Call, a, b);
  }

  /** A leg bridged into another call (e.g. an originate then bridge) joins that call. */
  #adopt(leg: Leg, callUuid: string): void {
    if (leg.callUuid === callUuid) return;
    const from = this.#calls.get(leg.callUuid);
    from?.legs.delete(leg.uuid);
    if (from && from.legs.size === 0) this.#calls.delete(from.uuid);
    leg.callUuid = callUuid;
    this.#calls.get(callUuid)?.legs.set(leg.uuid, leg);
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
