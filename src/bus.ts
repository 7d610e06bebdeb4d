/**
 * The daemon's internal event bus: typed events between the parts, so the ESL layer, the call registry,
 * the recorder and the feature codes never import each other (zigbee2mqtt's eventBus shape).
 */
import { EventEmitter } from 'node:events';
import type { Call, Leg } from './calls/types';
import type { EslEvent } from './esl/types';
import type { Decision } from './policy/types';

export interface BusEvents {
  /** The ESL session is up (after every reconnect) and the registry has re-synced. */
  resynced: [calls: readonly Call[]];
  eslDisconnected: [reason: string];
  legCreated: [leg: Leg, call: Call];
  legAnswered: [leg: Leg, call: Call];
  legParked: [leg: Leg, call: Call];
  callBridged: [call: Call, aLeg: Leg, bLeg: Leg | undefined];
  dtmf: [leg: Leg, call: Call, digit: string, atMs: number];
  /** Raw RECORD_START / RECORD_STOP events: the recorder matches them by Record-File-Path. */
  recordStart: [event: EslEvent];
  recordStop: [event: EslEvent];
  /** CHANNEL_HANGUP_COMPLETE: the leg is gone from FreeSWITCH; the registry drops it after this. */
  legGone: [leg: Leg, call: Call];
  /** The recorder asked the policy about a call (at answer or bridge). */
  decided: [call: Call, decision: Decision, trigger: 'answer' | 'bridge'];
  /** The last leg of a call is gone. */
  callEnded: [call: Call];
}

type Listener<K extends keyof BusEvents> = (...args: BusEvents[K]) => void;

export class Bus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(50);
  }

  on<K extends keyof BusEvents>(name: K, listener: Listener<K>): void {
    this.#emitter.on(name, listener as (...args: unknown[]) => void);
  }

  off<K extends keyof BusEvents>(name: K, listener: Listener<K>): void {
    this.#emitter.off(name, listener as (...args: unknown[]) => void);
  }

  emit<K extends keyof BusEvents>(name: K, ...args: BusEvents[K]): void {
    this.#emitter.emit(name, ...args);
  }
}
