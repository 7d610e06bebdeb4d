/**
 * *3 during a call: starts an on-demand recording, pressed again stops it, a third time starts a new file.
 * Optional pause code: masks/unmasks every recording of the call (card numbers).
 */
import type { Bus } from '../bus';
import type { Call, Leg } from '../calls/types';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Recorder } from '../recorder/recorder';
import { DtmfSequenceMatcher } from './dtmf-sequence';
import { endpointOf, mayRecordOnDemand } from './permissions';

function codesOf(cfg: FsrecdConfig): string[] {
  const codes: string[] = [];
  if (cfg.features.onDemand.enabled) codes.push(cfg.features.onDemand.code);
  if (cfg.features.pause.enabled) codes.push(cfg.features.pause.code);
  return codes;
}

export class OnDemandFeature {
  readonly #matcher: DtmfSequenceMatcher;
  /** Calls whose recordings are masked by the pause code. */
  readonly #masked = new Set<string>();

  constructor(
    bus: Bus,
    private readonly config: () => FsrecdConfig,
    private readonly recorder: Recorder,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    const cfg = config();
    this.#matcher = new DtmfSequenceMatcher(codesOf(cfg), cfg.features.onDemand.interDigitTimeoutMs);
    bus.on('dtmf', (leg, call, digit, atMs) => this.#onDigit(leg, call, digit, atMs));
    bus.on('legGone', (leg) => this.#matcher.forget(leg.uuid));
    bus.on('callEnded', (call) => this.#masked.delete(call.uuid));
  }

  reconfigure(cfg: FsrecdConfig): void {
    this.#matcher.reconfigure(codesOf(cfg), cfg.features.onDemand.interDigitTimeoutMs);
  }

  async #onDigit(leg: Leg, call: Call, digit: string, atMs: number): Promise<void> {
    const code = this.#matcher.feed(leg.uuid, digit, atMs);
    if (!code) return;
    const cfg = this.config();
    if (!leg.answered || !call.legs.has(leg.uuid)) {
      this.log.info('feature code on a leg that is not answered; ignored', { code, leg: leg.uuid });
      return;
    }
    if (code === cfg.features.onDemand.code && cfg.features.onDemand.enabled) await this.#onDemand(leg, call, cfg);
    else if (code === cfg.features.pause.code && cfg.features.pause.enabled) await this.#pause(leg, call);
  }

  async #onDemand(leg: Leg, call: Call, cfg: FsrecdConfig): Promise<void> {
    const ep = endpointOf(cfg, leg);
    if (!mayRecordOnDemand(ep)) {
      this.metrics.inc('fsrecd_feature_refused_total', 'Feature codes refused by permissions', { code: 'on_demand' });
      this.log.info('on-demand recording refused: online_call_record_enabled is false', {
        call: call.uuid,
        device: ep.device,
        user: ep.userId,
      });
      return;
    }
    const outcome = await this.recorder.toggleOnDemand({ call, pressedBy: leg, user: ep.userId });
    this.log.info('on-demand recording', { call: call.uuid, by: ep.device ?? leg.callerNumber, outcome });
    const tone = outcome === 'started' ? cfg.features.onDemand.startTone : outcome === 'stopped' ? cfg.features.onDemand.stopTone : undefined;
    if (tone) await this.recorder.play(leg.uuid, tone);
  }

  async #pause(leg: Leg, call: Call): Promise<void> {
    const mask = !this.#masked.has(call.uuid);
    const n = await this.recorder.setMasked(call, mask);
    if (mask) this.#masked.add(call.uuid);
    else this.#masked.delete(call.uuid);
    this.log.info(mask ? 'recordings paused (masked)' : 'recordings resumed (unmasked)', { call: call.uuid, by: leg.uuid, recordings: n });
  }
}
