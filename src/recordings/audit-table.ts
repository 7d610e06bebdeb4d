/**
 * The audit trail in the recordings index file: who downloaded, played, presigned, deleted, held or
 * released which recording, from where, and whether it was allowed. Unlike the recordings table it is not
 * derived data: no reindex can bring it back, so a schema change migrates it and never drops it.
 */
import type Database from 'better-sqlite3';
import type { AuditLog } from './index-store';
import type { AuditAction, AuditEvent, AuditPage, AuditQuery, NewAuditEvent } from './types';

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  action TEXT NOT NULL,
  recording_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  actor TEXT NOT NULL,
  from_addr TEXT NOT NULL,
  reason TEXT,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit(at_ms);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit(tenant, seq);
CREATE INDEX IF NOT EXISTS audit_by_recording ON audit(recording_id, seq);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit(actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit(action, seq);
`;

interface AuditRow {
  seq: number;
  at_ms: number;
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
  const e: AuditEvent = { seq: r.seq, at: new Date(r.at_ms).toISOString(), action: r.action, recordingId: r.recording_id, tenant: r.tenant, actor: r.actor, from: r.from_addr, outcome: r.outcome };
  if (r.reason !== null) e.reason = r.reason;
  if (r.detail !== null) e.detail = r.detail;
  return e;
}


export class AuditTable implements AuditLog {
  constructor(private readonly db: Database.Database) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    const r = this.db
      .prepare('INSERT INTO audit (at_ms, action, recording_id, tenant, actor, from_addr, reason, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(Date.parse(e.at) || 0, e.action, e.recordingId, e.tenant, e.actor, e.from, e.reason ?? null, e.outcome, e.detail ?? null);
    return { ...e, seq: Number(r.lastInsertRowid) };
  }

  /** Newest first; `before` is the last seq of the previous page. */
  async page(q: AuditQuery): Promise<AuditPage> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const eq = (col: string, v: string | undefined): void => {
      if (v === undefined) return;
      where.push(`${col} = ?`);
      args.push(v);
    };
    if (q.fromMs !== undefined) {
      where.push('at_ms >= ?');
      args.push(q.fromMs);
    }
    if (q.toMs !== undefined) {
      where.push('at_ms < ?');
      args.push(q.toMs);
    }
    eq('action', q.action);
    eq('recording_id', q.recordingId);
    eq('actor', q.actor);
    eq('tenant', q.tenant);
    if (q.before !== undefined) {
      where.push('seq < ?');
      args.push(Number(q.before));
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit + 1) as AuditRow[];
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return { events: page.map(eventOf), next: rows.length > q.limit && last ? String(last.seq) : null };
  }
}
