/**
 * Feature codes pressed during a call (*3, the pause code): recognised in each leg's DTMF stream and said on
 * the bus as `featureCode`, for the feature that owns the code. Only an answered leg still in its call counts.
 */
import type { Bus } from '../bus';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import { DtmfSequenceMatcher } from './dtmf-sequence';
import { Subscriptions, type Feature } from './subscriptions';

function codesOf(cfg: FsrecdConfig): string[] {
  const codes: string[] = [];
  if (cfg.features.onDemand.enabled) codes.push(cfg.features.onDemand.code);
  if (cfg.features.pause.enabled) codes.push(cfg.features.pause.code);
  return codes;
}

export class FeatureCodes implements Feature {
  readonly #matcher: DtmfSequenceMatcher;
  readonly #subs: Subscriptions;

  constructor(
    private readonly bus: Bus,
    config: () => FsrecdConfig,
    private readonly log: Logger,
  ) {
    const cfg = config();
    this.#matcher = new DtmfSequenceMatcher(codesOf(cfg), cfg.features.onDemand.interDigitTimeoutMs);
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('dtmf', (leg, call, digit, atMs) => {
      const code = this.#matcher.feed(leg.uuid, digit, atMs);
      if (!code) return;
      if (!leg.answered || !call.legs.has(leg.uuid)) {
        this.log.info('feature code on a leg that is not answered; ignored', { code, leg: leg.uuid });
        return;
      }
      this.bus.emit('featureCode', code, leg, call);
    });
    this.#subs.on('legGone', (leg) => this.#matcher.forget(leg.uuid));
  }

  stop(): void {
    this.#subs.clear();
  }

  reconfigure(cfg: FsrecdConfig): void {
    this.#matcher.reconfigure(codesOf(cfg), cfg.features.onDemand.interDigitTimeoutMs);
  }
}
