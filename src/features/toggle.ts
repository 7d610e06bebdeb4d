/**
 * *26: a call to the toggle code flips the calling user's recording override, persists it, plays which
 * way it went and hangs up. The override is the user's rule in KAZOO's precedence (a device `off` still
 * wins; the account rule still applies) — src/policy reads it through the ToggleLookup.
 */
import type { Bus } from '../bus';
import type { Leg } from '../calls/types';
import type { FsrecdConfig, RecordMatrix, Switch } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { isToggleCall } from '../policy/toggle-call';
import { playMedia, type Api } from './media';
import { endpointOf, mayToggle } from './permissions';
import { Subscriptions, type Feature } from './subscriptions';

export interface ToggleState {
  get(domain: string, user: string): Switch | undefined;
  set(domain: string, user: string, value: Switch): Promise<void>;
}

export interface TogglePorts {
  api: Api;
  /** How long the confirmation plays before fsrecd hangs the call up. */
  hangupAfterMs: number;
}

export type ToggleOutcome = { result: 'on' | 'off'; user: string } | { result: 'refused'; why: string };

function anyOn(m: RecordMatrix | undefined): boolean {
  if (!m) return false;
  return [m.inbound.internal, m.inbound.external, m.outbound.internal, m.outbound.external].includes('on');
}

export class ToggleFeature implements Feature {
  /** Legs already handled: CHANNEL_ANSWER and CHANNEL_PARK both arrive for a parked *26 call. */
  readonly #handled = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #subs: Subscriptions;

  constructor(
    bus: Bus,
    private readonly config: () => FsrecdConfig,
    private readonly state: ToggleState,
    private readonly ports: TogglePorts,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('legParked', (leg) => this.#maybeHandle(leg));
    this.#subs.on('legAnswered', (leg) => this.#maybeHandle(leg));
    this.#subs.on('legGone', (leg) => void this.#handled.delete(leg.uuid));
  }

  stop(): void {
    this.#subs.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  async #maybeHandle(leg: Leg): Promise<void> {
    const cfg = this.config();
    // The caller's own leg dialled the code (the b-leg of a bridged *26 would carry the same number).
    if (!isToggleCall(cfg, leg) || leg.direction !== 'inbound') return;
    if (!leg.answered || this.#handled.has(leg.uuid)) return;
    this.#handled.add(leg.uuid);
    const outcome = await this.toggle(leg, cfg);
    const media =
      outcome.result === 'on' ? cfg.features.toggle.confirmOn : outcome.result === 'off' ? cfg.features.toggle.confirmOff : cfg.features.toggle.refused;
    await playMedia(this.ports.api, this.log, leg.uuid, media);
    this.#hangupLater(leg.uuid);
  }

  /** The confirmation plays, then the call ends (the dialplan parks it, so it would not end by itself). */
  #hangupLater(legUuid: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.ports.api(`uuid_kill ${legUuid}`).catch((err: unknown) => this.log.debug('uuid_kill after *26 failed', { leg: legUuid, error: String(err) }));
    }, this.ports.hangupAfterMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Flips the override of the user behind this leg; exported for tests and the CLI. */
  async toggle(leg: Leg, cfg: FsrecdConfig): Promise<ToggleOutcome> {
    const ep = endpointOf(cfg, leg);
    const refuse = (why: string): ToggleOutcome => {
      this.metrics.inc('fsrecd_feature_refused_total', 'Feature codes refused by permissions', { code: 'toggle' });
      this.log.warn('*26 refused', { leg: leg.uuid, device: ep.device, user: ep.userId, why });
      return { result: 'refused', why };
    };
    if (!ep.userId) return refuse('the calling device is not an authenticated directory user');
    if (!ep.user && cfg.features.toggle.unknownUser === 'refuse') return refuse(`user ${ep.userId} is not in the configuration`);
    if (!mayToggle(ep)) return refuse('call_record_toggle_enabled is false');
    const domain = ep.account.domain;
    const current = this.state.get(domain, ep.userId) ?? (anyOn(ep.user?.record) ? 'on' : 'off');
    const next: Switch = current === 'on' ? 'off' : 'on';
    try {
      await this.state.set(domain, ep.userId, next);
    } catch (err) {
      this.log.error('could not persist the *26 toggle', { user: ep.userId, error: String(err) });
      return refuse('the toggle could not be saved');
    }
    this.metrics.inc('fsrecd_toggles_total', '*26 toggles', { result: next });
    this.log.info('*26 toggled', { domain, user: ep.userId, device: ep.device, recording: next });
    return { result: next, user: ep.userId };
  }
}
