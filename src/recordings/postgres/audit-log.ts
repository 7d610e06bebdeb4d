/**
 * The audit trail in the shared PostgreSQL database: the same columns and paging as the SQLite table
 * (audit-table.ts); seq is a bigserial, so every node's events share one increasing cursor.
 */
import type { Pool } from 'pg';
import type { AuditLog } from '../index-store';
import { AUDIT_INSERT_COLUMNS, auditFilters, auditInsertValues, auditPageOf, type AuditRow } from '../audit-rows';
import type { AuditEvent, AuditPage, AuditQuery, NewAuditEvent } from '../types';

export class PostgresAuditLog implements AuditLog {
  constructor(private readonly pool: Pool) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    const r = await this.pool.query<{ seq: string }>(`INSERT INTO audit (${AUDIT_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`, auditInsertValues(e));
    return { ...e, seq: Number(r.rows[0]?.seq) };
  }

  /** Newest first; `before` is the last seq of the previous page. */
  async page(q: AuditQuery): Promise<AuditPage> {
    const { terms, args } = auditFilters(q);
    // The same terms as SQLite's, their `?` numbered as PostgreSQL wants them.
    const numbered = terms.map((term, i) => term.replace('?', `$${i + 1}`));
    const sql = `SELECT * FROM audit ${numbered.length ? `WHERE ${numbered.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${args.length + 1}`;
    return auditPageOf((await this.pool.query<AuditRow>(sql, [...args, q.limit + 1])).rows, q.limit);
  }
}
