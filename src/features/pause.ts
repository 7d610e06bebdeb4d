/** The pause code (off by default): masks every recording of the call (silence is written), pressed again unmasks. */
import type { Bus } from '../bus';
import type { Call, Leg } from '../calls/types';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Recorder } from '../recorder/recorder';
import { Subscriptions, type Feature } from './subscriptions';

export class PauseFeature implements Feature {
  readonly #subs: Subscriptions;
  /** Calls whose recordings are masked. */
  readonly #masked = new Set<string>();

  constructor(
    bus: Bus,
    private readonly config: () => FsrecdConfig,
    private readonly recorder: Recorder,
    private readonly log: Logger,
  ) {
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('featureCode', (code, leg, call) => {
      const cfg = this.config();
      if (cfg.features.pause.enabled && code === cfg.features.pause.code) return this.#toggle(leg, call);
    });
    this.#subs.on('callEnded', (call) => void this.#masked.delete(call.uuid));
  }

  stop(): void {
    this.#subs.clear();
  }

  async #toggle(leg: Leg, call: Call): Promise<void> {
    const mask = !this.#masked.has(call.uuid);
    let n = 0;
    for (const rec of this.recorder.recordingsOf(call.uuid)) {
      if (rec.state !== 'recording' || rec.masked === mask) continue;
      if (await this.recorder.setMasked(rec, mask)) n++;
    }
    if (mask) this.#masked.add(call.uuid);
    else this.#masked.delete(call.uuid);
    this.log.info(mask ? 'recordings paused (masked)' : 'recordings resumed (unmasked)', { call: call.uuid, by: leg.uuid, recordings: n });
  }
}
