/**
 * The retention enforcer: on the daemon's schedule (or once from `fsrecd retention --run`), deletes the
 * stored, unheld recordings whose time is up, through the lifecycle (object, metadata object, local copy,
 * tombstone, audit), under the cluster lock so nodes sharing a bucket never run it at once.
 */
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingIndex } from '../recordings/index-store';
import type { RecordingEntry } from '../recordings/types';
import type { ClusterLock } from './cluster-lock';
import type { LifecycleService } from './lifecycle';
import { describeRule, expiresAtMs, retentionRuleFor, shortestRetentionDays, type RetentionRule } from './retention-policy';

export interface RetentionItem {
  entry: RecordingEntry;
  rule: RetentionRule;
  /** ISO 8601 UTC. */
  expiresAt: string;
  bytes: number;
}

export interface RetentionReport {
  dryRun: boolean;
  /** False when another node (or process) holds the lock: this run did nothing. */
  ran: boolean;
  /** What would go (dry run) or what went. */
  items: RetentionItem[];
  /** Recordings whose object this run deleted. */
  deleted: number;
  /** Recordings only marked deleted: their object was already gone (another node's index deleted it first). */
  alreadyGone: number;
  bytes: number;
  errors: number;
}

export interface RetentionOptions {
  lifecycle: LifecycleService;
  index: RecordingIndex;
  config: () => FsrecdConfig;
  lock: ClusterLock;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** The scheduled first run waits this long after start() (default a minute, or the interval if shorter). */
  firstRunDelayMs?: number;
}

const DAY_MS = 86_400_000;
const PAGE = 500;

export class RetentionEnforcer {
  readonly #o: RetentionOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionReport> | undefined;
  #stopped = false;

  constructor(o: RetentionOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /**
   * The expired recordings, oldest first, at most `limit`. Only entries in state 'stored' are candidates: a
   * file the spool has not finished with is never retention's.
   */
  async plan(limit: number): Promise<RetentionItem[]> {
    const cfg = this.#o.config();
    const shortest = shortestRetentionDays(cfg);
    if (shortest === undefined) return [];
    const now = this.#now();
    const items: RetentionItem[] = [];
    // Nothing that started after now - shortest can be due under any rule.
    let page = await this.#o.index.retentionCandidates(now - shortest * DAY_MS, PAGE);
    for (;;) {
      for (const entry of page.entries) {
        const rule = retentionRuleFor(cfg, entry);
        if (!rule) continue;
        const at = expiresAtMs(entry, rule);
        if (at > now) continue;
        items.push({ entry, rule, expiresAt: new Date(at).toISOString(), bytes: entry.size ?? 0 });
        if (items.length >= limit) return items;
      }
      if (!page.next) return items;
      page = await this.#o.index.retentionCandidates(now - shortest * DAY_MS, PAGE, page.next);
    }
  }

  /** One pass; never two at once in this process (a second call gets the first's report). */
  runOnce(opts: { dryRun?: boolean } = {}): Promise<RetentionReport> {
    if (opts.dryRun) return this.#dryRun();
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #dryRun(): Promise<RetentionReport> {
    const items = await this.plan(Number.MAX_SAFE_INTEGER);
    return { dryRun: true, ran: true, items, deleted: 0, alreadyGone: 0, bytes: items.reduce((a, i) => a + i.bytes, 0), errors: 0 };
  }

  async #run(): Promise<RetentionReport> {
    const { log, metrics, lock } = this.#o;
    const report: RetentionReport = { dryRun: false, ran: false, items: [], deleted: 0, alreadyGone: 0, bytes: 0, errors: 0 };
    const batch = this.#o.config().retention?.batch ?? 1000;
    // No rule anywhere: nothing can expire, and the lease is not worth a request.
    if (shortestRetentionDays(this.#o.config()) === undefined) return report;
    try {
      if (!(await lock.acquire())) {
        log.debug('retention: another node holds the lock; not running', { lock: lock.describe() });
        return report;
      }
    } catch (err) {
      metrics?.inc('fsrecd_retention_errors_total', 'Retention deletions or runs that failed');
      log.error('retention: cannot take the cluster lock; not running', { lock: lock.describe(), error: String(err) });
      report.errors++;
      return report;
    }
    report.ran = true;
    try {
      const due = await this.plan(batch);
      for (const [n, item] of due.entries()) {
        if (this.#stopped) break;
        // The lease is renewed as the run goes, so a long run keeps it (and learns if it lost it).
        if (n > 0 && n % 100 === 0 && !(await lock.acquire())) {
          log.warn('retention: lost the cluster lock during a run; stopping', { lock: lock.describe() });
          break;
        }
        try {
          const removal = await this.#o.lifecycle.retentionDelete(item.entry, describeRule(item.rule));
          if (!removal) continue;
          report.items.push(item);
          if (!removal.objectExisted) {
            // Counted where the bytes really went: another node deleted it, this index only learns it now.
            report.alreadyGone++;
            continue;
          }
          report.deleted++;
          report.bytes += removal.bytes;
          metrics?.inc('fsrecd_retention_deleted_total', 'Recordings deleted by retention');
          metrics?.inc('fsrecd_retention_deleted_bytes_total', 'Bytes of recordings deleted by retention', undefined, removal.bytes);
        } catch (err) {
          report.errors++;
          metrics?.inc('fsrecd_retention_errors_total', 'Retention deletions or runs that failed');
          log.error('retention: deletion failed; retried at the next run', { recording: item.entry.id, key: item.entry.key, error: String(err) });
        }
      }
      if (report.deleted || report.alreadyGone || report.errors) log.info('retention run', { deleted: report.deleted, alreadyGone: report.alreadyGone, bytes: report.bytes, errors: report.errors, more: due.length >= batch });
    } finally {
      await lock.release().catch((err: unknown) => log.warn('retention: releasing the cluster lock failed (it expires by itself)', { error: String(err) }));
      metrics?.set('fsrecd_retention_last_run_timestamp_seconds', 'When this node last ran retention (unix seconds)', Math.floor(this.#now() / 1000));
    }
    return report;
  }

  /** Runs now and then every retention.interval (read again before each wait: a reload changes it). */
  start(): void {
    if (!this.#o.config().retention) return;
    this.#stopped = false;
    const tick = (): void => {
      if (this.#stopped) return;
      void this.runOnce().catch((err: unknown) => this.#o.log.error('retention run failed', { error: String(err) })).finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(tick, this.#o.config().retention?.intervalMs ?? 3_600_000);
        this.#timer.unref();
      });
    };
    // The first run a little after the start (not competing with the resync and the backlog), then every interval.
    this.#timer = setTimeout(tick, Math.min(this.#o.config().retention?.intervalMs ?? 3_600_000, this.#o.firstRunDelayMs ?? 60_000));
    this.#timer.unref();
  }

  /** Stops the schedule; a run in flight stops at its next recording. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
