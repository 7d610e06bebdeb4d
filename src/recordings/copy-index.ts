/**
 * Copies one index into another, through the interface both engines share: moving a node from its own
 * SQLite file to the shared PostgreSQL database keeps what no reindex can rebuild — tombstones, legal holds
 * and the audit trail — besides every recording. Entries are written as they are (a journal entry stays
 * one); a tombstone is made with markDeleted and a hold with setHold, the only ways the index takes them.
 */
import type { RecordingIndex } from './index-store';
import type { AuditEvent, RecordingEntry } from './types';

export interface CopyReport {
  recordings: number;
  tombstones: number;
  holds: number;
  auditEvents: number;
  /** The target already had an audit trail and no --force: the source's was not copied (copying twice doubles it). */
  auditSkipped: boolean;
}

const PAGE = 1000;

export async function copyIndex(from: RecordingIndex, to: RecordingIndex, opts: { copyAuditOverExisting?: boolean; onProgress?: (r: CopyReport) => void } = {}): Promise<CopyReport> {
  const report: CopyReport = { recordings: 0, tombstones: 0, holds: 0, auditEvents: 0, auditSkipped: false };
  let before: string | undefined;
  do {
    const page = await from.query({ limit: PAGE, before });
    const live = page.recordings.map(({ deleted: _tombstone, hold: _hold, ...e }): RecordingEntry => (e.state === 'deleted' ? { ...e, state: 'stored' } : e));
    await to.upsertMany(live);
    for (const e of page.recordings) {
      if (e.state === 'deleted' && e.deleted && (await to.markDeleted(e.id, e.deleted))) report.tombstones++;
      else if (e.hold && !(await to.get(e.id))?.hold && (await to.setHold(e.id, e.hold))) report.holds++;
    }
    report.recordings += page.recordings.length;
    opts.onProgress?.({ ...report });
    before = page.next ?? undefined;
  } while (before !== undefined);

  const existing = await to.audit.page({ limit: 1 });
  if (existing.events.length > 0 && !opts.copyAuditOverExisting) {
    report.auditSkipped = true;
    return report;
  }
  // Newest first from the source; appended oldest first, so the target's order (its seq) is the source's.
  const pages: AuditEvent[][] = [];
  let cursor: string | undefined;
  do {
    const page = await from.audit.page({ limit: PAGE, before: cursor });
    pages.push(page.events);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  for (const events of pages.reverse()) {
    for (const { seq: _seq, ...e } of events.reverse()) {
      await to.audit.append(e);
      report.auditEvents++;
    }
  }
  return report;
}
