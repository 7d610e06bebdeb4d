/**
 * The spool side of fsrecd, opened one way for the daemon (src/app.ts) and for the commands that work on
 * the journal offline (fsrecd status, sync): the storage target, the recordings index, the spool over the
 * journal, and the index kept in step with the journal: told of every entry once it is durable (the daemon's
 * in batches), and
 * caught up once at open with what happened while nothing was listening (or after the index was removed).
 */
import { join } from 'node:path';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { entryFromJournal } from '../recordings/entry-from';
import { RecordingIndex } from '../recordings/index-db';
import { syncIndexFromJournal } from '../recordings/journal-sync';
import type { Bus } from '../bus';
import type { JournalEntry } from '../spool/journal';
import { Spool, type SpoolOptions } from '../spool/spool';
import { createStorageTarget } from '../storage/create-target';
import type { RecordingStore } from '../storage/target';

export function indexPath(stateDir: string): string {
  return join(stateDir, 'recordings.sqlite');
}

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
  const index = RecordingIndex.open(indexPath(cfg.stateDir));
  // The journal is the record; the index is caught up from it at the next open (or by reindex).
  const failed = (id: string, err: unknown): void => {
    log.error('recordings index update failed', { recording: id, error: String(err) });
  };
  index.onFollowError = failed;
  // A command (sync) writes each step at once: it may exit without closing the index.
  const follow = (e: JournalEntry): void => {
    try {
      index.upsert(entryFromJournal(e));
    } catch (err) {
      failed(e.id, err);
    }
  };
  // The daemon writes them in batches, off the event path (see RecordingIndex.follow; the entry is built
  // only for a recording's last step in the batch).
  opts.bus?.on('journaled', (e) => index.follow(e.id, () => entryFromJournal(e)));
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
    onJournal: (e) => (opts.bus ? opts.bus.emit('journaled', e) : follow(e)),
    onStored: (e) => opts.bus?.emit('stored', e),
  });
  syncIndexFromJournal(index, spool.journal);
  return { target, index, spool };
}
