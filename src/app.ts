/**
 * The composition root: builds the daemon's parts from a configuration and wires reload and stop.
 * Used by `fsrecd run` (with a watched config file) and by `fsrecd demo` (with an embedded one).
 */
import type { FsrecdConfig } from './config/types';
import type { ConfigWatcher } from './config/watcher';
import { reloadScope } from './config/reload-scope';
import { Daemon, ESL_EVENTS } from './daemon';
import { createEslClient } from './esl/client';
import type { EslClient } from './esl/types';
import type { Logger } from './log';
import { Metrics } from './metrics';
import { recordingNamer } from './naming/name-recording';
import { decideRecording } from './policy/decide';
import type { NamePath } from './naming/naming-port';
import type { Spool } from './spool/spool';
import { ToggleStore } from './state/toggle-store';
import { Access } from './http/access';
import { startHttp } from './http/server';
import type { RecordingIndex } from './recordings/index-store';
import type { RecordingStore } from './storage/target';
import { faultsFromEnv, type Faults } from './durability/faults';
import { openSpoolSide } from './wiring/spool-side';
import { HookDispatcher } from './hooks/dispatcher';
import { Bus } from './bus';
import { AnnouncementFeature } from './features/announcement';
import { FeatureCodes } from './features/feature-codes';
import { OnDemandFeature } from './features/on-demand';
import { PauseFeature } from './features/pause';
import type { Feature } from './features/subscriptions';
import { ToggleFeature, type ToggleState } from './features/toggle';
import type { Recorder } from './recorder/recorder';
import { TransferFollowFeature } from './features/transfer-follow';
import { createLifecycle } from './lifecycle/lifecycle';
import { journalLocalCopies } from './lifecycle/local-copies';
import { objectLockMode, startLifecycleSide } from './lifecycle/daemon-side';
import { serviceNotifierFromEnv } from './systemd/service-notifier';

export interface Fsrecd {
  daemon: Daemon;
  spool: Spool;
  esl: EslClient;
  toggles: ToggleStore;
  metrics: Metrics;
  index: RecordingIndex;
  store: RecordingStore;
  /** Hand-off hooks: the deliveries of stored recordings to webhooks and commands. */
  hooks: HookDispatcher;
  /** The HTTP listener's address, when one is configured. */
  httpAddress(): { host: string; port: number } | undefined;
  config(): FsrecdConfig;
  /** Stops new work, lets uploads in flight finish within graceMs, closes the ESL session. */
  stop(graceMs: number): Promise<void>;
}

export interface StartOptions {
  config: FsrecdConfig;
  watcher?: ConfigWatcher;
  log: Logger;
  metrics?: Metrics;
  toggleHangupAfterMs?: number;
  /** Crash and error injection at the numbered durable steps (tests only; default: from the environment). */
  faults?: Faults;
}

export interface FeatureParts {
  bus: Bus;
  config: () => FsrecdConfig;
  recorder: Recorder;
  toggles: ToggleState;
  namePath: NamePath;
  api: (command: string) => Promise<string>;
  log: Logger;
  metrics: Metrics;
  /** How long the *26 confirmation plays before fsrecd hangs the call up. */
  toggleHangupAfterMs?: number;
}

/** Every feature, subscribed to the bus: *26, *3, pause, the announcement, transfer following. */
export function startFeatures(p: FeatureParts): { features: Feature[]; featureCodes: FeatureCodes } {
  const featureCodes = new FeatureCodes(p.bus, p.config, p.log);
  const features: Feature[] = [
    featureCodes,
    new ToggleFeature(p.bus, p.config, p.toggles, { api: p.api, hangupAfterMs: p.toggleHangupAfterMs ?? 1500 }, p.log, p.metrics),
    new OnDemandFeature(p.bus, { config: p.config, recorder: p.recorder, namePath: p.namePath, api: p.api, log: p.log, metrics: p.metrics }),
    new PauseFeature(p.bus, p.config, p.recorder, p.log),
    new AnnouncementFeature(p.bus, p.api, p.log),
    new TransferFollowFeature(p.bus, { recorder: p.recorder, namePath: p.namePath, log: p.log }),
  ];
  for (const feature of features) feature.start();
  return { features, featureCodes };
}

export async function startFsrecd(opts: StartOptions): Promise<Fsrecd> {
  const { log } = opts;
  const metrics = opts.metrics ?? new Metrics();
  let cfg = opts.config;
  const config = (): FsrecdConfig => cfg;
  const faults = opts.faults ?? faultsFromEnv();
  // Type=notify under systemd (NOTIFY_SOCKET set), else undefined; its watchdog ticks from here on.
  const systemd = serviceNotifierFromEnv(process.env, log);
  // One bus from the first ESL event to the stored object: registry, recorder, features and spool share it.
  const bus = new Bus();
  // Late-bound: the spool (opened first, it takes the lock) asks the daemon built after it.
  const late: { daemon?: Daemon } = {};
  const { target, index, spool } = await openSpoolSide({
    config: cfg,
    log,
    metrics,
    faults,
    bus,
    recordedPaths: () => late.daemon?.recordedPaths() ?? Promise.resolve(undefined),
    recorderFollows: (path) => late.daemon?.recorder.follows(path) ?? false,
  });
  // Hooks hear every durable "stored" and, at open, catch up on those a crash kept from them.
  const hooks = new HookDispatcher({ hooks: cfg.hooks ?? [], stateDir: cfg.stateDir, store: target, storageType: cfg.storage.type, urlExpirySeconds: cfg.http.urlExpirySeconds, log, metrics, faults });
  bus.on('stored', (e) => hooks.onStored(e));
  await hooks.open({ stored: () => [...spool.journal.entries.values()].filter((e) => e.state === 'stored' && spool.journal.durableState(e.id) === 'stored'), has: (id) => spool.journal.entries.has(id) });
  if (index.rebuilt) log.warn('recordings index was from another version and is rebuilt from the journal; run fsrecd recordings reindex to add what only storage knows', { index: index.location });
  const toggles = await ToggleStore.open(cfg.stateDir, log, faults);
  let namePath: NamePath = recordingNamer(cfg);
  const esl = createEslClient(
    {
      host: cfg.esl.host,
      port: cfg.esl.port,
      password: cfg.esl.password.reveal(),
      events: ESL_EVENTS,
      connectTimeoutMs: cfg.esl.connectTimeoutMs,
      apiTimeoutMs: cfg.esl.apiTimeoutMs,
      reconnectMinMs: cfg.esl.reconnectMinMs,
      reconnectMaxMs: cfg.esl.reconnectMaxMs,
      heartbeatTimeoutMs: cfg.esl.heartbeatTimeoutMs,
    },
    log,
  );
  const names: NamePath = (req) => namePath(req);
  const daemon = new Daemon({ config, esl, sink: spool, decide: (call) => decideRecording(cfg, call, toggles.lookup), namePath: names, log, metrics, bus });
  late.daemon = daemon;
  const { features, featureCodes } = startFeatures({ bus, config, recorder: daemon.recorder, toggles, namePath: names, api: (c) => esl.api(c), log, metrics, toggleHangupAfterMs: opts.toggleHangupAfterMs });
  opts.watcher?.on('reloaded', (next: FsrecdConfig) => {
    // ESL endpoint, spool, storage, hooks, listener and index changes need a restart (config/reload-scope.ts).
    const scope = reloadScope(cfg, next);
    for (const what of scope.needRestart) log.warn(`${what} changed: takes effect at the next restart`);
    cfg = scope.inForce;
    namePath = recordingNamer(cfg);
    daemon.reconfigure(cfg);
    featureCodes.reconfigure(cfg);
  });
  await spool.start();
  void esl.start();
  const access = new Access({ tokensFile: cfg.http.tokensFile, usersFile: cfg.http.usersFile }, log);
  opts.watcher?.on('reloaded', () => access.setFiles({ tokensFile: cfg.http.tokensFile, usersFile: cfg.http.usersFile }));
  // Deletes, holds and the audit trail: the HTTP API acts through it (and audits every read through it).
  const lifecycle = createLifecycle({ index, store: target, log, metrics, faults, localCopies: journalLocalCopies(spool.journal, log), objectLock: objectLockMode(cfg.storage) });
  // storage.object_lock: require is checked here (start refuses without it); retention runs on its schedule.
  const lifecycleSide = await startLifecycleSide({ lifecycle, index, store: target, config, log, metrics });
  const http = cfg.http.listen
    ? await startHttp({
        listen: cfg.http.listen,
        metrics,
        log,
        access,
        recordings: { index, store: target, log, lifecycle, urlExpirySeconds: () => cfg.http.urlExpirySeconds },
        metricsWithoutAuth: () => cfg.http.metricsWithoutAuth,
        tls: cfg.http.tls,
        maxBacklogFiles: cfg.upload.healthMaxBacklog,
        health: () => {
          const s = spool.status();
          return { eslConnected: esl.connected, backlogFiles: s.backlogFiles, oldestAgeSeconds: s.oldestAgeSeconds, problems: s.problems, hooks: hooks.status() };
        },
      })
    : undefined;
  // READY=1 once the event socket is up too (or FreeSWITCH did not answer in time: see src/systemd/).
  systemd?.running({ esl, freeswitch: `${cfg.esl.host}:${cfg.esl.port}`, readyWaitMs: cfg.esl.connectTimeoutMs, spool, liveCalls: () => daemon.registry.callCount, watcher: opts.watcher });
  log.info('fsrecd started', { freeswitch: `${cfg.esl.host}:${cfg.esl.port}`, spool: cfg.spoolDir, storage: target.describe() });
  return {
    daemon,
    spool,
    esl,
    toggles,
    metrics,
    index,
    store: target,
    hooks,
    config,
    httpAddress: () => {
      const a = http?.address();
      return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
    },
    stop: async (graceMs) => {
      systemd?.stopping();
      daemon.stopAccepting();
      for (const feature of features) feature.stop();
      // A delivery cut short is tried again at the next start (at least once); it never delays the uploads' grace.
      await hooks.stop(Math.min(graceMs, 2000));
      await lifecycleSide.stop();
      await spool.stop(graceMs);
      await esl.close();
      await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
      await opts.watcher?.stop();
      await index.close();
      await systemd?.close(2000);
    },
  };
}
