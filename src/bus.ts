/**
 * The daemon's events, from the first ESL event to the stored object: the call registry's (calls/events.ts),
 * the recorder's decisions, and the journal's durable steps. Parts talk through it and never import each
 * other; the bus itself (util/typed-bus.ts) catches every listener's failure.
 */
import type { CallEvents } from './calls/events';
import type { RecordStopInfo } from './calls/record-stop';
import type { Call, Leg } from './calls/types';
import type { RecordingOptions } from './config/types';
import type { RecordingMeta } from './model/recording';
import type { Decision } from './policy/types';
import type { JournalEntry } from './spool/journal';
import { TypedBus } from './events/typed-bus';

export type { ListenerFailure } from './events/typed-bus';

export type BusEvents = CallEvents & {
  /** The ESL session is up (after every reconnect) and the registry has re-synced. */
  resynced: [calls: readonly Call[]];
  eslDisconnected: [reason: string];
  /**
   * The recorder asked the policy about a call (at its creation, to arm a recording; at answer; at a bridge,
   * with the two legs bridged). Said before any plan starts: a listener may claim legs for a recording.
   */
  decided: [call: Call, decision: Decision, trigger: 'create' | 'answer' | 'bridge', bridged: ReadonlyArray<Leg | undefined>];
  /** A feature code pressed during a call (*3, the pause code), on an answered leg. */
  featureCode: [code: string, leg: Leg, call: Call];
  /** uuid_record was accepted: FreeSWITCH writes this recording now. */
  recordingStarted: [meta: RecordingMeta, options: RecordingOptions];
  /** FreeSWITCH stopped writing a recording fsrecd follows (its RECORD_STOP), before the sink hears of it. */
  recordingEnded: [meta: RecordingMeta, options: RecordingOptions, stop: RecordStopInfo];
  /** A step of a recording reached the journal on disk (the recordings index follows these). */
  journaled: [entry: JournalEntry];
  /** A recording is in storage, verified, and the journal on disk says so. */
  stored: [entry: JournalEntry];
};

export class Bus extends TypedBus<BusEvents> {}
