/** A feature's bus subscriptions, so stop() takes back exactly what start() gave. */
import type { Bus, BusEvents } from '../bus';
import type { Listener } from '../events/typed-bus';

export interface Feature {
  /** Subscribes to the bus. */
  start(): void;
  /** Unsubscribes and drops its timers; recordings FreeSWITCH is making go on. */
  stop(): void;
}

export class Subscriptions {
  readonly #off: Array<() => void> = [];

  constructor(private readonly bus: Bus) {}

  on<K extends keyof BusEvents>(name: K, listener: Listener<BusEvents, K>): void {
    this.bus.on(name, listener);
    this.#off.push(() => this.bus.off(name, listener));
  }

  clear(): void {
    for (const off of this.#off.splice(0)) off();
  }
}
