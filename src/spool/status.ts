/**
 * What the spool reports: the backlog, the counts, and the problems an operator must look at; computed
 * from the journal in memory and the spool's live facts (a pure function), and published as gauges.
 */
import type { Metrics } from '../metrics';
import type { WriteFailure } from './durable-journal';
import { PENDING, type JournalEntry } from './journal';

export interface SpoolStatus {
  inProgress: number;
  backlogFiles: number;
  backlogBytes: number;
  oldestAgeSeconds: number;
  stored: number;
  lost: number;
  /** Entries whose latest state could not be written to the journal yet (disk full, I/O error). */
  journalWritesFailing: number;
  /** Something an operator must look at (journal writes failing, a full disk); empty when all is well. */
  problems: string[];
  lastError?: string;
}

/** The spool's live facts besides the journal. */
export interface SpoolFacts {
  now: number;
  /** Bytes of a file being uploaded now, when known. */
  sizeOf: (id: string) => number | undefined;
  writeFailures: readonly WriteFailure[];
  diskProblem: string | undefined;
  lastError: string | undefined;
}

export function spoolStatus(entries: Iterable<JournalEntry>, facts: SpoolFacts): SpoolStatus {
  let backlogFiles = 0;
  let backlogBytes = 0;
  let oldest = facts.now;
  let stored = 0;
  let lost = 0;
  let inProgress = 0;
  for (const e of entries) {
    if (e.state === 'stored') stored++;
    else if (e.state === 'lost') lost++;
    else if (e.state === 'recording') inProgress++;
    else if (PENDING.has(e.state)) {
      backlogFiles++;
      backlogBytes += facts.sizeOf(e.id) ?? e.size ?? e.result?.reportedSize ?? 0;
      oldest = Math.min(oldest, Date.parse(e.result?.endedAt ?? e.meta.startedAt) || oldest);
    }
  }
  const problems: string[] = [];
  const failing = facts.writeFailures;
  if (failing.length) problems.push(`${failing.length} journal entr${failing.length === 1 ? 'y' : 'ies'} not written since ${new Date(Math.min(...failing.map((f) => f.since))).toISOString()}: ${failing[0]?.error}`);
  if (facts.diskProblem) problems.push(facts.diskProblem);
  return {
    inProgress,
    backlogFiles,
    backlogBytes,
    oldestAgeSeconds: Math.max(0, Math.round((facts.now - oldest) / 1000)),
    stored,
    lost,
    journalWritesFailing: failing.length,
    problems,
    lastError: facts.lastError,
  };
}

export function publishStatus(metrics: Metrics, s: SpoolStatus): void {
  metrics.set('fsrecd_backlog_files', 'Finished recordings not yet stored', s.backlogFiles);
  metrics.set('fsrecd_backlog_bytes', 'Bytes not yet stored', s.backlogBytes);
  metrics.set('fsrecd_backlog_oldest_seconds', 'Age of the oldest recording not yet stored', s.backlogFiles ? s.oldestAgeSeconds : 0);
  metrics.set('fsrecd_journal_writes_failing', 'Journal entries whose latest state is not on disk yet', s.journalWritesFailing);
}
