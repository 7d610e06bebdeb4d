/**
 * The daemon's events, from the first ESL event to the stored object: the call registry's (calls/events.ts),
 * the recorder's decisions, and the journal's durable steps. Parts talk through it and never import each
 * other; the bus itself (util/typed-bus.ts) catches every listener's failure.
 */
import type { CallEvents } from './calls/events';
import type { Call } from './calls/types';
import type { Decision } from './policy/types';
import type { JournalEntry } from './spool/journal';
import { TypedBus } from './util/typed-bus';

export type { ListenerFailure } from './util/typed-bus';

export type BusEvents = CallEvents & {
  /** The ESL session is up (after every reconnect) and the registry has re-synced. */
  resynced: [calls: readonly Call[]];
  eslDisconnected: [reason: string];
  /** The recorder asked the policy about a call (at its creation, to arm a recording; at answer; at bridge). */
  decided: [call: Call, decision: Decision, trigger: 'create' | 'answer' | 'bridge'];
  /** A step of a recording reached the journal on disk (the recordings index follows these). */
  journaled: [entry: JournalEntry];
  /** A recording is in storage, verified, and the journal on disk says so. */
  stored: [entry: JournalEntry];
};

export class Bus extends TypedBus<BusEvents> {}
