/**
 * The audit trail in the recordings index file: who downloaded, played, presigned, deleted, held or
 * released which recording, from where, and whether it was allowed. Unlike the recordings table it is not
 * derived data: no reindex can bring it back, so a schema change migrates it and never drops it.
 */
import type Database from 'better-sqlite3';
import type { AuditLog } from './index-store';
import { AUDIT_INSERT_COLUMNS, auditFilters, auditInsertValues, auditPageOf, type AuditRow } from './audit-rows';
import type { AuditEvent, AuditPage, AuditQuery, NewAuditEvent } from './types';

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

export class AuditTable implements AuditLog {
  constructor(private readonly db: Database.Database) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    const r = this.db.prepare(`INSERT INTO audit (${AUDIT_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...auditInsertValues(e));
    return { ...e, seq: Number(r.lastInsertRowid) };
  }

  /** Newest first; `before` is the last seq of the previous page. */
  async page(q: AuditQuery): Promise<AuditPage> {
    const { terms, args } = auditFilters(q);
    const sql = `SELECT * FROM audit ${terms.length ? `WHERE ${terms.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return auditPageOf(this.db.prepare(sql).all(...args, q.limit + 1) as AuditRow[], q.limit);
  }
}
