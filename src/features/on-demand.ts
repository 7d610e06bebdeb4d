/**
 * *3 during a call: starts an on-demand recording of the whole call, pressed again stops it, a third time
 * starts a new file (never an overwrite). Either party may press it, subject to online_call_record_enabled.
 */
import { aLegOf } from '../calls/a-leg';
import type { Call, Leg } from '../calls/types';
import type { Bus } from '../bus';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { NamePath } from '../naming/naming-port';
import { extensionFor, type Recorder } from '../recorder/recorder';
import { playMedia, type Api } from './media';
import { endpointOf, mayRecordOnDemand } from './permissions';
import { Subscriptions, type Feature } from './subscriptions';

export interface OnDemandRequest {
  call: Call;
  /** The leg whose party pressed the code. */
  pressedBy: Leg;
  /** That party's user (device owner, fsrecd_user, else the device): the recording is filed under it. */
  user?: string;
}

export type OnDemandOutcome = 'started' | 'stopped' | 'ignored';

export class OnDemandFeature implements Feature {
  readonly #subs: Subscriptions;
  /** Presses on one call, one after the other: a quick second *3 must see what the first one started. */
  readonly #ops = new Map<string, Promise<unknown>>();

  constructor(
    bus: Bus,
    private readonly deps: { config: () => FsrecdConfig; recorder: Recorder; namePath: NamePath; api: Api; log: Logger; metrics: Metrics; now?: () => number },
  ) {
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('featureCode', (code, leg, call) => {
      const cfg = this.deps.config();
      if (cfg.features.onDemand.enabled && code === cfg.features.onDemand.code) return this.#pressed(leg, call, cfg);
    });
  }

  stop(): void {
    this.#subs.clear();
  }

  async #pressed(leg: Leg, call: Call, cfg: FsrecdConfig): Promise<void> {
    const { log, metrics } = this.deps;
    const ep = endpointOf(cfg, leg);
    if (!mayRecordOnDemand(ep)) {
      metrics.inc('fsrecd_feature_refused_total', 'Feature codes refused by permissions', { code: 'on_demand' });
      log.info('on-demand recording refused: online_call_record_enabled is false', { call: call.uuid, device: ep.device, user: ep.userId });
      return;
    }
    const outcome = await this.toggle({ call, pressedBy: leg, user: ep.userId });
    log.info('on-demand recording', { call: call.uuid, by: ep.device ?? leg.callerNumber, outcome });
    const tone = outcome === 'started' ? cfg.features.onDemand.startTone : outcome === 'stopped' ? cfg.features.onDemand.stopTone : undefined;
    if (tone) await playMedia(this.deps.api, log, leg.uuid, tone);
  }

  /** Starts an on-demand recording of the call, or stops the one running. */
  toggle(req: OnDemandRequest): Promise<OnDemandOutcome> {
    const prior = this.#ops.get(req.call.uuid) ?? Promise.resolve();
    const next = prior.then(() => this.#toggle(req));
    const settled = next.catch(() => undefined).finally(() => {
      if (this.#ops.get(req.call.uuid) === settled) this.#ops.delete(req.call.uuid);
    });
    this.#ops.set(req.call.uuid, settled);
    return next;
  }

  async #toggle(req: OnDemandRequest): Promise<OnDemandOutcome> {
    const { recorder, config, namePath } = this.deps;
    const running = recorder.recordingsOf(req.call.uuid).find((r) => r.meta.onDemand && r.state !== 'stopping');
    if (running) {
      await recorder.stop(running, `*3 by ${req.pressedBy.device ?? req.pressedBy.callerNumber}`);
      return 'stopped';
    }
    const leg = aLegOf(req.call);
    if (!recorder.accepting || !leg || !leg.answered) return 'ignored';
    const options = config().recording;
    const who = req.pressedBy.device ?? req.pressedBy.callerNumber;
    const named = namePath({
      call: req.call,
      leg,
      kind: 'on-demand',
      seq: recorder.nextOnDemandSeq(req.call.uuid),
      name: leg.recordName ?? req.pressedBy.recordName,
      extension: extensionFor(options, leg.recordFormat ?? req.pressedBy.recordFormat),
      now: new Date((this.deps.now ?? Date.now)()),
    });
    const started = await recorder.start(req.call, leg, named, { ...options, stereo: true, minSeconds: 0 }, {
      onDemand: true,
      reasons: [`*3 on-demand by ${who}`],
      user: req.user,
      device: req.pressedBy.device,
      startedBy: 'on-demand',
    });
    return started ? 'started' : 'ignored';
  }
}
