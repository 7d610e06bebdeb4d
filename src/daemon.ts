/**
 * The core: ESL events -> call registry -> bus -> recorder; after every (re)connect, the resync. It is
 * handed its collaborators (ESL client, storage sink, decision and naming functions, the bus the features
 * share) by the composition root (src/app.ts), so tests can run it against the simulator as is.
 */
import { Bus } from './bus';
import { CallRegistry } from './calls/registry';
import { dumpLiveChannels } from './calls/resync';
import type { FsrecdConfig } from './config/types';
import { EslCommandError, type EslClient, type EslEvent } from './esl/types';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import type { Decision } from './policy/types';
import type { Call } from './calls/types';
import type { NamePath } from './naming/naming-port';
import { Recorder } from './recorder/recorder';
import type { RecordingSink } from './model/recording';
import { mediaBugTargets } from './recorder/media-bugs';

/** The channel events fsrecd needs; nothing else is subscribed, to keep FreeSWITCH's and our load low. */
export const ESL_EVENTS = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_PARK',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP_COMPLETE',
  'DTMF',
  'RECORD_START',
  'RECORD_STOP',
  'BACKGROUND_JOB',
] as const;

export interface DaemonParts {
  config: () => FsrecdConfig;
  esl: EslClient;
  sink: RecordingSink;
  decide: (call: Call) => Decision;
  namePath: NamePath;
  log: Logger;
  metrics: Metrics;
  /** The bus the composition root shares with the spool and the features (a new one when absent). */
  bus?: Bus;
}

export class Daemon {
  readonly bus: Bus;
  readonly registry: CallRegistry;
  readonly recorder: Recorder;
  #resyncing: Promise<void> | undefined;
  #eventsSeen = 0;
  #eventFailures = 0;

  constructor(private readonly parts: DaemonParts) {
    const { config, esl, log, metrics } = parts;
    this.bus = parts.bus ?? new Bus();
    // One bad event or a failing handler costs that event, never the process: counted, logged once per kind.
    this.bus.onError((f) => {
      metrics.inc('fsrecd_event_errors_total', 'Bus listeners that threw or rejected (the event was dropped for that listener)', { event: f.event });
      if (f.shouldLog) {
        log.error('an event handler failed; the daemon goes on', { event: f.event, how: f.how, error: f.error instanceof Error ? f.error.message : String(f.error), excerpt: f.excerpt, failures: f.count, suppressed: f.suppressed });
      }
    });
    const cfg = config();
    this.registry = new CallRegistry(this.bus, variableNames(cfg));
    const api = (command: string): Promise<string> => esl.api(command);
    this.recorder = new Recorder({
      bus: this.bus,
      api,
      config,
      decide: parts.decide,
      namePath: parts.namePath,
      sink: parts.sink,
      log,
      metrics,
    });
    esl.on('event', (ev) => this.#onEvent(ev));
    esl.on('ready', () => void this.resync());
    esl.on('disconnected', (reason) => {
      metrics.set('fsrecd_esl_connected', 'ESL session up (1) or down (0)', 0);
      log.warn('FreeSWITCH event socket disconnected; reconnecting', { reason });
      this.bus.emit('eslDisconnected', reason);
    });
    esl.on('auth-failed', (message) => log.error(message));
    metrics.onCollect(() => {
      metrics.setCounter('fsrecd_esl_events_total', 'ESL events received (rate() gives events/s)', this.#eventsSeen);
      metrics.set('fsrecd_calls_live', 'Calls FreeSWITCH has up now', this.registry.callCount);
      metrics.set('fsrecd_legs_live', 'Channels FreeSWITCH has up now', this.registry.legCount);
      metrics.set('fsrecd_recordings_active', 'Recordings fsrecd started that have not ended', this.recorder.activeCount);
    });
  }

  get eventsSeen(): number {
    return this.#eventsSeen;
  }

  /** Applies a new configuration to the parts that cache derived state; recordings in progress continue. */
  reconfigure(cfg: FsrecdConfig): void {
    this.registry.setVariableNames(variableNames(cfg));
  }

  /**
   * Every file FreeSWITCH is recording now, from the media bugs of every live channel; undefined when it
   * cannot be asked (not connected, or a reply failed): the spool then waits rather than guess.
   */
  async recordedPaths(): Promise<ReadonlySet<string> | undefined> {
    const { esl } = this.parts;
    if (!esl.connected) return undefined;
    const paths = new Set<string>(this.recorder.active().map((r) => r.meta.path));
    const legs = [...this.registry.legUuids()];
    for (let i = 0; i < legs.length; i += 16) {
      const replies = await Promise.allSettled(legs.slice(i, i + 16).map((uuid) => esl.api(`uuid_buglist ${uuid}`)));
      for (const r of replies) {
        if (r.status === 'fulfilled') for (const p of mediaBugTargets(r.value)) paths.add(p);
        // A -ERR is a channel that hung up since the list: it records nothing. Anything else: unknown.
        else if (!(r.reason instanceof EslCommandError)) return undefined;
      }
    }
    return paths;
  }

  /** Rebuilds the registry from FreeSWITCH after every (re)connect; calls begun while away get decided. */
  resync(): Promise<void> {
    this.#resyncing ??= this.#resync().finally(() => (this.#resyncing = undefined));
    return this.#resyncing;
  }

  async #resync(): Promise<void> {
    const { esl, log, metrics } = this.parts;
    metrics.set('fsrecd_esl_connected', 'ESL session up (1) or down (0)', 1);
    const before = this.registry.beginResync();
    try {
      const dumps = await dumpLiveChannels((cmd) => esl.api(cmd), log);
      this.registry.replaceAll(dumps, before);
      const calls = [...this.registry.calls()];
      log.info('FreeSWITCH event socket ready; live calls re-synced', { calls: calls.length, legs: this.registry.legCount });
      this.bus.emit('resynced', calls);
    } catch (err) {
      log.error('re-sync with FreeSWITCH failed; will retry at the next connect', { error: String(err) });
    }
  }

  #onEvent(ev: EslEvent): void {
    this.#eventsSeen++;
    try {
      this.registry.apply(ev);
    } catch (err) {
      // One odd event must never take the daemon down; a stream of them must not flood the log either.
      this.#eventFailures++;
      this.parts.metrics.inc('fsrecd_event_errors_total', 'Bus listeners that threw or rejected (the event was dropped for that listener)', { event: 'registry' });
      if (this.#eventFailures <= 10 || this.#eventFailures % 1000 === 0) {
        this.parts.log.error('could not process an ESL event', { event: ev.name, uuid: ev.get('Unique-ID'), error: String(err), failures: this.#eventFailures });
      }
    }
  }

  /** Stops new work; recordings FreeSWITCH is making continue (they are FreeSWITCH's). */
  stopAccepting(): void {
    this.recorder.stopAccepting();
  }
}

function variableNames(cfg: FsrecdConfig): { recordName: string; recordFormat: string } {
  return { recordName: cfg.features.onDemand.nameVariable, recordFormat: cfg.features.onDemand.formatVariable };
}
