/**
 * One pass over spool_dir: every file is weighed against the journal entry naming its path (decideScan),
 * verified copies past keep_local_days are removed, and files FreeSWITCH has stopped writing are finished
 * or adopted. Entries an earlier run started whose file vanished are closed as discarded.
 */
import { stat } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import type { Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { RecordingSink } from '../model/recording';
import type { StorageTarget } from '../storage/target';
import { walkFiles } from '../util/walk-files';
import { adoptedMeta } from './adopted-meta';
import type { DurableJournal } from './durable-journal';
import type { Journal, JournalEntry } from './journal';
import { decideScan, type FoundFile, type ScanContext } from './scan-decision';
import { finishRemoval, isAside, removeVerifiedCopy } from './stored-copy';
import { confirmStoredCopy } from './uploader';

export interface ScannerOptions {
  spoolDir: string;
  /** Directories below spool_dir the scan must never enter (state_dir, a local storage dir). */
  excludeDirs?: readonly string[];
  orphanStableMs: number;
  keepLocalDays: number;
  journal: Journal;
  writes: DurableJournal;
  /** Where finished and vanished recordings go: the spool (it journals them and queues the upload). */
  sink: Pick<RecordingSink, 'finished' | 'discarded'>;
  target: StorageTarget;
  log: Logger;
  faults: Faults;
  now: () => number;
  /** Set once the spool stops: the pass ends at its next file, so the next owner never races this one. */
  stopped: () => boolean;
  /** The files FreeSWITCH is writing now, or undefined while it cannot be asked (see SpoolOptions). */
  recordedPaths?: () => Promise<ReadonlySet<string> | undefined>;
  /** The recorder follows this path and will hear its RECORD_STOP. */
  recorderFollows?: (path: string) => boolean;
  /** The node an adopted file is recorded as ('' when unknown). */
  node: string;
}

type Candidate = { file: FoundFile; finish?: JournalEntry; cause?: string } | { vanished: JournalEntry };

export class Scanner {
  constructor(private readonly opts: ScannerOptions) {}

  async pass(): Promise<void> {
    const ctx: ScanContext = {
      now: this.opts.now(),
      stableMs: this.opts.orphanStableMs,
      keepLocalMs: this.opts.keepLocalDays * 86_400_000,
      recorderFollows: this.opts.recorderFollows ?? (() => false),
    };
    const candidates: Candidate[] = [];
    const seen = new Set<string>();
    for await (const path of walkFiles(this.opts.spoolDir, this.opts.excludeDirs, isAside)) {
      if (this.opts.stopped()) return;
      if (isAside(basename(path))) {
        await finishRemoval(path, this.opts.journal, this.opts.faults, this.opts.log);
        continue;
      }
      seen.add(path);
      const st = await stat(path).catch(() => undefined);
      if (!st || !st.isFile()) continue;
      const file: FoundFile = { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
      const action = decideScan(file, this.opts.journal.byPath(path), ctx);
      if (action.kind === 'remove-stored-copy' && (await confirmStoredCopy(action.entry, this.opts))) await removeVerifiedCopy(action.entry, this.opts.journal, this.opts.faults, this.opts.log);
      else if (action.kind === 'finish') candidates.push({ file, finish: action.entry, cause: action.cause });
      else if (action.kind === 'adopt') candidates.push({ file });
    }
    // Recordings an earlier run started whose file is gone (FreeSWITCH discards empty and too-short ones,
    // and an armed recording of an unanswered call): nobody else will ever close these entries.
    for (const e of this.opts.journal.entries.values()) {
      if (e.state === 'recording' && !seen.has(e.meta.path) && !ctx.recorderFollows(e.meta.path) && ctx.now - (Date.parse(e.meta.startedAt) || ctx.now) >= ctx.stableMs) {
        candidates.push({ vanished: e });
      }
    }
    if (candidates.length && !this.opts.stopped()) await this.#takeCandidates(candidates);
  }

  /** Finishes or adopts files FreeSWITCH is not writing; while it cannot be asked, waits. */
  async #takeCandidates(candidates: Candidate[]): Promise<void> {
    const { log, sink } = this.opts;
    let recorded: ReadonlySet<string> | undefined = new Set();
    if (this.opts.recordedPaths) {
      recorded = await this.opts.recordedPaths().catch(() => undefined);
      if (!recorded) {
        log.debug('FreeSWITCH cannot be asked which files it records; adoption waits', { candidates: candidates.length });
        return;
      }
    }
    for (const c of candidates) {
      if (this.opts.stopped()) return;
      if ('vanished' in c) {
        const e = c.vanished;
        if (recorded.has(e.meta.path) || this.opts.recorderFollows?.(e.meta.path) || (await stat(e.meta.path).then(() => true, () => false))) continue;
        log.warn('a recording started by an earlier run has no file and FreeSWITCH is not writing it: journaled as discarded', { recording: e.id, path: e.meta.path });
        await sink.discarded(e.meta, { endedAt: new Date(this.opts.now()).toISOString(), durationMs: 0, completionCause: 'no-file-after-restart' });
        continue;
      }
      const { file, finish, cause } = c;
      if (recorded.has(file.path) || this.opts.recorderFollows?.(file.path)) continue;
      if (finish) {
        log.info('finishing a recording whose file is complete', { recording: finish.id, path: file.path, was: finish.state, cause });
        await sink.finished(finish.meta, { ...(finish.result ?? { durationMs: 0 }), endedAt: finish.result?.endedAt ?? new Date(file.mtimeMs).toISOString(), completionCause: cause ?? 'finished-by-scan' });
        continue;
      }
      const rel = relative(this.opts.spoolDir, file.path).split('\\').join('/');
      const meta = adoptedMeta(file, rel, this.opts.node);
      log.info('adopting a recording no journal entry can act on', { path: file.path });
      await this.opts.writes.persist({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '', adopted: true });
      await sink.finished(meta, { endedAt: new Date(file.mtimeMs).toISOString(), durationMs: 0, completionCause: 'adopted' });
    }
  }
}
