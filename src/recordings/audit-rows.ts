/**
 * The audit trail's rows as both engines keep them (same columns, same order): the WHERE terms of a page
 * (with `?` placeholders; PostgreSQL numbers them), and a row read back as an event. Pure.
 */
import type { AuditAction, AuditEvent, AuditPage, AuditQuery } from './types';

/** A row as a driver returns it: PostgreSQL's bigint columns come back as strings. */
export interface AuditRow {
  seq: number | string;
  at_ms: number | string;
  action: AuditAction;
  recording_id: string;
  tenant: string;
  actor: string;
  from_addr: string;
  reason: string | null;
  outcome: 'ok' | 'refused';
  detail: string | null;
}

export const AUDIT_INSERT_COLUMNS = 'at_ms, action, recording_id, tenant, actor, from_addr, reason, outcome, detail';

export function auditInsertValues(e: Omit<AuditEvent, 'seq'>): (string | number | null)[] {
  return [Date.parse(e.at) || 0, e.action, e.recordingId, e.tenant, e.actor, e.from, e.reason ?? null, e.outcome, e.detail ?? null];
}

/** The terms of a page's WHERE (joined with AND), each with one `?`, and their values in order. */
export function auditFilters(q: AuditQuery): { terms: string[]; args: (string | number)[] } {
  const terms: string[] = [];
  const args: (string | number)[] = [];
  const add = (term: string, v: string | number | undefined): void => {
    if (v === undefined) return;
    terms.push(term);
    args.push(v);
  };
  add('at_ms >= ?', q.fromMs);
  add('at_ms < ?', q.toMs);
  add('action = ?', q.action);
  add('recording_id = ?', q.recordingId);
  add('actor = ?', q.actor);
  add('tenant = ?', q.tenant);
  add('seq < ?', q.before === undefined ? undefined : Number(q.before));
  return { terms, args };
}

export function auditEventOf(r: AuditRow): AuditEvent {
  const e: AuditEvent = { seq: Number(r.seq), at: new Date(Number(r.at_ms)).toISOString(), action: r.action, recordingId: r.recording_id, tenant: r.tenant, actor: r.actor, from: r.from_addr, outcome: r.outcome };
  if (r.reason !== null) e.reason = r.reason;
  if (r.detail !== null) e.detail = r.detail;
  return e;
}

/** A page from `limit + 1` rows newest first: the extra row only says there is a next page. */
export function auditPageOf(rows: AuditRow[], limit: number): AuditPage {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { events: page.map(auditEventOf), next: rows.length > limit && last ? String(last.seq) : null };
}
