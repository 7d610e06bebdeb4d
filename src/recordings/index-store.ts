/**
 * The recordings index as every reader and writer sees it, whatever keeps it: SQLite in state_dir
 * (index-db.ts; one node, nothing to install) or a PostgreSQL database that several nodes share
 * (postgres/; the page and API on any node then list every node's recordings). Both engines run the same
 * tests (test/recordings/engines.ts), so the rules below hold for each.
 *
 * The rules: a tombstone (state 'deleted') is final, no later write brings the recording back; a legal hold
 * is set and cleared by setHold alone; an entry from storage (reindex) never replaces what a journal told,
 * it only fills in; `follow` batches writes, and every other call of the same object first writes what was
 * followed, so this process reads what it was told.
 */
import type { AuditEvent, AuditPage, AuditQuery, ConversationPage, LegalHold, NewAuditEvent, RecordingEntry, RecordingPage, RecordingQuery, Tombstone } from './types';

export interface IndexCounts {
  total: number;
  byState: Record<string, number>;
}

/** Retention's next page: stored, unheld recordings started before a time, oldest first. */
export interface RetentionCandidates {
  entries: RecordingEntry[];
  /** Where the next page starts, or null when there is none. */
  next: { startedMs: number; seq: number } | null;
}

/** The audit trail: not derived data (no reindex brings it back), so it lives beside the recordings and is never dropped. */
export interface AuditLog {
  append(e: NewAuditEvent): Promise<AuditEvent>;
  /** Newest first. */
  page(q: AuditQuery): Promise<AuditPage>;
}

export type IndexEngine = 'sqlite' | 'postgres';

/** One holder at a time across every node (retention runs under it). */
export interface ClusterLock {
  /** Takes the lock, or renews it when this holder has it; false when another holder has it. */
  acquire(): Promise<boolean>;
  /** Gives it up (only if this holder has it). */
  release(): Promise<void>;
  describe(): string;
}

export interface RecordingIndex {
  readonly engine: IndexEngine;
  /** Where it is, for logs and status: the file, or the database URL (never with a password). */
  readonly location: string;
  /** The index held another schema version and was emptied: only a reindex brings back what only storage knows. */
  readonly rebuilt: boolean;
  readonly audit: AuditLog;
  /** Told of a followed entry that could not be written (the journal keeps it; the next open catches up). */
  onFollowError: (id: string, err: unknown) => void;

  /** Queues the entry `build` makes (built only when written); a later step of the same id replaces it. */
  follow(id: string, build: () => RecordingEntry): void;
  /** Followed steps not written yet. */
  readonly followPending: number;
  /** Writes every followed step now. */
  flush(): Promise<void>;

  upsert(e: RecordingEntry): Promise<void>;
  /** Many upserts together (start-up sync, reindex, benchmarks); returns how many. */
  upsertMany(entries: Iterable<RecordingEntry>): Promise<number>;
  /** The entries the index does not have in their latest state (journalUpdatedAt differs). */
  staleOf(entries: Iterable<RecordingEntry>): Promise<RecordingEntry[]>;
  get(id: string): Promise<RecordingEntry | undefined>;
  /** Newest first, filtered; `next` is the cursor of the following page. */
  query(q: RecordingQuery): Promise<RecordingPage>;
  /** Conversations, newest first, listed in the place of their newest matching segment. */
  conversations(q: RecordingQuery): Promise<ConversationPage>;
  /** Every segment of a conversation in order (only `tenant`'s when given). */
  segmentsOf(conversationId: string, tenant?: string): Promise<RecordingEntry[]>;
  counts(): Promise<IndexCounts>;

  /** Turns the entry into a tombstone, once: undefined for an unknown id or one already deleted (by anyone). */
  markDeleted(id: string, tombstone: Tombstone): Promise<RecordingEntry | undefined>;
  /** Sets (undefined: clears) the hold of a known, not deleted entry; returns the entry. */
  setHold(id: string, hold: LegalHold | undefined): Promise<RecordingEntry | undefined>;
  retentionCandidates(startedBeforeMs: number, limit: number, after?: { startedMs: number; seq: number }): Promise<RetentionCandidates>;

  /** Starts a reindex generation: stored rows not written again before `endGeneration` are dropped. */
  beginGeneration(): Promise<number>;
  endGeneration(gen: number): Promise<number>;
  /** Planner statistics after bulk changes. */
  optimize(): Promise<void>;

  /**
   * A lock one holder at a time has across every node using this index, given up when its holder dies;
   * undefined when the engine cannot share one (SQLite is one node's: the storage lease is used instead).
   */
  clusterLock?(name: string): ClusterLock;
  close(): Promise<void>;
}
