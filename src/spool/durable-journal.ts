/**
 * Journal writes that must land. A write that fails (disk full, I/O error) is retried with backoff in the
 * background until it does, and shows in the spool's status meanwhile; nothing that depends on it (deleting
 * the local copy) goes ahead before it lands. The waits between retries are cut short by stop() and by
 * `fsrecd sync` (wake()).
 */
import { isSimulatedCrash } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { retryDelay } from '../util/backoff';
import type { Journal, JournalEntry } from './journal';

/** An entry whose latest state is not on disk yet. */
export interface WriteFailure {
  since: number;
  error: string;
  attempts: number;
}

export interface DurableJournalOptions {
  /** Named in the log when a write fails (the operator's place to look). */
  stateDir: string;
  retryMinMs: number;
  retryMaxMs: number;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  /** False once the spool stops: retries end after one last try and waits end at once. */
  running: () => boolean;
}

export class DurableJournal {
  readonly #failures = new Map<string, WriteFailure>();
  readonly #retries = new Map<string, Promise<void>>();
  readonly #sleepers = new Set<() => void>();

  constructor(
    readonly journal: Journal,
    private readonly opts: DurableJournalOptions,
  ) {}

  /**
   * Puts the entry in the journal. Resolves once it is durable or its first write failed; a failed write
   * is retried with backoff in the background until it lands, and shows in status() meanwhile.
   */
  async persist(e: JournalEntry): Promise<boolean> {
    try {
      await this.journal.put(e);
      this.#writeSucceeded(e.id);
      return true;
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      this.#writeFailed(e.id, err);
      void this.#retryWrite(e.id);
      return false;
    }
  }

  /** Resolves only once the entry's latest state is on disk (or the spool stopped). */
  async durable(id: string): Promise<boolean> {
    const retry = this.#retries.get(id);
    if (!retry) {
      try {
        await this.journal.flush(id);
        this.#writeSucceeded(id);
        return true;
      } catch (err) {
        if (isSimulatedCrash(err)) throw err;
        this.#writeFailed(id, err);
      }
    }
    await this.#retryWrite(id);
    return !this.#failures.has(id);
  }

  /** The entry's latest state could not be written yet. */
  failing(id: string): boolean {
    return this.#failures.has(id);
  }

  failures(): WriteFailure[] {
    return [...this.#failures.values()];
  }

  /** The retries running now (stop() gives them its grace period). */
  retries(): Array<Promise<void>> {
    return [...this.#retries.values()];
  }

  /** Ends every wait between retries now: stop() (one last try) and `fsrecd sync` (try now). */
  wake(): void {
    for (const wake of [...this.#sleepers]) wake();
  }

  #retryWrite(id: string): Promise<void> {
    let p = this.#retries.get(id);
    if (p) return p;
    p = (async () => {
      for (let attempt = 1; this.#failures.has(id); attempt++) {
        // Stopping: one last try; a restart finds the older state on disk and redoes the step from there.
        if (!this.opts.running() && attempt > 1) return;
        await this.#sleep(retryDelay(attempt, this.opts.retryMinMs, this.opts.retryMaxMs));
        try {
          await this.journal.flush(id);
          this.#writeSucceeded(id);
        } catch (err) {
          if (isSimulatedCrash(err)) return;
          this.#writeFailed(id, err);
        }
      }
    })().finally(() => this.#retries.delete(id));
    this.#retries.set(id, p);
    return p;
  }

  /** A wait that wake() cuts short. */
  #sleep(ms: number): Promise<void> {
    if (!this.opts.running()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.#sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      t.unref();
      this.#sleepers.add(wake);
    });
  }

  #writeFailed(id: string, err: unknown): void {
    const error = `journal write failed in ${this.journal.dir}: ${err instanceof Error ? err.message : String(err)}`;
    const prev = this.#failures.get(id);
    this.#failures.set(id, { since: prev?.since ?? this.opts.now(), error, attempts: (prev?.attempts ?? 0) + 1 });
    this.opts.metrics.inc('fsrecd_journal_write_failures_total', 'Journal writes that failed (retried until they land)');
    if (!prev) this.opts.log.error('journal write failed; retrying until it lands (nothing is deleted meanwhile)', { recording: id, stateDir: this.opts.stateDir, error });
  }

  #writeSucceeded(id: string): void {
    if (this.#failures.delete(id)) this.opts.log.info('journal write landed after retries', { recording: id });
  }
}
