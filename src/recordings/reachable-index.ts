/**
 * A shared index the daemon does not wait for. Recording never depends on the index (the journal is the
 * record, the index is derived from it), so a PostgreSQL server that is down at start, or goes away later,
 * must not stop a single recording: the daemon starts, records and uploads, and this wrapper
 *  - connects in the background, retrying with backoff, and logs the outage once and its end once;
 *  - keeps the steps told to `follow` meanwhile (the latest per recording) and hands them over once connected
 *    (once connected, the engine itself keeps a step a dropped connection refused: see PostgresIndex);
 *  - answers every read with IndexUnavailableError while it is not connected (the API says 503), and so
 *    too when a connected database has gone away since (a connection refused or lost, not a bad query).
 * `onConnected` runs once connected: the daemon catches the index up from the journal there.
 */
import type { Metrics } from '../metrics';
import type { AuditLog, ClusterLock, IndexCounts, IndexEngine, RecordingIndex, RetentionCandidates } from './index-store';
import { isTransientDatabaseError } from './postgres/transient';
import type { AuditEvent, AuditPage, AuditQuery, ConversationPage, LegalHold, NewAuditEvent, RecordingEntry, RecordingPage, RecordingQuery, Tombstone } from './types';

export class IndexUnavailableError extends Error {
  override name = 'IndexUnavailableError';
}

export interface ReachableIndexOptions {
  engine: IndexEngine;
  location: string;
  connect: () => Promise<RecordingIndex>;
  log: { warn(msg: string, meta?: object): void; info(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  onConnected?: (index: RecordingIndex) => Promise<void>;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** fsrecd_index_reachable and fsrecd_index_steps_pending, for an alert on an index that stays behind. */
  metrics?: Metrics;
}

const PUBLISH_EVERY_MS = 5000;

export class ReachableIndex implements RecordingIndex {
  readonly engine: IndexEngine;
  readonly location: string;
  readonly rebuilt = false;
  readonly audit: AuditLog;
  onFollowError: (id: string, err: unknown) => void = () => undefined;
  #inner: RecordingIndex | undefined;
  #lastError = '';
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #delayMs: number;
  /** Steps told before the first connection: id -> how to build its latest entry. */
  readonly #held = new Map<string, () => RecordingEntry>();
  readonly #locks = new Map<string, ClusterLock>();
  #publisher: NodeJS.Timeout | undefined;

  constructor(private readonly o: ReachableIndexOptions) {
    this.engine = o.engine;
    this.location = o.location;
    this.#delayMs = o.retryMinMs ?? 1000;
    this.audit = {
      append: async (e: NewAuditEvent): Promise<AuditEvent> => this.#use((i) => i.audit.append(e)),
      page: async (q: AuditQuery): Promise<AuditPage> => this.#use((i) => i.audit.page(q)),
    };
  }

  /** Tries once now; on failure keeps trying in the background. Never throws. */
  async start(): Promise<void> {
    if (this.o.metrics) this.#publisher = setInterval(() => this.#publish(), PUBLISH_EVERY_MS).unref();
    await this.#attempt();
    this.#publish();
  }

  #publish(): void {
    this.o.metrics?.set('fsrecd_index_reachable', 'Whether the shared recordings index has answered since the start (1) or not yet (0); a later outage shows as fsrecd_index_steps_pending growing', this.#inner ? 1 : 0);
    this.o.metrics?.set('fsrecd_index_steps_pending', 'Journal steps the recordings index has not taken yet (growing: the database is away)', this.followPending);
  }

  get connected(): boolean {
    return this.#inner !== undefined;
  }

  async #attempt(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed || this.#inner) return;
    try {
      const inner = await this.o.connect();
      if (this.#closed) {
        await inner.close();
        return;
      }
      inner.onFollowError = (id, err) => this.onFollowError(id, err);
      this.#inner = inner;
      this.#delayMs = this.o.retryMinMs ?? 1000;
      if (this.#lastError) this.o.log.info('recordings index reachable again', { index: this.location });
      this.#lastError = '';
      this.#handOver();
      // Not awaited: the start goes on while the catch-up runs (it may wait for the journal to be loaded).
      void this.o.onConnected?.(inner).catch((err: unknown) => this.o.log.error('recordings index catch-up from the journal failed', { index: this.location, error: String(err) }));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      // Said once per outage (and when the reason changes), not at every retry.
      if (why !== this.#lastError) this.o.log.error('recordings index unreachable: recording goes on; the index catches up when it is back', { index: this.location, error: why });
      this.#lastError = why;
      this.#timer = setTimeout(() => void this.#attempt(), this.#delayMs).unref();
      this.#delayMs = Math.min(this.#delayMs * 2, this.o.retryMaxMs ?? 30_000);
    }
  }

  /** Hands the steps kept while not connected to the index, in the order they were told. */
  #handOver(): void {
    const inner = this.#inner;
    if (!inner) return;
    for (const [id, build] of this.#held) inner.follow(id, build);
    this.#held.clear();
  }

  follow(id: string, build: () => RecordingEntry): void {
    if (this.#inner) return this.#inner.follow(id, build);
    this.#held.delete(id);
    this.#held.set(id, build);
  }

  get followPending(): number {
    return this.#held.size + (this.#inner?.followPending ?? 0);
  }

  #connected(): RecordingIndex {
    if (this.#inner) return this.#inner;
    throw new IndexUnavailableError(`the recordings index (${this.location}) is not reachable${this.#lastError ? `: ${this.#lastError}` : ''}`);
  }

  /**
   * A call on the connected index. The database can go away after the connection was made: that failure
   * is the same outage as one at start (the API says 503, try again shortly), not a fault of the daemon.
   */
  async #use<T>(call: (inner: RecordingIndex) => Promise<T>): Promise<T> {
    const inner = this.#connected();
    try {
      return await call(inner);
    } catch (err) {
      if (isTransientDatabaseError(err)) throw new IndexUnavailableError(`the recordings index (${this.location}) is not reachable: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  async flush(): Promise<void> {
    return this.#use((i) => i.flush());
  }
  async upsert(e: RecordingEntry): Promise<void> {
    return this.#use((i) => i.upsert(e));
  }
  async upsertMany(entries: Iterable<RecordingEntry>): Promise<number> {
    return this.#use((i) => i.upsertMany(entries));
  }
  async staleOf(entries: Iterable<RecordingEntry>): Promise<RecordingEntry[]> {
    return this.#use((i) => i.staleOf(entries));
  }
  async get(id: string): Promise<RecordingEntry | undefined> {
    return this.#use((i) => i.get(id));
  }
  async query(q: RecordingQuery): Promise<RecordingPage> {
    return this.#use((i) => i.query(q));
  }
  async conversations(q: RecordingQuery): Promise<ConversationPage> {
    return this.#use((i) => i.conversations(q));
  }
  async segmentsOf(conversationId: string, tenant?: string): Promise<RecordingEntry[]> {
    return this.#use((i) => i.segmentsOf(conversationId, tenant));
  }
  async counts(): Promise<IndexCounts> {
    return this.#use((i) => i.counts());
  }
  async markDeleted(id: string, tombstone: Tombstone): Promise<RecordingEntry | undefined> {
    return this.#use((i) => i.markDeleted(id, tombstone));
  }
  async setHold(id: string, hold: LegalHold | undefined): Promise<RecordingEntry | undefined> {
    return this.#use((i) => i.setHold(id, hold));
  }
  async retentionCandidates(startedBeforeMs: number, limit: number, after?: { startedMs: number; seq: number }): Promise<RetentionCandidates> {
    return this.#use((i) => i.retentionCandidates(startedBeforeMs, limit, after));
  }
  async beginGeneration(): Promise<number> {
    return this.#use((i) => i.beginGeneration());
  }
  async endGeneration(gen: number): Promise<number> {
    return this.#use((i) => i.endGeneration(gen));
  }
  async optimize(): Promise<void> {
    return this.#use((i) => i.optimize());
  }

  /** The inner index's lock once connected; until then nobody here holds it (acquire says no). */
  clusterLock(name: string): ClusterLock {
    const lockOf = (): ClusterLock | undefined => {
      const inner = this.#inner;
      if (!inner?.clusterLock) return undefined;
      let lock = this.#locks.get(name);
      if (!lock) {
        lock = inner.clusterLock(name);
        this.#locks.set(name, lock);
      }
      return lock;
    };
    return {
      acquire: async () => {
        const lock = lockOf();
        if (!lock) throw new IndexUnavailableError(`the recordings index (${this.location}) is not reachable: lock ${name} cannot be taken`);
        return this.#use(() => lock.acquire());
      },
      release: async () => lockOf()?.release(),
      describe: () => `advisory lock ${name} in ${this.location}`,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#publisher) clearInterval(this.#publisher);
    this.#handOver();
    if (this.#held.size) this.o.log.warn('recordings index: steps not written before stopping; the next start catches up from the journal', { index: this.location, steps: this.#held.size });
    await this.#inner?.close();
  }
}
