/**
 * The recordings index: one SQLite file (state_dir/recordings.sqlite, WAL) that the daemon writes and the
 * CLI reads at the same time. It is derived data: the journal and the storage target's metadata objects
 * can rebuild it (`fsrecd recordings reindex`), so it trades fsync for speed.
 *
 * Speed at 1,000,000 rows comes from covering indexes that hold every low-cardinality filter column (so
 * filtering happens inside the index, never on wide rows) and a trigram full-text index for substring
 * search that is used only when the term is rare (see #textPlan); bench/index-query.ts measures both.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AUDIT_SCHEMA, AuditTable } from './audit-table';
import { summarizeConversation } from './conversation';
import type { IndexCounts, RecordingIndex, RetentionCandidates } from './index-store';
import type { ConversationPage, LegalHold, RecordingEntry, RecordingPage, RecordingQuery, Tombstone } from './types';

/**
 * 3: conversation_id, segment, queue, agent (#12). 4: state 'deleted' with a tombstone, legal holds (held),
 * the audit table (#14). 5: the node column (#16).
 */
const SCHEMA_VERSION = 5;

/**
 * Every upsert sets search (ON CONFLICT … SET search = excluded.search), and UPDATE OF fires on a column
 * set, changed or not: without the WHEN, each journal step of a recording rewrote its trigram rows.
 */
const TEXT_UPDATE_TRIGGER = `CREATE TRIGGER IF NOT EXISTS recordings_text_au AFTER UPDATE OF search ON recordings WHEN old.search IS NOT new.search BEGIN
  INSERT INTO recordings_text(recordings_text, rowid, search) VALUES ('delete', old.seq, old.search);
  INSERT INTO recordings_text(rowid, search) VALUES (new.seq, new.search);
END;`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS recordings (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  started_ms INTEGER NOT NULL,
  direction TEXT NOT NULL,
  network TEXT NOT NULL,
  trigger TEXT NOT NULL,
  state TEXT NOT NULL,
  tenant TEXT NOT NULL,
  user TEXT,
  device TEXT,
  search TEXT NOT NULL,
  reasons TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  segment INTEGER NOT NULL,
  queue TEXT,
  agent TEXT,
  gen INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL,
  held INTEGER NOT NULL DEFAULT 0,
  node TEXT
);
CREATE INDEX IF NOT EXISTS recordings_by_time ON recordings(started_ms, direction, network, trigger, state, tenant);
CREATE INDEX IF NOT EXISTS recordings_by_tenant ON recordings(tenant, started_ms, direction, network, trigger, state);
CREATE INDEX IF NOT EXISTS recordings_by_state ON recordings(state, started_ms, direction, network, trigger, tenant);
CREATE INDEX IF NOT EXISTS recordings_by_user ON recordings(user, started_ms);
CREATE INDEX IF NOT EXISTS recordings_by_device ON recordings(device, started_ms);
CREATE INDEX IF NOT EXISTS recordings_by_conversation ON recordings(conversation_id, segment, started_ms);
CREATE INDEX IF NOT EXISTS recordings_by_queue ON recordings(queue, started_ms) WHERE queue IS NOT NULL;
CREATE INDEX IF NOT EXISTS recordings_by_agent ON recordings(agent, started_ms) WHERE agent IS NOT NULL;
CREATE INDEX IF NOT EXISTS recordings_by_node ON recordings(node, started_ms);
CREATE INDEX IF NOT EXISTS recordings_retention ON recordings(started_ms, seq) WHERE state = 'stored' AND held = 0;
CREATE VIRTUAL TABLE IF NOT EXISTS recordings_text USING fts5(search, content='recordings', content_rowid='seq', tokenize='trigram', detail='none');
CREATE TRIGGER IF NOT EXISTS recordings_text_ai AFTER INSERT ON recordings BEGIN
  INSERT INTO recordings_text(rowid, search) VALUES (new.seq, new.search);
END;
CREATE TRIGGER IF NOT EXISTS recordings_text_ad AFTER DELETE ON recordings BEGIN
  INSERT INTO recordings_text(recordings_text, rowid, search) VALUES ('delete', old.seq, old.search);
END;
${TEXT_UPDATE_TRIGGER}
CREATE TABLE IF NOT EXISTS index_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
${AUDIT_SCHEMA}`;

/** Schema 3 to 4 in place: what 3 had stays (tombstones and holds start empty, the audit table is new). */
const MIGRATE_3_TO_4 = 'ALTER TABLE recordings ADD COLUMN held INTEGER NOT NULL DEFAULT 0;';
/** Schema 4 to 5: the node column, filled from each entry's document (its index comes with SCHEMA). */
const MIGRATE_4_TO_5 = "ALTER TABLE recordings ADD COLUMN node TEXT; UPDATE recordings SET node = json_extract(doc, '$.node');";

/** Written as the generation at the time of the write, not one read at open: see beginGeneration. */
const CURRENT_GEN = "(SELECT coalesce((SELECT value FROM index_meta WHERE name = 'gen'), 0))";

/**
 * How long a journal step told to `follow` may wait for others: they are written together, one transaction
 * (a transaction per step cost the daemon a fifth of its main thread at 500 calls/s), and the steps of one
 * recording in that time are one write of the last. Readers in this process never wait for it (see #settle).
 */
export const FOLLOW_BATCH_MS = 10;
/** At most this many entries per transaction: a burst is written in slices, the event loop turning between them. */
const FOLLOW_BATCH_MAX = 256;

/** Above this many trigram matches, scanning in time order finds a page sooner than sorting the matches. */
const RARE_TEXT_LIMIT = 2000;

/**
 * What free-text search looks in: numbers, caller name, user, device, every party of the segment, queue and
 * agent (so a conversation is found by any of its segments' parties). Not keys or uuids: their trigrams
 * would triple the index for lookups that `show ID` and the key itself already answer.
 */
export function searchText(e: RecordingEntry): string {
  const parties = (e.parties ?? []).flatMap((p) => [p.number, p.name ?? '', p.user ?? '', p.device ?? '']);
  const words = [e.srcnum, e.dstnum, e.callerName, e.user ?? '', e.device ?? '', ...parties, e.queue ?? '', e.agent ?? ''];
  // Each distinct word once: a party is usually also the segment's srcnum or dstnum.
  return [...new Set(words.filter((w) => w !== ''))].join(' ').toLowerCase();
}

/** Queues or agents one name can stand for, at most (a name in more domains than this is not a name). */
const MAX_NAMESAKES = 100;

function likePattern(s: string): string {
  return `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface Row {
  seq: number;
  started_ms: number;
  doc: string;
}

/** The embedded engine: one node's index in one file. Calls are synchronous underneath, answered as promises. */
export class SqliteIndex implements RecordingIndex {
  readonly engine = 'sqlite';
  readonly #db: Database.Database;
  /** The audit trail (kept in the same file; see audit-table.ts). */
  readonly audit: AuditTable;
  readonly #get: Database.Statement;
  /**
   * Prepared at the first write: a read-only open (the CLI) of a file an older daemon has not migrated yet
   * has no held or node column.
   */
  #upsert: Database.Statement | undefined;
  #lifecycleStmt: Database.Statement | undefined;
  /** The file held an index of another schema version and was emptied: only a reindex brings back other nodes' recordings. */
  rebuilt = false;
  /** Steps told to `follow` and not written yet: id -> how to build its latest entry (built only when written). */
  #pending = new Map<string, () => RecordingEntry>();
  #followTimer: NodeJS.Timeout | undefined;
  /** Told of a followed entry that could not be written (the journal keeps it; the next open catches up). */
  onFollowError: (id: string, err: unknown) => void = () => undefined;

  private constructor(
    db: Database.Database,
    readonly path: string,
  ) {
    this.#db = db;
    this.#get = db.prepare('SELECT seq, started_ms, doc FROM recordings WHERE id = ?');
    this.audit = new AuditTable(db);
  }

  get location(): string {
    return this.path;
  }

  /** Opens (creating when needed) the index file; ':memory:' for tests. */
  static open(path: string, opts: { readonly?: boolean } = {}): SqliteIndex {
    if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    const db = new Database(path, { readonly: opts.readonly === true, fileMustExist: opts.readonly === true });
    let rebuilt = false;
    // Another process (the daemon, or the CLI) may be writing: wait for it rather than fail.
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 3 || version === 4) {
        if (version === 3) db.exec(MIGRATE_3_TO_4);
        db.exec(MIGRATE_4_TO_5);
      } else if (version !== 0 && version !== SCHEMA_VERSION) {
        // Derived data: an older index is rebuilt rather than migrated (versions before 3 had no audit
        // trail, tombstones or holds, the parts no reindex can bring back).
        db.exec('DROP TABLE IF EXISTS recordings; DROP TABLE IF EXISTS recordings_text; DROP TABLE IF EXISTS index_meta;');
        rebuilt = true;
      }
      db.exec(SCHEMA);
      // A file made before the trigger had its WHEN: replaced in one transaction (another process may be writing).
      const trigger = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'recordings_text_au'").get() as { sql: string } | undefined;
      if (!trigger?.sql.includes('WHEN')) db.exec(`BEGIN IMMEDIATE; DROP TRIGGER IF EXISTS recordings_text_au; ${TEXT_UPDATE_TRIGGER} COMMIT;`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    const index = new SqliteIndex(db, path);
    index.rebuilt = rebuilt;
    return index;
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    this.#settle();
    this.#db.close();
  }

  async flush(): Promise<void> {
    this.#settle();
  }

  /**
   * The index follows the journal: the entry `build` makes is written within FOLLOW_BATCH_MS, with every
   * other step told meanwhile, in one transaction (a later step of the same id replaces the queued one: the
   * journal tells each recording's steps in order). The same rules as `upsert` apply when it is written
   * (a tombstone stays, a hold is kept). Every read and write of this object writes the queue first, so
   * this process sees what it was told at once; another process (the CLI) sees it once it is written.
   */
  follow(id: string, build: () => RecordingEntry): void {
    this.#pending.delete(id);
    this.#pending.set(id, build);
    this.#followTimer ??= setTimeout(() => this.#writeFollowed(FOLLOW_BATCH_MAX), FOLLOW_BATCH_MS).unref();
  }

  /** How many followed steps wait to be written (tests; metrics). */
  get followPending(): number {
    return this.#pending.size;
  }

  /** Writes what `follow` queued, all of it, now: before anything reads or writes the index. */
  #settle(): void {
    if (this.#pending.size > 0) this.#writeFollowed(Infinity);
  }

  #writeFollowed(max: number): void {
    if (this.#followTimer) clearTimeout(this.#followTimer);
    this.#followTimer = undefined;
    if (!this.#db.open) return;
    const batch: [string, () => RecordingEntry][] = [];
    for (const item of this.#pending) {
      if (batch.length >= max) break;
      batch.push(item);
    }
    for (const [id] of batch) this.#pending.delete(id);
    // The rest of a burst after the event loop has turned (the events waiting meanwhile go first).
    if (this.#pending.size > 0) this.#followTimer = setTimeout(() => this.#writeFollowed(FOLLOW_BATCH_MAX), 0).unref();
    try {
      this.#db.transaction(() => {
        for (const [, build] of batch) this.#upsertOne(build());
      })();
    } catch {
      // One bad entry must not keep the others out: each alone, and only the bad one is reported.
      for (const [id, build] of batch) {
        try {
          this.#upsertOne(build());
        } catch (err) {
          this.onFollowError(id, err);
        }
      }
    }
  }

  async upsert(e: RecordingEntry): Promise<void> {
    this.#settle();
    this.#upsertOne(e);
  }

  #upsertOne(e: RecordingEntry): void {
    this.#lifecycleStmt ??= this.#db.prepare('SELECT state, held FROM recordings WHERE id = ?');
    const now = this.#lifecycleStmt.get(e.id) as { state: string; held: number } | undefined;
    // A tombstone is final: neither a journal step arriving late nor an object another node still lists
    // brings a deleted recording back.
    if (now?.state === 'deleted') return;
    // The journal is the truth about this node's recordings. Storage may not tell everything (no MD5 after a
    // multipart upload, nothing about the spool), so a reindex keeps what was already known.
    const existing = e.source === 'storage' || now?.held === 1 ? this.#entry(e.id) : undefined;
    const given: RecordingEntry = existing && e.source === 'storage' ? { ...existing, ...stripUndefined(e), md5: e.md5 ?? existing.md5, source: existing.source } : e;
    // A hold is set by the lifecycle alone: whatever the journal or storage says next keeps it.
    const hold = existing?.hold ?? given.hold;
    // An entry from before conversations (or a caller that left them out) is a conversation of one.
    const merged: RecordingEntry = { ...given, conversationId: given.conversationId || given.callUuid || given.id, segment: given.segment || 1, hold, deleted: undefined };
    this.#write(merged);
  }

  #write(merged: RecordingEntry): void {
    // A tombstone is final here too (the WHERE), whatever the caller read: another process may have deleted it since.
    this.#upsert ??= this.#db.prepare(`
      INSERT INTO recordings (id, started_ms, direction, network, trigger, state, tenant, user, device, search, reasons, conversation_id, segment, queue, agent, gen, doc, held, node)
      VALUES (@id, @started_ms, @direction, @network, @trigger, @state, @tenant, @user, @device, @search, @reasons, @conversation_id, @segment, @queue, @agent, ${CURRENT_GEN}, @doc, @held, @node)
      ON CONFLICT(id) DO UPDATE SET started_ms = excluded.started_ms, direction = excluded.direction, network = excluded.network,
        trigger = excluded.trigger, state = excluded.state, tenant = excluded.tenant, user = excluded.user, device = excluded.device,
        search = excluded.search, reasons = excluded.reasons, conversation_id = excluded.conversation_id, segment = excluded.segment,
        queue = excluded.queue, agent = excluded.agent, gen = excluded.gen, doc = excluded.doc, held = excluded.held, node = excluded.node
      WHERE recordings.state <> 'deleted' OR excluded.state = 'deleted'`);
    this.#upsert.run({
      id: merged.id,
      started_ms: Date.parse(merged.startedAt) || 0,
      direction: merged.direction,
      network: merged.network,
      trigger: merged.trigger,
      state: merged.state,
      tenant: merged.tenant,
      user: merged.user ?? null,
      device: merged.device ?? null,
      search: searchText(merged),
      reasons: merged.reasons.join('\n').toLowerCase(),
      conversation_id: merged.conversationId,
      segment: merged.segment,
      queue: merged.queue ?? null,
      agent: merged.agent ?? null,
      doc: JSON.stringify(merged),
      held: merged.hold && merged.state !== 'deleted' ? 1 : 0,
      node: merged.node || null,
    });
  }

  /**
   * The entry becomes a tombstone: state 'deleted', who, when and why; no local path, no hold. Returns it, or
   * undefined for an unknown id or one already deleted (by another process meanwhile).
   */
  async markDeleted(id: string, tombstone: Tombstone): Promise<RecordingEntry | undefined> {
    this.#settle();
    // IMMEDIATE: the check and the write are one step even against another process (the daemon's retention
    // and a CLI delete): only one of them turns the entry into a tombstone and audits it.
    return this.#db
      .transaction((): RecordingEntry | undefined => {
        const e = this.#entry(id);
        if (!e || e.state === 'deleted') return undefined;
        const dead: RecordingEntry = { ...e, state: 'deleted', deleted: tombstone, hold: undefined, localPath: undefined };
        this.#write(dead);
        return dead;
      })
      .immediate();
  }

  /** Sets (or with undefined clears) the legal hold of a known, not deleted entry; returns the entry. */
  async setHold(id: string, hold: LegalHold | undefined): Promise<RecordingEntry | undefined> {
    this.#settle();
    const e = this.#entry(id);
    if (!e || e.state === 'deleted') return undefined;
    const next: RecordingEntry = { ...e, hold };
    this.#write(next);
    return next;
  }

  /**
   * Stored, unheld recordings that started before `startedBeforeMs`, oldest first, a page at a time (the
   * retention enforcer decides each one's rule; a recording ends after it starts, so none younger can be due).
   */
  async retentionCandidates(startedBeforeMs: number, limit: number, after?: { startedMs: number; seq: number }): Promise<RetentionCandidates> {
    this.#settle();
    const args: number[] = [startedBeforeMs];
    let cursor = '';
    if (after) {
      cursor = 'AND started_ms >= ? AND (started_ms > ? OR seq > ?)';
      args.push(after.startedMs, after.startedMs, after.seq);
    }
    const rows = this.#db
      .prepare(`SELECT seq, started_ms, doc FROM recordings INDEXED BY recordings_retention WHERE state = 'stored' AND held = 0 AND started_ms < ? ${cursor} ORDER BY started_ms, seq LIMIT ?`)
      .all(...args, limit + 1) as Row[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { entries: page.map((r) => JSON.parse(r.doc) as RecordingEntry), next: rows.length > limit && last ? { startedMs: last.started_ms, seq: last.seq } : null };
  }

  /** Many upserts in one transaction (start-up sync, reindex, benchmarks). */
  async upsertMany(entries: Iterable<RecordingEntry>): Promise<number> {
    this.#settle();
    let n = 0;
    this.#db.transaction(() => {
      for (const e of entries) {
        this.#upsertOne(e);
        n++;
      }
    })();
    return n;
  }

  /**
   * The journal's entries that the index does not have in their latest state (the start-up sync: with
   * a million entries, re-writing them all would hold the daemon up for minutes).
   */
  async staleOf(entries: Iterable<RecordingEntry>): Promise<RecordingEntry[]> {
    this.#settle();
    const known = this.#db.prepare("SELECT json_extract(doc, '$.journalUpdatedAt') AS at FROM recordings WHERE id = ?");
    const out: RecordingEntry[] = [];
    for (const e of entries) {
      const row = known.get(e.id) as { at: string | null } | undefined;
      if (!row || row.at !== (e.journalUpdatedAt ?? null)) out.push(e);
    }
    return out;
  }

  async get(id: string): Promise<RecordingEntry | undefined> {
    this.#settle();
    return this.#entry(id);
  }

  #entry(id: string): RecordingEntry | undefined {
    const row = this.#get.get(id) as Row | undefined;
    return row ? (JSON.parse(row.doc) as RecordingEntry) : undefined;
  }

  /**
   * Starts a reindex generation: rows stored before it and not seen again by `endGeneration` are dropped.
   * Every write takes the generation current at its time, so a recording the daemon stores while a CLI
   * reindex runs is of the new generation and stays.
   */
  async beginGeneration(): Promise<number> {
    this.#settle();
    const row = this.#db.prepare("INSERT INTO index_meta(name, value) VALUES ('gen', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value").get() as { value: number };
    return row.value;
  }

  /** Drops stored recordings the storage listing no longer has (expired or deleted objects). */
  async endGeneration(gen: number): Promise<number> {
    this.#settle();
    const r = this.#db.prepare("DELETE FROM recordings WHERE state = 'stored' AND gen < ?").run(gen);
    this.#db.pragma('optimize');
    return r.changes;
  }

  async counts(): Promise<IndexCounts> {
    this.#settle();
    const rows = this.#db.prepare('SELECT state, count(*) AS n FROM recordings GROUP BY state').all() as { state: string; n: number }[];
    const byState: Record<string, number> = {};
    for (const r of rows) byState[r.state] = r.n;
    return { total: rows.reduce((a, r) => a + r.n, 0), byState };
  }

  /** Query planner statistics; cheap, and worth running after bulk changes. */
  async optimize(): Promise<void> {
    this.#db.pragma('optimize');
  }

  async query(q: RecordingQuery): Promise<RecordingPage> {
    this.#settle();
    const { where, args } = this.#filters(q, '');
    this.#cursor(q, '', where, args);
    const sql = `SELECT seq, started_ms, doc FROM recordings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_ms DESC, seq DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...args, q.limit + 1) as Row[];
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      recordings: page.map((r) => JSON.parse(r.doc) as RecordingEntry),
      next: rows.length > q.limit && last ? `${last.started_ms}:${last.seq}` : null,
    };
  }

  /** Every segment of a conversation in order (only `tenant`'s when given: a tenant sees its own segments). */
  async segmentsOf(conversationId: string, tenant?: string): Promise<RecordingEntry[]> {
    this.#settle();
    return this.#segments(conversationId, tenant);
  }

  #segments(conversationId: string, tenant?: string): RecordingEntry[] {
    const rows = (
      tenant === undefined
        ? this.#db.prepare('SELECT doc FROM recordings WHERE conversation_id = ? ORDER BY segment, started_ms, seq').all(conversationId)
        : this.#db.prepare('SELECT doc FROM recordings WHERE conversation_id = ? AND tenant = ? ORDER BY segment, started_ms, seq').all(conversationId, tenant)
    ) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as RecordingEntry);
  }

  /**
   * Conversations, newest first: a conversation is listed when any of its segments matches the query, in
   * the place of its newest matching segment (its "head"); the row then adds up every segment the tenant
   * filter lets through, matching or not. Walking the time index and keeping only heads (no matching segment
   * of the same conversation is newer) pages like the plain list, with the same cursor: the head's.
   */
  async conversations(q: RecordingQuery): Promise<ConversationPage> {
    this.#settle();
    const outer = this.#filters(q, 'r.');
    const inner = this.#filters(q, 'n.');
    this.#cursor(q, 'r.', outer.where, outer.args);
    const newer = `NOT EXISTS (SELECT 1 FROM recordings n WHERE n.conversation_id = r.conversation_id AND (n.started_ms > r.started_ms OR (n.started_ms = r.started_ms AND n.seq > r.seq))${inner.where.map((w) => ` AND ${w}`).join('')})`;
    const where = [...outer.where, newer];
    const sql = `SELECT r.seq, r.started_ms, r.conversation_id FROM recordings r WHERE ${where.join(' AND ')} ORDER BY r.started_ms DESC, r.seq DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...outer.args, ...inner.args, q.limit + 1) as { seq: number; started_ms: number; conversation_id: string }[];
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      conversations: page.map((r) => summarizeConversation(r.conversation_id, this.#segments(r.conversation_id, q.tenant))),
      next: rows.length > q.limit && last ? `${last.started_ms}:${last.seq}` : null,
    };
  }

  /** The WHERE terms of a query's filters, on the table aliased `a` ('' or 'x.'). */
  #filters(q: RecordingQuery, a: string): { where: string[]; args: (string | number)[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const eq = (col: string, v: string | undefined): void => {
      if (v === undefined) return;
      where.push(`${a}${col} = ?`);
      args.push(v);
    };
    if (q.fromMs !== undefined) {
      where.push(`${a}started_ms >= ?`);
      args.push(q.fromMs);
    }
    if (q.toMs !== undefined) {
      where.push(`${a}started_ms < ?`);
      args.push(q.toMs);
    }
    eq('direction', q.direction);
    eq('network', q.network);
    eq('trigger', q.trigger);
    eq('state', q.state);
    eq('tenant', q.tenant);
    if (q.node !== undefined && this.#db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      // A read-only open (the CLI) of a file the daemon has not migrated yet: it has no node column.
      throw new Error(`${this.path} is an index from an older fsrecd without nodes: start the daemon once (it migrates the file) to filter by node`);
    }
    eq('node', q.node);
    eq('user', q.user);
    eq('device', q.device);
    eq('conversation_id', q.conversation);
    for (const [col, v] of [['queue', q.queue], ['agent', q.agent]] as const) {
      if (v === undefined) continue;
      const values = this.#namesakes(col, v);
      where.push(values.length === 0 ? '0' : `${a}${col} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    }
    if (q.reason !== undefined) {
      where.push(`${a}reasons LIKE ? ESCAPE '\\'`);
      args.push(likePattern(q.reason));
    }
    if (q.text !== undefined) {
      const plan = this.#textPlan(q.text, a);
      where.push(plan.sql);
      args.push(plan.arg);
    }
    return { where, args };
  }

  /**
   * `support` is the queue support@ any domain (mod_callcenter names queues queue@domain), `support@d` only
   * itself. The names are looked up first so the filter is an equality: with one queue (the usual case) the
   * (queue, started_ms) index then hands rows over newest first, and a page stops after a page.
   */
  #namesakes(col: 'queue' | 'agent', v: string): string[] {
    if (v.includes('@')) return [v];
    // A range rather than LIKE: it seeks the index, and nothing in the name is a wildcard. 'A' follows '@'.
    const rows = this.#db.prepare(`SELECT DISTINCT ${col} AS name FROM recordings WHERE ${col} = ? OR (${col} >= ? AND ${col} < ?) LIMIT ${MAX_NAMESAKES}`).all(v, `${v}@`, `${v}A`) as { name: string }[];
    return rows.map((r) => r.name);
  }

  #cursor(q: RecordingQuery, a: string, where: string[], args: (string | number)[]): void {
    if (q.before === undefined) return;
    const [ms, seq] = q.before.split(':').map(Number) as [number, number];
    // Written so the bound on started_ms alone can seek the time index (an OR across columns cannot).
    where.push(`${a}started_ms <= ? AND (${a}started_ms < ? OR ${a}seq < ?)`);
    args.push(ms, ms, seq);
  }

  /**
   * A rare term (few trigram hits) is looked up in the full-text index and the hits sorted; a common one is
   * matched while walking the time index, which fills a page after a few rows. Under three characters the
   * trigram index cannot help at all.
   */
  #textPlan(text: string, a: string): { sql: string; arg: string } {
    const pattern = likePattern(text);
    // FTS5 answers LIKE from its index only without ESCAPE, so a term with a wildcard character takes the scan.
    if (text.length >= 3 && !/[\\%_]/.test(text)) {
      const plain = `%${text.toLowerCase()}%`;
      const hits = (this.#db.prepare(`SELECT count(*) AS n FROM (SELECT rowid FROM recordings_text WHERE search LIKE ? LIMIT ${RARE_TEXT_LIMIT + 1})`).get(plain) as { n: number }).n;
      if (hits <= RARE_TEXT_LIMIT) return { sql: `${a}seq IN (SELECT rowid FROM recordings_text WHERE search LIKE ?)`, arg: plain };
    }
    return { sql: `${a}search LIKE ? ESCAPE '\\'`, arg: pattern };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
