/**
 * The spool side of fsrecd, opened one way for the daemon (src/app.ts) and for the commands that work on
 * the journal offline (fsrecd status, sync): the storage target, the recordings index, the spool over the
 * journal, and the index kept in step with the journal: told of every entry once it is durable (the daemon's
 * in batches), and
 * caught up once at open with what happened while nothing was listening (or after the index was removed).
 */
import { hostname } from 'node:os';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { entryFromJournal } from '../recordings/entry-from';
import type { RecordingIndex } from '../recordings/index-store';
import { syncIndexFromJournal } from '../recordings/journal-sync';
import { indexLocation, openIndex } from '../recordings/open-index';
import { ReachableIndex } from '../recordings/reachable-index';
import type { Journal } from '../spool/journal';
import type { Bus } from '../bus';
import type { JournalEntry } from '../spool/journal';
import { Spool, type SpoolOptions } from '../spool/spool';
import { createStorageTarget } from '../storage/create-target';
import type { RecordingStore } from '../storage/target';

/** The daemon passes faults and its recorder's hooks; a read-only command turns the lock off. */
export interface SpoolSideOptions extends Pick<SpoolOptions, 'faults' | 'lock' | 'recordedPaths' | 'recorderFollows'> {
  config: FsrecdConfig;
  log: Logger;
  metrics: Metrics;
  /** The daemon's bus: each durable journal step is said there (`journaled`, `stored`), and the index follows it. */
  bus?: Bus;
}

export interface SpoolSide {
  target: RecordingStore;
  index: RecordingIndex;
  spool: Spool;
}

export async function openSpoolSide(opts: SpoolSideOptions): Promise<SpoolSide> {
  const { config: cfg, log } = opts;
  const target = createStorageTarget(cfg.storage, log);
  // The daemon records, and fsrecd sync uploads, whether or not a shared index database answers (see ReachableIndex).
  let journalLoaded: (j: Journal) => void = () => undefined;
  const loaded = new Promise<Journal>((resolve) => (journalLoaded = resolve));
  let catchUp: Promise<void> = Promise.resolve();
  const shared = cfg.index?.type === 'postgres';
  const index: RecordingIndex = shared
    ? new ReachableIndex({
        engine: 'postgres',
        location: indexLocation(cfg),
        connect: () => openIndex(cfg, { log }),
        log,
        metrics: opts.metrics,
        onConnected: (inner) => {
          catchUp = loaded.then((journal) => syncIndexFromJournal(inner, journal)).then(() => undefined);
          return catchUp;
        },
      })
    : await openIndex(cfg, { log });
  if (index instanceof ReachableIndex) await index.start();
  // The journal is the record; the index is caught up from it at the next open (or by reindex).
  const failed = (id: string, err: unknown): void => {
    log.error('recordings index update failed', { recording: id, error: String(err) });
  };
  index.onFollowError = failed;
  // Written in batches, off the event path (see RecordingIndex.follow; the entry is built only for a
  // recording's last step in the batch); a command's close writes what is left.
  const follow = (e: JournalEntry): void => index.follow(e.id, () => entryFromJournal(e));
  opts.bus?.on('journaled', follow);
  const spool = await Spool.open({
    stateDir: cfg.stateDir,
    spoolDir: cfg.spoolDir,
    upload: cfg.upload,
    target,
    log,
    metrics: opts.metrics,
    faults: opts.faults,
    lock: opts.lock,
    excludeDirs: [cfg.stateDir, ...(cfg.storage.type === 'local' ? [cfg.storage.dir] : [])],
    recordedPaths: opts.recordedPaths,
    recorderFollows: opts.recorderFollows,
    // fsrecd runs beside its FreeSWITCH, whose FreeSWITCH-Hostname is this host's name.
    node: hostname(),
    onJournal: (e) => (opts.bus ? opts.bus.emit('journaled', e) : follow(e)),
    onStored: (e) => opts.bus?.emit('stored', e),
  });
  journalLoaded(spool.journal);
  if (!shared) await syncIndexFromJournal(index, spool.journal);
  // A command closes the index soon after: the catch-up (if the database answered) finishes first. The daemon goes on.
  else if (!opts.bus) await catchUp.catch(() => undefined);
  return { target, index, spool };
}
