/**
 * Pure: what an upsert writes (the index's merge rules, as the SQLite engine applies them) and the
 * columns of that row. The hold of an existing row is kept by the statement itself (postgres-index.ts
 * UPSERT_SQL), under the row lock, so a journal step needs no read first.
 */
import { searchText } from '../index-db';
import type { RecordingEntry } from '../types';

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The entry an upsert writes, given what the index has (read for an entry from storage only). The journal
 * is the truth about a node's recordings; storage may not tell everything (no MD5 after a multipart
 * upload, nothing about the spool), so an entry from storage only fills in. An entry from before
 * conversations is a conversation of one. A tombstone is never written by an upsert.
 */
export function mergedEntry(e: RecordingEntry, existing: RecordingEntry | undefined): RecordingEntry {
  const given: RecordingEntry = existing && e.source === 'storage' ? { ...existing, ...stripUndefined(e), md5: e.md5 ?? existing.md5, source: existing.source } : e;
  const hold = existing?.hold ?? given.hold;
  return { ...given, conversationId: given.conversationId || given.callUuid || given.id, segment: given.segment || 1, hold, deleted: undefined };
}

/** One row's columns, in the order of ROW_COLUMNS. */
export type RowValues = [
  id: string,
  startedMs: number,
  direction: string,
  network: string,
  trigger: string,
  state: string,
  tenant: string,
  user: string | null,
  device: string | null,
  node: string,
  search: string,
  reasons: string,
  conversationId: string,
  segment: number,
  queue: string | null,
  agent: string | null,
  journalUpdatedAt: string | null,
  held: boolean,
  doc: string,
];

/** Column names and their array types, for `unnest($1::text[], …)`. */
export const ROW_COLUMNS: readonly [string, string][] = [
  ['id', 'text'],
  ['started_ms', 'int8'],
  ['direction', 'text'],
  ['network', 'text'],
  ['trigger', 'text'],
  ['state', 'text'],
  ['tenant', 'text'],
  ['"user"', 'text'],
  ['device', 'text'],
  ['node', 'text'],
  ['search', 'text'],
  ['reasons', 'text'],
  ['conversation_id', 'text'],
  ['segment', 'int4'],
  ['queue', 'text'],
  ['agent', 'text'],
  ['journal_updated_at', 'text'],
  ['held', 'bool'],
  ['doc', 'jsonb'],
];

export function rowOf(e: RecordingEntry): RowValues {
  return [
    e.id,
    Date.parse(e.startedAt) || 0,
    e.direction,
    e.network,
    e.trigger,
    e.state,
    e.tenant,
    e.user ?? null,
    e.device ?? null,
    e.node ?? '',
    searchText(e),
    e.reasons.join('\n').toLowerCase(),
    e.conversationId,
    e.segment,
    e.queue ?? null,
    e.agent ?? null,
    e.journalUpdatedAt ?? null,
    !!e.hold && e.state !== 'deleted',
    JSON.stringify(e),
  ];
}

/** Rows as one array per column (the parameters of the unnest). */
export function columnsOf(rows: RowValues[]): unknown[][] {
  return ROW_COLUMNS.map((_, i) => rows.map((r) => r[i]));
}
