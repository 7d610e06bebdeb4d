/**
 * The audit trail in the shared PostgreSQL database: the same columns and paging as the SQLite table
 * (audit-table.ts); seq is a bigserial, so every node's events share one increasing cursor.
 */
import type { Pool } from 'pg';
import type { AuditLog } from '../index-store';
import type { AuditAction, AuditEvent, AuditPage, AuditQuery, NewAuditEvent } from '../types';

interface AuditRow {
  seq: string;
  at_ms: string;
  action: AuditAction;
  recording_id: string;
  tenant: string;
  actor: string;
  from_addr: string;
  reason: string | null;
  outcome: 'ok' | 'refused';
  detail: string | null;
}

function eventOf(r: AuditRow): AuditEvent {
  const e: AuditEvent = {
    seq: Number(r.seq),
    at: new Date(Number(r.at_ms)).toISOString(),
    action: r.action,
    recordingId: r.recording_id,
    tenant: r.tenant,
    actor: r.actor,
    from: r.from_addr,
    outcome: r.outcome,
  };
  if (r.reason !== null) e.reason = r.reason;
  if (r.detail !== null) e.detail = r.detail;
  return e;
}

export class PostgresAuditLog implements AuditLog {
  constructor(private readonly pool: Pool) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    const r = await this.pool.query<{ seq: string }>(
      'INSERT INTO audit (at_ms, action, recording_id, tenant, actor, from_addr, reason, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq',
      [Date.parse(e.at) || 0, e.action, e.recordingId, e.tenant, e.actor, e.from, e.reason ?? null, e.outcome, e.detail ?? null],
    );
    return { ...e, seq: Number(r.rows[0]?.seq) };
  }

  /** Newest first; `before` is the last seq of the previous page. */
  async page(q: AuditQuery): Promise<AuditPage> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, v: string | number): void => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.fromMs !== undefined) add('at_ms >= ?', q.fromMs);
    if (q.toMs !== undefined) add('at_ms < ?', q.toMs);
    if (q.action !== undefined) add('action = ?', q.action);
    if (q.recordingId !== undefined) add('recording_id = ?', q.recordingId);
    if (q.actor !== undefined) add('actor = ?', q.actor);
    if (q.tenant !== undefined) add('tenant = ?', q.tenant);
    if (q.before !== undefined) add('seq < ?', Number(q.before));
    args.push(q.limit + 1);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${args.length}`;
    const rows = (await this.pool.query<AuditRow>(sql, args)).rows;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return { events: page.map(eventOf), next: rows.length > q.limit && last ? String(last.seq) : null };
  }
}
