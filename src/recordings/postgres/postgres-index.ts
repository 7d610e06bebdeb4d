/**
 * The recordings index in a PostgreSQL database that several fsrecd nodes share: every node writes its
 * own recordings (from its journal) and reads everyone's, so the page and the API on any node list the
 * whole archive. Same rules as the SQLite engine (index-store.ts), which this follows method for method.
 *
 * Why node-postgres (`pg`): it is pure JavaScript, so the self-contained .deb (which ships its own Node)
 * has no native addon to build for it; its pool is built in; its TLS options are Node's tls options
 * (sslmode maps onto them directly, connection.ts); and a session-level advisory lock works on a client
 * checked out of that pool and kept (advisory-lock.ts).
 *
 * What SQLite's single writer gave for free, across nodes, and how it is kept here:
 * - A tombstone is final even against another node's write at the same moment: the upsert's
 *   ON CONFLICT … DO UPDATE … WHERE state <> 'deleted' re-checks the row after waiting for its lock, and
 *   markDeleted/setHold read the row FOR UPDATE in their transaction (one caller turns it into a tombstone).
 * - A legal hold is kept by the upsert statement itself (under the row lock); an entry from storage, which
 *   merges with what the index has, reads the rows FOR UPDATE first. Rows are locked in id order on every
 *   node (no deadlock between two nodes' batches), and one statement writes a whole batch (unnest of arrays).
 * - A row's reindex generation is the database's current one at the moment of the write, not one cached at
 *   connect: a recording another node stores during this node's reindex is not dropped by endGeneration.
 */
import type { Pool, PoolClient } from 'pg';
import { summarizeConversation } from '../conversation';
import { FOLLOW_BATCH_MS } from '../index-db';
import type { AuditLog, ClusterLock, IndexCounts, RecordingIndex, RetentionCandidates } from '../index-store';
import type { ConversationPage, LegalHold, RecordingEntry, RecordingPage, RecordingQuery, Tombstone } from '../types';
import { AdvisoryLock } from './advisory-lock';
import { PostgresAuditLog } from './audit-log';
import { createPool, describeUrl, SILENT_LOG, type IndexLog } from './connection';
import { columnsOf, mergedEntry, ROW_COLUMNS, rowOf, type RowValues } from './entry-row';
import { migrate, TRIGRAM_INDEX } from './migrations';
import { isTransientDatabaseError } from './transient';
import type { PostgresIndexConfig } from '../../config/types';

/** At most this many entries per followed write (one transaction). */
const FOLLOW_BATCH_MAX = 256;
/** Followed steps the database could not take (it was away) are tried again after this, doubling up to the max. */
const FOLLOW_RETRY_MIN_MS = 500;
const FOLLOW_RETRY_MAX_MS = 30_000;
/** Rows per statement (and transaction) of a batch write; ids per lookup. */
const CHUNK = 1000;
/** Queues or agents one name can stand for, at most. */
const MAX_NAMESAKES = 100;
/** Retries of a transaction PostgreSQL chose as a deadlock's victim (should not happen: rows are locked in order). */
const DEADLOCK_RETRIES = 3;

const COLUMN_LIST = ROW_COLUMNS.map(([c]) => c).join(', ');
const UNNEST_LIST = ROW_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
const UNNEST_NAMES = ROW_COLUMNS.map(([c]) => c).join(', ');
const UPDATE_LIST = ROW_COLUMNS.filter(([c]) => c !== 'id' && c !== 'held' && c !== 'doc')
  .map(([c]) => `${c} = excluded.${c}`)
  .join(', ');

/**
 * The batch upsert. gen: the current generation when the statement runs. A held row keeps its hold (its
 * doc's hold and the flag) whatever the journal or storage says next; a tombstone is not touched.
 */
const UPSERT_SQL = `
INSERT INTO recordings AS r (${COLUMN_LIST}, gen)
SELECT t.*, (SELECT value FROM index_meta WHERE name = 'gen') FROM unnest(${UNNEST_LIST}) AS t(${UNNEST_NAMES})
ON CONFLICT (id) DO UPDATE SET ${UPDATE_LIST}, gen = excluded.gen,
  held = (r.held OR excluded.held) AND excluded.state <> 'deleted',
  doc = CASE WHEN r.held THEN jsonb_set(excluded.doc, '{hold}', r.doc -> 'hold') ELSE excluded.doc END
WHERE r.state <> 'deleted'`;

/** One row rewritten by the lifecycle (markDeleted, setHold), its lock already held. */
const LIFECYCLE_SQL = `UPDATE recordings SET ${ROW_COLUMNS.filter(([c]) => c !== 'id')
  .map(([c], i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;

interface PageRow {
  seq: string;
  started_ms: string;
  doc: RecordingEntry;
}

/** Parameters of one statement: `add` returns the placeholder. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function likePattern(s: string): string {
  // Backslash is LIKE's escape character in PostgreSQL (and pg_trgm reads it so).
  return `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function pgCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

export interface PostgresIndexOptions {
  log?: IndexLog;
  /** Where the password variable is read (tests). */
  env?: NodeJS.ProcessEnv;
}

export class PostgresIndex implements RecordingIndex {
  readonly engine = 'postgres' as const;
  readonly location: string;
  /** PostgreSQL migrates in place; it never empties the index. */
  readonly rebuilt = false;
  readonly audit: AuditLog;
  onFollowError: (id: string, err: unknown) => void = () => undefined;

  readonly #pool: Pool;
  readonly #log: IndexLog;
  /** Steps told to `follow` and not written yet: id -> how to build its latest entry. */
  #pending = new Map<string, () => RecordingEntry>();
  #followTimer: NodeJS.Timeout | undefined;
  #retryMs = FOLLOW_RETRY_MIN_MS;
  /** Every write, in the order it was asked for: a followed batch in flight and the next never interleave. */
  #writes: Promise<void> = Promise.resolve();
  readonly #locks = new Set<AdvisoryLock>();
  #closed = false;

  private constructor(pool: Pool, cfg: PostgresIndexConfig, log: IndexLog) {
    this.#pool = pool;
    this.#log = log;
    this.location = describeUrl(cfg.url);
    this.audit = new PostgresAuditLog(pool);
  }

  /** Connects, brings the schema up to date (or refuses a newer one), and checks what search can use. */
  static async connect(cfg: PostgresIndexConfig, opts: PostgresIndexOptions = {}): Promise<PostgresIndex> {
    const log = opts.log ?? SILENT_LOG;
    const where = describeUrl(cfg.url);
    const pool = createPool(cfg, log, opts.env);
    try {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw new Error(`cannot connect to the PostgreSQL index at ${where}: ${(err as Error).message}`, { cause: err });
      }
      const dropped = (): void => undefined;
      // A connection lost between two statements is an 'error' event on the client: unheard, it would end the process.
      client.on('error', dropped);
      let trigram: boolean;
      try {
        const r = await migrate(client, log);
        if (r.applied.length > 0) log.info('PostgreSQL index: schema migrated', { url: where, applied: r.applied, version: r.version });
        trigram = (await client.query('SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1', [TRIGRAM_INDEX])).rowCount === 1;
      } catch (err) {
        throw new Error(`PostgreSQL index at ${where}: ${(err as Error).message}`, { cause: err });
      } finally {
        client.removeListener('error', dropped);
        client.release();
      }
      if (!trigram) log.warn('PostgreSQL index: no trigram index (pg_trgm was not available when the schema was made): free-text search works, without an index', { url: where });
      return new PostgresIndex(pool, cfg, log);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#settle();
    this.#closed = true;
    if (this.#followTimer) clearTimeout(this.#followTimer);
    if (this.#pending.size > 0) this.#log.warn('PostgreSQL index: steps not written before stopping (the database was away); the next start catches up from the journal', { url: this.location, steps: this.#pending.size });
    for (const lock of this.#locks) await lock.release().catch(() => undefined);
    this.#locks.clear();
    await this.#pool.end();
  }

  clusterLock(name: string): ClusterLock {
    const lock = new AdvisoryLock(this.#pool, name, this.location, this.#log);
    this.#locks.add(lock);
    return lock;
  }

  // ---- writes, in order ------------------------------------------------------------------------------

  /** Runs `fn` after every write asked for before it (and every followed step), before any asked for after. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(async () => {
      await this.#writeFollowed(Infinity);
      return fn();
    });
    this.#writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Everything followed and every write asked for so far is in the database (reads start with this). */
  async #settle(): Promise<void> {
    await this.#serial(async () => undefined);
  }

  follow(id: string, build: () => RecordingEntry): void {
    this.#pending.delete(id);
    this.#pending.set(id, build);
    this.#followTimer ??= setTimeout(() => this.#flushTimer(), FOLLOW_BATCH_MS).unref();
  }

  #flushTimer(): void {
    this.#followTimer = undefined;
    if (this.#closed) return;
    // Queued behind writes in flight; the batch is taken when its turn comes, so it holds the latest steps.
    const run = this.#writes.then(() => this.#writeFollowed(FOLLOW_BATCH_MAX));
    this.#writes = run.then(
      () => undefined,
      () => undefined,
    );
  }

  get followPending(): number {
    return this.#pending.size;
  }

  async flush(): Promise<void> {
    await this.#settle();
  }

  /** Writes up to `max` followed steps, a transaction per FOLLOW_BATCH_MAX; an entry that fails alone is reported. */
  async #writeFollowed(max: number): Promise<void> {
    while (this.#pending.size > 0 && max > 0) {
      const batch: [string, () => RecordingEntry][] = [];
      for (const item of this.#pending) {
        if (batch.length >= Math.min(max, FOLLOW_BATCH_MAX)) break;
        batch.push(item);
      }
      for (const [id] of batch) this.#pending.delete(id);
      max -= batch.length;
      try {
        await this.#upsertChunk(batch.map(([, build]) => build()));
        this.#retryMs = FOLLOW_RETRY_MIN_MS;
      } catch (err) {
        if (isTransientDatabaseError(err)) return this.#followLater(batch, err);
        // One bad entry must not keep the others out: each alone, and only the bad one is reported.
        for (const [id, build] of batch) {
          try {
            await this.#upsertChunk([build()]);
          } catch (err) {
            this.onFollowError(id, err);
          }
        }
      }
    }
    // The rest of a burst after the event loop has turned.
    if (this.#pending.size > 0 && !this.#followTimer && !this.#closed) this.#followTimer = setTimeout(() => this.#flushTimer(), 0).unref();
  }

  /**
   * The database is away (restarting, unreachable): the batch goes back into the queue, behind any newer
   * step of the same recording, and is tried again with backoff. Nothing the journal told is dropped for an
   * outage; the log says so once per outage.
   */
  #followLater(batch: [string, () => RecordingEntry][], err: unknown): void {
    for (const [id, build] of batch) if (!this.#pending.has(id)) this.#pending.set(id, build);
    if (this.#retryMs === FOLLOW_RETRY_MIN_MS) this.#log.warn('PostgreSQL index unreachable: index steps kept and retried (recording goes on)', { url: this.location, steps: this.#pending.size, error: String(err) });
    if (this.#followTimer) clearTimeout(this.#followTimer);
    if (!this.#closed) this.#followTimer = setTimeout(() => this.#flushTimer(), this.#retryMs).unref();
    this.#retryMs = Math.min(this.#retryMs * 2, FOLLOW_RETRY_MAX_MS);
  }

  async upsert(e: RecordingEntry): Promise<void> {
    await this.#serial(() => this.#upsertChunk([e]));
  }

  /** Written a chunk (one statement, one transaction) at a time: a reindex does not hold a million row locks at once. */
  async upsertMany(entries: Iterable<RecordingEntry>): Promise<number> {
    return this.#serial(async () => {
      let n = 0;
      let chunk: RecordingEntry[] = [];
      const ids = new Set<string>();
      for (const e of entries) {
        // One statement cannot change a row twice: a second step of the same id goes in the next chunk.
        if (chunk.length >= CHUNK || ids.has(e.id)) {
          await this.#upsertChunk(chunk);
          chunk = [];
          ids.clear();
        }
        chunk.push(e);
        ids.add(e.id);
        n++;
      }
      if (chunk.length > 0) await this.#upsertChunk(chunk);
      return n;
    });
  }

  /** One transaction: the existing rows an entry from storage merges with, read FOR UPDATE, then one upsert of them all. */
  async #upsertChunk(given: RecordingEntry[]): Promise<void> {
    if (given.length === 0) return;
    // The last step of an id wins (a chunk from follow holds one per id already).
    const byId = new Map<string, RecordingEntry>();
    for (const e of given) byId.set(e.id, e);
    // In the order given: a new row's seq is its place, and ties in time are listed newest insert first, as on
    // SQLite. Rows that exist are locked in id order first when a merge reads them; two nodes inserting the
    // same new ids in opposite orders (two reindexes at once) can deadlock, which #transaction retries.
    const entries = [...byId.values()];
    const needRead = entries.some((e) => e.source === 'storage');
    await this.#transaction(async (c) => {
      const existing = new Map<string, RecordingEntry>();
      if (needRead) {
        // Every id of the chunk, in id order: the rows the upsert then changes are locked in one order.
        const r = await c.query<{ id: string; doc: RecordingEntry }>('SELECT id, doc FROM recordings WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [entries.map((e) => e.id)]);
        for (const row of r.rows) existing.set(row.id, row.doc);
      }
      const rows: RowValues[] = [];
      for (const e of entries) {
        const now = existing.get(e.id);
        if (now?.state === 'deleted') continue;
        rows.push(rowOf(mergedEntry(e, e.source === 'storage' ? now : undefined)));
      }
      if (rows.length > 0) await c.query(UPSERT_SQL, columnsOf(rows));
    });
  }

  async #transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.#pool.connect();
      // A connection lost between two statements of the transaction is an 'error' event on the client (not
      // on a query): unheard, it would end the daemon. Heard here, the next statement fails and the
      // transaction is rolled back or the client thrown away.
      const dropped = (): void => undefined;
      c.on('error', dropped);
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        c.removeListener('error', dropped);
        c.release();
        return out;
      } catch (err) {
        const rolledBack = await c.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        c.removeListener('error', dropped);
        c.release(rolledBack ? undefined : (err as Error));
        if (pgCode(err) !== '40P01' || attempt >= DEADLOCK_RETRIES) throw err;
      }
    }
  }

  /** The row of a known, not deleted entry, locked; `change` gives what it becomes. */
  async #lifecycle(id: string, change: (e: RecordingEntry) => RecordingEntry): Promise<RecordingEntry | undefined> {
    return this.#serial(() =>
      this.#transaction(async (c) => {
        const r = await c.query<{ doc: RecordingEntry }>('SELECT doc FROM recordings WHERE id = $1 FOR UPDATE', [id]);
        const e = r.rows[0]?.doc;
        // FOR UPDATE waits for another node's change of the row and then reads it: a tombstone made meanwhile is seen here.
        if (!e || e.state === 'deleted') return undefined;
        const next = change(e);
        const row = rowOf(next);
        await c.query(LIFECYCLE_SQL, row);
        return next;
      }),
    );
  }

  markDeleted(id: string, tombstone: Tombstone): Promise<RecordingEntry | undefined> {
    return this.#lifecycle(id, (e) => ({ ...e, state: 'deleted', deleted: tombstone, hold: undefined, localPath: undefined }));
  }

  setHold(id: string, hold: LegalHold | undefined): Promise<RecordingEntry | undefined> {
    return this.#lifecycle(id, (e) => ({ ...e, hold }));
  }

  async beginGeneration(): Promise<number> {
    return this.#serial(async () => {
      const r = await this.#pool.query<{ value: string }>("UPDATE index_meta SET value = value + 1 WHERE name = 'gen' RETURNING value");
      return Number(r.rows[0]?.value);
    });
  }

  /** Drops stored recordings the storage listing no longer has: those not written since the generation began (by any node). */
  async endGeneration(gen: number): Promise<number> {
    return this.#serial(async () => {
      const r = await this.#pool.query("DELETE FROM recordings WHERE state = 'stored' AND gen < $1", [gen]);
      await this.#pool.query('ANALYZE recordings');
      return r.rowCount ?? 0;
    });
  }

  async optimize(): Promise<void> {
    await this.#settle();
    await this.#pool.query('ANALYZE recordings');
    // Bulk writes leave trigram entries in the GIN index's pending list, which every search then scans:
    // merged now rather than at autovacuum's next visit.
    await this.#pool.query('SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = $1 AND c.relkind = $2', [TRIGRAM_INDEX, 'i']);
  }

  // ---- reads -----------------------------------------------------------------------------------------

  async staleOf(entries: Iterable<RecordingEntry>): Promise<RecordingEntry[]> {
    await this.#settle();
    const out: RecordingEntry[] = [];
    let chunk: RecordingEntry[] = [];
    const check = async (): Promise<void> => {
      const r = await this.#pool.query<{ id: string; at: string | null }>('SELECT id, journal_updated_at AS at FROM recordings WHERE id = ANY($1::text[])', [chunk.map((e) => e.id)]);
      const known = new Map(r.rows.map((row) => [row.id, row.at]));
      for (const e of chunk) {
        const at = known.get(e.id);
        if (at === undefined || at !== (e.journalUpdatedAt ?? null)) out.push(e);
      }
      chunk = [];
    };
    for (const e of entries) {
      chunk.push(e);
      if (chunk.length >= CHUNK) await check();
    }
    if (chunk.length > 0) await check();
    return out;
  }

  async get(id: string): Promise<RecordingEntry | undefined> {
    await this.#settle();
    const r = await this.#pool.query<{ doc: RecordingEntry }>('SELECT doc FROM recordings WHERE id = $1', [id]);
    return r.rows[0]?.doc;
  }

  async counts(): Promise<IndexCounts> {
    await this.#settle();
    const r = await this.#pool.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM recordings GROUP BY state');
    const byState: Record<string, number> = {};
    let total = 0;
    for (const row of r.rows) {
      byState[row.state] = Number(row.n);
      total += Number(row.n);
    }
    return { total, byState };
  }

  async retentionCandidates(startedBeforeMs: number, limit: number, after?: { startedMs: number; seq: number }): Promise<RetentionCandidates> {
    await this.#settle();
    const p = new Params();
    let cursor = '';
    if (after) cursor = `AND started_ms >= ${p.add(after.startedMs)} AND (started_ms, seq) > (${p.add(after.startedMs)}, ${p.add(after.seq)})`;
    const sql = `SELECT seq, started_ms, doc FROM recordings WHERE state = 'stored' AND NOT held AND started_ms < ${p.add(startedBeforeMs)} ${cursor} ORDER BY started_ms, seq LIMIT ${p.add(limit + 1)}`;
    const rows = (await this.#pool.query<PageRow>(sql, p.values)).rows;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { entries: page.map((r) => r.doc), next: rows.length > limit && last ? { startedMs: Number(last.started_ms), seq: Number(last.seq) } : null };
  }

  async query(q: RecordingQuery): Promise<RecordingPage> {
    await this.#settle();
    const p = new Params();
    const where = await this.#filters(q, '', p);
    this.#cursor(q, '', where, p);
    const sql = `SELECT seq, started_ms, doc FROM recordings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_ms DESC, seq DESC LIMIT ${p.add(q.limit + 1)}`;
    const rows = (await this.#pool.query<PageRow>(sql, p.values)).rows;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return { recordings: page.map((r) => r.doc), next: rows.length > q.limit && last ? `${last.started_ms}:${last.seq}` : null };
  }

  async segmentsOf(conversationId: string, tenant?: string): Promise<RecordingEntry[]> {
    await this.#settle();
    return (await this.#segments([conversationId], tenant)).get(conversationId) ?? [];
  }

  /** The segments of many conversations in one query, each conversation's in order. */
  async #segments(ids: string[], tenant: string | undefined): Promise<Map<string, RecordingEntry[]>> {
    const out = new Map<string, RecordingEntry[]>();
    if (ids.length === 0) return out;
    const p = new Params();
    const sql = `SELECT conversation_id, doc FROM recordings WHERE conversation_id = ANY(${p.add(ids)}::text[])${tenant === undefined ? '' : ` AND tenant = ${p.add(tenant)}`} ORDER BY conversation_id, segment, started_ms, seq`;
    for (const row of (await this.#pool.query<{ conversation_id: string; doc: RecordingEntry }>(sql, p.values)).rows) {
      const list = out.get(row.conversation_id);
      if (list) list.push(row.doc);
      else out.set(row.conversation_id, [row.doc]);
    }
    return out;
  }

  /**
   * Conversations, newest first, each in the place of its newest matching segment (its "head": no matching
   * segment of the same conversation is newer), paged with the head's cursor; see index-db.ts.
   */
  async conversations(q: RecordingQuery): Promise<ConversationPage> {
    await this.#settle();
    const p = new Params();
    const outer = await this.#filters(q, 'r.', p);
    const inner = await this.#filters(q, 'n.', p);
    this.#cursor(q, 'r.', outer, p);
    const newer = `NOT EXISTS (SELECT 1 FROM recordings n WHERE n.conversation_id = r.conversation_id AND (n.started_ms, n.seq) > (r.started_ms, r.seq)${inner.map((w) => ` AND ${w}`).join('')})`;
    const sql = `SELECT r.seq, r.started_ms, r.conversation_id FROM recordings r WHERE ${[...outer, newer].join(' AND ')} ORDER BY r.started_ms DESC, r.seq DESC LIMIT ${p.add(q.limit + 1)}`;
    const rows = (await this.#pool.query<{ seq: string; started_ms: string; conversation_id: string }>(sql, p.values)).rows;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const segments = await this.#segments(
      page.map((r) => r.conversation_id),
      q.tenant,
    );
    return {
      conversations: page.map((r) => summarizeConversation(r.conversation_id, segments.get(r.conversation_id) ?? [])),
      next: rows.length > q.limit && last ? `${last.started_ms}:${last.seq}` : null,
    };
  }

  /** The WHERE terms of a query's filters on the table aliased `a` ('' or 'x.'); their values go in `p`. */
  async #filters(q: RecordingQuery, a: string, p: Params): Promise<string[]> {
    const where: string[] = [];
    const eq = (col: string, v: string | undefined): void => {
      if (v !== undefined) where.push(`${a}${col} = ${p.add(v)}`);
    };
    if (q.fromMs !== undefined) where.push(`${a}started_ms >= ${p.add(q.fromMs)}`);
    if (q.toMs !== undefined) where.push(`${a}started_ms < ${p.add(q.toMs)}`);
    eq('direction', q.direction);
    eq('network', q.network);
    eq('trigger', q.trigger);
    eq('state', q.state);
    eq('tenant', q.tenant);
    eq('"user"', q.user);
    eq('device', q.device);
    eq('node', q.node);
    eq('conversation_id', q.conversation);
    for (const [col, v] of [['queue', q.queue], ['agent', q.agent]] as const) {
      if (v === undefined) continue;
      const values = await this.#namesakes(col, v);
      where.push(values.length === 0 ? 'false' : `${a}${col} = ANY(${p.add(values)}::text[])`);
    }
    if (q.reason !== undefined) where.push(`${a}reasons LIKE ${p.add(likePattern(q.reason))}`);
    if (q.text !== undefined) where.push(this.#textPlan(q.text, a, p));
    return where;
  }

  /**
   * `support` is the queue support@ any domain, `support@d` only itself. The names are found first by
   * skipping through the (queue, …) index one distinct name at a time (a recursive query: PostgreSQL has
   * no skip scan), so the filter is then an equality the index answers newest first.
   */
  async #namesakes(col: 'queue' | 'agent', v: string): Promise<string[]> {
    if (v.includes('@')) return [v];
    // 'A' follows '@' in byte order (the columns are COLLATE "C").
    const sql = `WITH RECURSIVE names(name) AS (
        (SELECT ${col} FROM recordings WHERE ${col} >= $2 AND ${col} < $3 ORDER BY ${col} LIMIT 1)
        UNION ALL
        SELECT (SELECT ${col} FROM recordings WHERE ${col} > names.name AND ${col} < $3 ORDER BY ${col} LIMIT 1) FROM names WHERE names.name IS NOT NULL
      )
      SELECT name FROM names WHERE name IS NOT NULL
      UNION ALL
      (SELECT ${col} FROM recordings WHERE ${col} = $1 LIMIT 1)
      LIMIT ${MAX_NAMESAKES}`;
    const r = await this.#pool.query<{ name: string }>(sql, [v, `${v}@`, `${v}A`]);
    return r.rows.map((row) => row.name);
  }

  #cursor(q: RecordingQuery, a: string, where: string[], p: Params): void {
    if (q.before === undefined) return;
    const [ms, seq] = q.before.split(':').map(Number) as [number, number];
    // The bound on started_ms alone lets an index whose first column is not started_ms seek too.
    where.push(`${a}started_ms <= ${p.add(ms)} AND (${a}started_ms, ${a}seq) < (${p.add(ms)}, ${p.add(seq)})`);
  }

  /**
   * Free-text search is a plain LIKE: unlike SQLite, PostgreSQL's planner picks the plan SQLite needs a
   * count to choose. Measured at 1M rows (after ANALYZE): a rare term (a full number, 1 hit; '4288', ~700)
   * is looked up in the trigram index and its hits sorted; a common one ('wireless', 300,000 hits) walks
   * the time index and stops after a page; under three characters no trigram helps and the time index is
   * walked too. The estimates come from the column's statistics, which ANALYZE (optimize, endGeneration)
   * and autovacuum keep.
   */
  #textPlan(text: string, a: string, p: Params): string {
    return `${a}search LIKE ${p.add(likePattern(text))}`;
  }
}
