/**
 * The lifecycle as the command line uses it: the index (written: tombstones, holds, the audit trail), the
 * storage target, the spool journal (read for kept local copies), and the actor "cli:<unix user>" — an
 * admin by nature of being able to read the configuration and the state directory.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { FsrecdConfig } from '../config/types';
import { faultsFromEnv } from '../durability/faults';
import { objectLockMode } from '../lifecycle/daemon-side';
import { createLifecycle, type LifecycleService } from '../lifecycle/lifecycle';
import { journalLocalCopies } from '../lifecycle/local-copies';
import { LifecycleError, type Actor } from '../lifecycle/types';
import { createLogger, type Logger } from '../log';
import type { RecordingIndex } from '../recordings/index-store';
import { openIndex } from '../recordings/open-index';
import { Journal } from '../spool/journal';
import { createStorageTarget } from '../storage/create-target';
import type { RecordingStore } from '../storage/target';
import { requireConfig } from './require-config';

export interface CliLifecycle {
  cfg: FsrecdConfig;
  index: RecordingIndex;
  store: RecordingStore;
  lifecycle: LifecycleService;
  log: Logger;
  close(): Promise<void>;
}

export function cliActor(): Actor {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid ${process.getuid?.() ?? '?'}`;
  }
  return { name: `cli:${name}`, role: 'admin', from: 'cli' };
}

/** The log goes to stderr as JSON lines (the audit line among them); stdout stays for the result. */
export async function openCliLifecycle(configPath: string, opts: { withJournal?: boolean } = {}): Promise<CliLifecycle> {
  const cfg = await requireConfig(configPath);
  const log = createLogger('warn', process.stderr);
  const index = await openIndex(cfg, { existing: true, log });
  const store = createStorageTarget(cfg.storage, log);
  let localCopies;
  if (opts.withJournal !== false) {
    // Read only: the daemon owns the journal; the copy it keeps (keep_local_days) is removed by path and identity.
    const journal = new Journal(join(cfg.stateDir, 'journal'));
    await journal.load(() => undefined);
    localCopies = journalLocalCopies(journal, log);
  }
  const lifecycle = createLifecycle({ index, store, log, localCopies, objectLock: objectLockMode(cfg.storage), faults: faultsFromEnv() });
  return { cfg, index, store, lifecycle, log, close: () => index.close() };
}

/** Exit codes a script can tell apart (README "Retention, holds and audit"). */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof LifecycleError)) return 1;
  switch (err.code) {
    case 'bad-input':
      return 2;
    case 'not-found':
      return 3;
    case 'held':
    case 'deleted':
    case 'not-held':
    case 'not-stored':
      return 4;
    case 'forbidden':
      return 5;
    case 'storage':
      return 6;
  }
}

/**
 * Runs a lifecycle act: its LifecycleError is printed plainly and exits with its code. The process exits
 * when done: an S3 client's kept-alive connection would otherwise hold it open.
 */
export async function lifecycleAct(act: () => Promise<void>, close: () => Promise<void>): Promise<never> {
  try {
    await act();
  } catch (err) {
    await close();
    if (!(err instanceof LifecycleError)) throw err;
    console.error(`fsrecd: ${err.message}`);
    process.exit(exitCodeOf(err));
  }
  await close();
  process.exit(process.exitCode ?? 0);
}
