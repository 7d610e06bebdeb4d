/**
 * The lifecycle's part in a running daemon (src/app.ts): storage.object_lock: require checked at start,
 * and the retention schedule under the cluster lock.
 */
import type { FsrecdConfig, StorageConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingIndex } from '../recordings/index-store';
import { objectLifecycleOf, type ObjectLockSupport } from '../storage/object-lifecycle';
import type { RecordingStore } from '../storage/target';
import { StorageLease, type ClusterLock } from './cluster-lock';
import type { LifecycleService, ObjectLockMode } from './lifecycle';
import { RetentionEnforcer } from './retention';

export function objectLockMode(storage: StorageConfig): ObjectLockMode {
  return storage.type === 's3' ? (storage.objectLock ?? 'auto') : 'off';
}

export class ObjectLockRequiredError extends Error {}

/**
 * Who may run retention: with a shared PostgreSQL index, its advisory lock (it dies with the holder's
 * connection); with SQLite, the lease object in the bucket the nodes share.
 */
export function retentionLock(index: RecordingIndex, store: RecordingStore): ClusterLock {
  return index.clusterLock?.('retention') ?? new StorageLease(objectLifecycleOf(store));
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * What check-config and the start say about legal holds. `problem` is set when storage.object_lock is
 * require and the bucket has no Object Lock (start and check-config refuse then).
 */
export async function describeObjectLock(storage: StorageConfig, probe: () => Promise<ObjectLockSupport>): Promise<{ line: string; problem?: string }> {
  const mode = objectLockMode(storage);
  if (storage.type === 'local') return { line: `storage: ${storage.dir} is a directory: legal holds are kept in the index only (no S3 Object Lock)` };
  if (mode === 'off') return { line: `storage: object_lock is off: legal holds are kept in the index only` };
  let support: ObjectLockSupport;
  try {
    // A bucket that does not answer must not hang check-config or the start.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
    });
    support = await Promise.race([probe(), timeout]).finally(() => clearTimeout(timer));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const line = `storage: cannot ask bucket ${storage.bucket} about S3 Object Lock (${why})`;
    return mode === 'require' ? { line, problem: `${line}; storage.object_lock is require` } : { line };
  }
  if (support.enabled) return { line: `storage: bucket ${storage.bucket} has S3 Object Lock: legal holds are set on the objects` };
  const line = `storage: bucket ${storage.bucket} has no S3 Object Lock: legal holds are kept in the index only`;
  return mode === 'require' ? { line, problem: `storage.object_lock is require but bucket ${storage.bucket} has no S3 Object Lock (create the bucket with Object Lock enabled, or set object_lock: auto)` } : { line };
}

export interface RetentionSideOptions {
  lifecycle: LifecycleService;
  index: RecordingIndex;
  store: RecordingStore;
  config: () => FsrecdConfig;
  log: Logger;
  metrics: Metrics;
}

/** Refuses (ObjectLockRequiredError) when object_lock is require and the bucket has none; starts the retention schedule. */
export async function startLifecycleSide(o: RetentionSideOptions): Promise<{ retention: RetentionEnforcer; stop(): Promise<void> }> {
  const cfg = o.config();
  const probe = describeObjectLock(cfg.storage, () => o.lifecycle.objectLockSupport());
  if (objectLockMode(cfg.storage) === 'require') {
    const lock = await probe;
    if (lock.problem) throw new ObjectLockRequiredError(lock.problem);
    o.log.info(lock.line.replace(/^storage: /, ''));
  } else {
    // Only said: a storage that is down must not hold the start up (recording goes on without it).
    void probe.then((lock) => o.log.info(lock.line.replace(/^storage: /, '')));
  }
  const retention = new RetentionEnforcer({ lifecycle: o.lifecycle, index: o.index, config: o.config, lock: retentionLock(o.index, o.store), log: o.log, metrics: o.metrics });
  retention.start();
  return { retention, stop: () => retention.stop() };
}
