/**
 * Hands every finished recording to the storage target and only then removes the local file. Every step
 * is journaled, so a crash, kill -9 or storage outage loses nothing: on start the spool resumes what was in
 * flight and adopts files in spool_dir that no entry can act on (e.g. recorded by the dialplan), once
 * FreeSWITCH says it is no longer writing them. The promises are in the README's "Guarantees".
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, statfs, unlink } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { UploadConfig } from '../config/types';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingMeta, RecordingResult, RecordingSink } from '../model/recording';
import { md5File } from '../storage/local-target';
import type { StorageTarget } from '../storage/target';
import { verifyStored } from '../storage/verify';
import { walkFiles } from '../util/walk-files';
import { retryDelay } from './backoff';
import { Journal, TERMINAL, type FileIdentity, type JournalEntry } from './journal';
import { acquireSpoolLock, type SpoolLock } from './lock';
import { decideScan, sameFile, type FoundFile } from './scan-decision';

export interface SpoolOptions {
  stateDir: string;
  spoolDir: string;
  upload: UploadConfig;
  target: StorageTarget;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
  /** Told of every journal entry once it is durable (the recordings index). */
  onJournal?: (entry: JournalEntry) => void;
  /** Numbered durable steps (tests inject crashes and errors there). */
  faults?: Faults;
  /** Directories below spool_dir the scan must never enter (state_dir, a local storage dir). */
  excludeDirs?: readonly string[];
  /**
   * The files FreeSWITCH is writing now (its media bugs), or undefined while it cannot be asked. Without
   * this option (fsrecd sync with the daemon stopped) a file unchanged for orphan_stable_ms is finished.
   */
  recordedPaths?: () => Promise<ReadonlySet<string> | undefined>;
  /** The recorder follows this path and will hear its RECORD_STOP. */
  recorderFollows?: (path: string) => boolean;
  /** Take state_dir's lock (one owner of the journal at a time); off only for read-only commands. */
  lock?: boolean;
}

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

export interface DrainProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

interface WriteFailure {
  since: number;
  error: string;
  attempts: number;
}

const PENDING = new Set(['finished', 'uploading']);

export class Spool implements RecordingSink {
  readonly journal: Journal;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sizes = new Map<string, number>();
  readonly #writeFailures = new Map<string, WriteFailure>();
  readonly #writeRetries = new Map<string, Promise<void>>();
  readonly #sleepers = new Set<() => void>();
  readonly #faults: Faults;
  #lock: SpoolLock | undefined;
  #scanTimer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #running = false;
  /** Set by stop(): no scan starts or goes on after it, so the next owner never races this one. */
  #stopped = false;
  #prunedAt: number | undefined;
  #lastError: string | undefined;
  #diskProblem: string | undefined;
  readonly #now: () => number;

  private constructor(private readonly opts: SpoolOptions) {
    this.#faults = opts.faults ?? NO_FAULTS;
    this.#now = opts.now ?? Date.now;
    this.journal = new Journal(resolve(opts.stateDir, 'journal'), opts.onJournal, this.#faults, this.#now);
    opts.metrics.onCollect(() => this.#gauge());
  }

  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    await mkdir(opts.stateDir, { recursive: true, mode: 0o750 });
    if (opts.lock !== false) spool.#lock = await acquireSpoolLock(opts.stateDir, spool.#faults);
    await spool.journal.load((file, err) => opts.log.error('unreadable journal entry left in place', { file, error: String(err) }));
    return spool;
  }

  /** Resumes unfinished work, then keeps scanning the spool for files that need storing. */
  async start(): Promise<void> {
    this.#running = true;
    // FreeSWITCH would create it with the first recording; creating it now lets the disk guard watch it at once.
    await mkdir(this.opts.spoolDir, { recursive: true, mode: 0o750 }).catch(() => undefined);
    for (const e of this.journal.entries.values()) if (PENDING.has(e.state)) this.#enqueue(e.id);
    await this.scan();
    const every = Math.max(500, Math.min(this.opts.upload.orphanStableMs, 30_000));
    this.#scanTimer = setInterval(() => void this.scan(), every);
    this.#scanTimer.unref();
    this.#pump();
  }

  /** Stops taking work; waits up to graceMs for uploads in flight. The journal is consistent either way. */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    this.#stopped = true;
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const wake of [...this.#sleepers]) wake();
    const all = Promise.allSettled([...this.#inFlight.values(), ...this.#writeRetries.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    // A scan in progress stops at its next file; the lock goes only once it has (never two owners at once).
    await this.#scanning;
    await this.#lock?.release();
    this.#lock = undefined;
  }

  /** `fsrecd sync` against a running daemon (SIGUSR2): every waiting upload is tried now, not at its backoff. */
  retryNow(): void {
    // Journal writes waiting to retry go now too (waking them; a cleared timer would leave them waiting forever).
    for (const wake of [...this.#sleepers]) wake();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const e of this.journal.entries.values()) if (PENDING.has(e.state)) this.#enqueue(e.id);
    this.#pump();
    void this.scan();
  }

  // RecordingSink: none of these rejects. A journal write that fails is retried until it lands.

  async started(meta: RecordingMeta): Promise<void> {
    await this.#persist({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' });
  }

  async finished(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    const e = this.#entryFor(meta);
    // The size now, so the backlog is known in bytes even to a process that only reads the journal.
    const size = await stat(meta.path).then((st) => st.size, () => undefined);
    // The upload goes ahead from memory even while the journal cannot be written: deleting the local
    // file waits for a durable "stored", and a crash before that finds the file again.
    const written = this.#persist({ ...e, state: 'finished', result, size, lastError: undefined });
    this.#enqueue(meta.id);
    this.#pump();
    await written;
  }

  async discarded(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    await this.#persist({ ...this.#entryFor(meta), state: 'discarded', result, lastError: result.completionCause });
  }

  async failed(meta: RecordingMeta, reason: string): Promise<void> {
    await this.#persist({ ...this.#entryFor(meta), state: 'failed', lastError: reason });
  }

  /** A note on an entry that changes nothing else (an unanswered uuid_record, say). */
  async note(id: string, text: string): Promise<void> {
    const e = this.journal.entries.get(id);
    if (e) await this.#persist({ ...e, lastError: text });
  }

  #entryFor(meta: RecordingMeta): JournalEntry {
    return this.journal.entries.get(meta.id) ?? { id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' };
  }

  /**
   * Puts the entry in the journal. Resolves once it is durable or its first write failed; a failed write
   * is retried with backoff in the background until it lands, and shows in status() meanwhile.
   */
  async #persist(e: JournalEntry): Promise<boolean> {
    try {
      await this.journal.put(e);
      this.#writeSucceeded(e.id);
      return true;
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      this.#writeFailed(e.id, err);
      void this.#retryWrite(e.id);
      return false;
    }
  }

  /** Resolves only once the entry's latest state is on disk (or the spool stopped). */
  async #durable(id: string): Promise<boolean> {
    const retry = this.#writeRetries.get(id);
    if (!retry) {
      try {
        await this.journal.flush(id);
        this.#writeSucceeded(id);
        return true;
      } catch (err) {
        if (isSimulatedCrash(err)) throw err;
        this.#writeFailed(id, err);
      }
    }
    await this.#retryWrite(id);
    return !this.#writeFailures.has(id);
  }

  #retryWrite(id: string): Promise<void> {
    let p = this.#writeRetries.get(id);
    if (p) return p;
    p = (async () => {
      for (let attempt = 1; this.#writeFailures.has(id); attempt++) {
        // Stopping: one last try; a restart finds the older state on disk and redoes the step from there.
        if (!this.#running && attempt > 1) return;
        await this.#sleep(retryDelay(attempt, this.opts.upload.retryMinMs, this.opts.upload.retryMaxMs));
        try {
          await this.journal.flush(id);
          this.#writeSucceeded(id);
        } catch (err) {
          if (isSimulatedCrash(err)) return;
          this.#writeFailed(id, err);
        }
      }
    })().finally(() => this.#writeRetries.delete(id));
    this.#writeRetries.set(id, p);
    return p;
  }

  /** A wait that stop() cuts short. */
  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.#timers.delete(t);
        this.#sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      t.unref();
      this.#timers.add(t);
      this.#sleepers.add(wake);
    });
  }

  #writeFailed(id: string, err: unknown): void {
    const error = `journal write failed in ${this.journal.dir}: ${err instanceof Error ? err.message : String(err)}`;
    const prev = this.#writeFailures.get(id);
    this.#writeFailures.set(id, { since: prev?.since ?? this.#now(), error, attempts: (prev?.attempts ?? 0) + 1 });
    this.opts.metrics.inc('fsrecd_journal_write_failures_total', 'Journal writes that failed (retried until they land)');
    if (!prev) this.opts.log.error('journal write failed; retrying until it lands (nothing is deleted meanwhile)', { recording: id, stateDir: this.opts.stateDir, error });
  }

  #writeSucceeded(id: string): void {
    if (this.#writeFailures.delete(id)) this.opts.log.info('journal write landed after retries', { recording: id });
  }

  status(): SpoolStatus {
    let backlogFiles = 0;
    let backlogBytes = 0;
    let oldest = this.#now();
    let stored = 0;
    let lost = 0;
    let inProgress = 0;
    for (const e of this.journal.entries.values()) {
      if (e.state === 'stored') stored++;
      else if (e.state === 'lost') lost++;
      else if (e.state === 'recording') inProgress++;
      else if (PENDING.has(e.state)) {
        backlogFiles++;
        backlogBytes += this.#sizes.get(e.id) ?? e.size ?? e.result?.reportedSize ?? 0;
        oldest = Math.min(oldest, Date.parse(e.result?.endedAt ?? e.meta.startedAt) || oldest);
      }
    }
    const problems: string[] = [];
    const failing = [...this.#writeFailures.values()];
    if (failing.length) problems.push(`${failing.length} journal entr${failing.length === 1 ? 'y' : 'ies'} not written since ${new Date(Math.min(...failing.map((f) => f.since))).toISOString()}: ${failing[0]?.error}`);
    if (this.#diskProblem) problems.push(this.#diskProblem);
    return {
      inProgress,
      backlogFiles,
      backlogBytes,
      oldestAgeSeconds: Math.max(0, Math.round((this.#now() - oldest) / 1000)),
      stored,
      lost,
      journalWritesFailing: failing.length,
      problems,
      lastError: this.#lastError,
    };
  }

  /** Uploads everything pending now (fsrecd sync); resolves when the backlog is empty or only failures remain. */
  async drain(onProgress?: (p: DrainProgress) => void): Promise<SpoolStatus> {
    this.#running = true;
    const pending = [...this.journal.entries.values()].filter((e) => PENDING.has(e.state));
    const sizes = await Promise.all(pending.map((e) => stat(e.meta.path).then((s) => s.size, () => 0)));
    const progress: DrainProgress = { filesDone: 0, filesTotal: pending.length, bytesDone: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0) };
    for (const [i, e] of pending.entries()) {
      await this.#upload(e.id);
      progress.filesDone++;
      progress.bytesDone += sizes[i] ?? 0;
      onProgress?.({ ...progress });
    }
    return this.status();
  }

  /** One pass over spool_dir (never two at once): finishes, adopts and cleans up what the journal says. */
  scan(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#scanning ??= this.#scan()
      .catch((err: unknown) => {
        if (!isSimulatedCrash(err)) this.opts.log.error('spool scan failed', { spoolDir: this.opts.spoolDir, error: String(err) });
      })
      .finally(() => (this.#scanning = undefined));
    return this.#scanning;
  }

  async #scan(): Promise<void> {
    const ctx = {
      now: this.#now(),
      stableMs: this.opts.upload.orphanStableMs,
      keepLocalMs: this.opts.upload.keepLocalDays * 86_400_000,
      recorderFollows: this.opts.recorderFollows ?? (() => false),
    };
    const candidates: Candidate[] = [];
    const seen = new Set<string>();
    for await (const path of walkFiles(this.opts.spoolDir, this.opts.excludeDirs)) {
      if (this.#stopped) return;
      seen.add(path);
      const st = await stat(path).catch(() => undefined);
      if (!st || !st.isFile()) continue;
      const file: FoundFile = { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
      const action = decideScan(file, this.journal.byPath(path), ctx);
      if (action.kind === 'remove-stored-copy') await this.#removeVerified(action.entry);
      else if (action.kind === 'finish') candidates.push({ file, finish: action.entry, cause: action.cause });
      else if (action.kind === 'adopt') candidates.push({ file });
    }
    // Recordings an earlier run started whose file is gone (FreeSWITCH discards empty and too-short ones,
    // and an armed recording of an unanswered call): nobody else will ever close these entries.
    for (const e of this.journal.entries.values()) {
      if (e.state === 'recording' && !seen.has(e.meta.path) && !ctx.recorderFollows(e.meta.path) && ctx.now - (Date.parse(e.meta.startedAt) || ctx.now) >= ctx.stableMs) {
        candidates.push({ vanished: e });
      }
    }
    if (candidates.length && !this.#stopped) await this.#takeCandidates(candidates);
    if (this.#stopped) return;
    await this.#checkDisk();
    await this.#prune();
  }

  /** Finishes or adopts files FreeSWITCH is not writing; while it cannot be asked, waits. */
  async #takeCandidates(candidates: Candidate[]): Promise<void> {
    let recorded: ReadonlySet<string> | undefined = new Set();
    if (this.opts.recordedPaths) {
      recorded = await this.opts.recordedPaths().catch(() => undefined);
      if (!recorded) {
        this.opts.log.debug('FreeSWITCH cannot be asked which files it records; adoption waits', { candidates: candidates.length });
        return;
      }
    }
    for (const c of candidates) {
      if (this.#stopped) return;
      if ('vanished' in c) {
        const e = c.vanished;
        if (recorded.has(e.meta.path) || this.opts.recorderFollows?.(e.meta.path) || (await stat(e.meta.path).then(() => true, () => false))) continue;
        this.opts.log.warn('a recording started by an earlier run has no file and FreeSWITCH is not writing it: journaled as discarded', { recording: e.id, path: e.meta.path });
        await this.discarded(e.meta, { endedAt: new Date(this.#now()).toISOString(), durationMs: 0, completionCause: 'no-file-after-restart' });
        continue;
      }
      const { file, finish, cause } = c;
      if (recorded.has(file.path) || this.opts.recorderFollows?.(file.path)) continue;
      if (finish) {
        this.opts.log.info('finishing a recording whose file is complete', { recording: finish.id, path: file.path, was: finish.state, cause });
        await this.finished(finish.meta, { ...(finish.result ?? { durationMs: 0 }), endedAt: finish.result?.endedAt ?? new Date(file.mtimeMs).toISOString(), completionCause: cause ?? 'finished-by-scan' });
        continue;
      }
      const rel = relative(this.opts.spoolDir, file.path).split('\\').join('/');
      const meta = adoptedMeta(file, rel);
      this.opts.log.info('adopting a recording no journal entry can act on', { path: file.path });
      await this.#persist({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '', adopted: true });
      await this.finished(meta, { endedAt: new Date(file.mtimeMs).toISOString(), durationMs: 0, completionCause: 'adopted' });
    }
  }

  /** Removes the local file only if it is the very file that was verified in storage. */
  async #removeVerified(e: JournalEntry): Promise<void> {
    // Only once "stored" is on disk: a crash after the unlink must find the record of where the file went.
    if (this.journal.durableState(e.id) !== 'stored') return;
    const st = await stat(e.meta.path).catch(() => undefined);
    if (!st) return;
    const now: FileIdentity = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
    if (e.verified ? !sameFile(now, e.verified) : st.size !== e.size) {
      this.opts.log.warn('a different file is at a stored recording\'s path; it is kept and stored as its own recording', { recording: e.id, path: e.meta.path });
      return;
    }
    this.#faults.at('spool.unlink-local');
    await unlink(e.meta.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.opts.log.warn('could not remove a stored recording\'s local copy', { path: e.meta.path, error: err.message });
    });
    this.#faults.at('spool.after-unlink-local');
  }

  /** Removes journal entries that need nothing more, at most once an hour (they stay in the recordings index). */
  async #prune(): Promise<void> {
    const now = this.#now();
    if (this.#prunedAt !== undefined && now - this.#prunedAt < 3_600_000) return;
    this.#prunedAt = now;
    const keepMs = this.opts.upload.journalKeepDays * 86_400_000;
    let removed = 0;
    for (const e of [...this.journal.entries.values()]) {
      if (!TERMINAL.has(e.state) || now - (Date.parse(e.updatedAt) || now) < keepMs || this.#writeFailures.has(e.id)) continue;
      // A file still at the path keeps its entry: the scan must know a stored copy, or finish a failed one.
      if (await stat(e.meta.path).then(() => true, () => false)) continue;
      await this.journal.remove(e.id);
      removed++;
    }
    if (removed) this.opts.log.info('journal entries older than upload.journal_keep_days removed', { removed });
  }

  #enqueue(id: string): void {
    if (this.#queued.has(id) || this.#inFlight.has(id)) return;
    this.#queued.add(id);
    this.#queue.push(id);
  }

  #pump(): void {
    if (!this.#running) return;
    while (this.#inFlight.size < this.opts.upload.concurrency && this.#queue.length > 0) {
      const id = this.#queue.shift() as string;
      this.#queued.delete(id);
      const p = this.#upload(id)
        .catch((err: unknown) => {
          // #upload handles its own errors; this is the last guard: the pump never throws.
          if (isSimulatedCrash(err)) return; // a dead instance does nothing more
          this.opts.log.error('upload step failed unexpectedly; will retry', { recording: id, error: String(err) });
          this.#retryLater(id, 1);
        })
        .finally(() => {
          this.#inFlight.delete(id);
          this.#pump();
        });
      this.#inFlight.set(id, p);
    }
  }

  #retryLater(id: string, attempts: number): void {
    if (!this.#running) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.#enqueue(id);
      this.#pump();
    }, retryDelay(attempts, this.opts.upload.retryMinMs, this.opts.upload.retryMaxMs));
    t.unref();
    this.#timers.add(t);
  }

  async #upload(id: string): Promise<void> {
    const e = this.journal.entries.get(id);
    if (!e || !PENDING.has(e.state)) return;
    const { target, log, metrics, upload } = this.opts;
    const before = await stat(e.meta.path).catch((err: NodeJS.ErrnoException) => err);
    if (before instanceof Error) {
      // The journal says finished but the file is gone: lost, said once, never retried in a loop.
      await this.#persist({ ...e, state: 'lost', lastError: `local file missing: ${before.code ?? String(before)}` });
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'lost' });
      log.error('recording lost: the local file vanished before it was stored', { recording: id, path: e.meta.path });
      return;
    }
    const size = before.size;
    this.#sizes.set(id, size);
    try {
      const md5 = await md5File(e.meta.path);
      // "uploading" is informative: a crash at any point below is recovered by re-running the upload,
      // which finds an object already stored for this recording instead of making a second one.
      this.#persist({ ...e, state: 'uploading', attempts: e.attempts + 1 }).catch(() => undefined);
      // The target numbers its own steps (upload.put-object, upload.put-metadata, local.*).
      const stored = await target.put(e.meta.path, e.key, e.meta, e.result, md5, this.#faults);
      this.#faults.at('upload.verify');
      const check = await verifyStored(await target.stat(stored.key), e.meta.path, { size, md5 });
      if (!check.ok) throw new Error(`verification failed for ${stored.key}: ${check.reason}`);
      const after = await stat(e.meta.path);
      const verified: FileIdentity = { size: after.size, mtimeMs: after.mtimeMs, ino: after.ino, dev: after.dev };
      if (after.size !== size || after.mtimeMs !== before.mtimeMs || after.ino !== before.ino) {
        throw new Error(`local file ${e.meta.path} changed while it was uploaded (is something still writing it?)`);
      }
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'ok' });
      const cur = this.journal.entries.get(id) ?? e;
      await this.#persist({ ...cur, state: 'stored', key: stored.key, size, md5, verified, lastError: undefined });
      this.#sizes.delete(id);
      log.info('recording stored', { recording: id, key: stored.key, bytes: size, target: target.describe() });
      // The local copy goes only once "stored" is on disk: else a crash would leave neither file nor record.
      if (upload.keepLocalDays === 0 && (await this.#durable(id))) await this.#removeVerified(this.journal.entries.get(id) ?? e);
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const cur = this.journal.entries.get(id) ?? e;
      if (cur.state !== 'stored') await this.#persist({ ...cur, state: 'finished', lastError: message });
      if (message !== this.#lastError) log.error('upload failed; will retry', { recording: id, target: target.describe(), error: message });
      this.#lastError = message;
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'error' });
      this.#retryLater(id, cur.attempts);
    }
  }

  #gauge(): void {
    const s = this.status();
    const { metrics } = this.opts;
    metrics.set('fsrecd_backlog_files', 'Finished recordings not yet stored', s.backlogFiles);
    metrics.set('fsrecd_backlog_bytes', 'Bytes not yet stored', s.backlogBytes);
    metrics.set('fsrecd_backlog_oldest_seconds', 'Age of the oldest recording not yet stored', s.backlogFiles ? s.oldestAgeSeconds : 0);
    metrics.set('fsrecd_journal_writes_failing', 'Journal entries whose latest state is not on disk yet', s.journalWritesFailing);
  }

  async #checkDisk(): Promise<void> {
    const dirs = [...new Set([this.opts.spoolDir, this.opts.stateDir])];
    const full: string[] = [];
    for (const dir of dirs) {
      try {
        const fs = await statfs(dir);
        const used = 1 - fs.bavail / fs.blocks;
        if (dir === this.opts.spoolDir) {
          this.opts.metrics.set('fsrecd_disk_used_ratio', 'Fraction of the spool filesystem in use', used);
          this.opts.metrics.set('fsrecd_disk_free_bytes', 'Bytes free for fsrecd on the spool filesystem', fs.bavail * fs.bsize);
        }
        // Under one MiB free, FreeSWITCH truncates recordings (completion cause uri-failure) and journal writes fail.
        if (fs.bavail * fs.bsize < 1024 * 1024) full.push(dir);
        else if (used * 100 >= this.opts.upload.diskWarnPercent) this.opts.log.warn('filesystem nearly full', { dir, usedPercent: Math.round(used * 100) });
      } catch {
        // spool_dir not there yet: FreeSWITCH creates it with the first recording.
      }
    }
    const problem = full.length ? `filesystem full: ${full.join(', ')} (recordings are truncated and journal writes fail)` : undefined;
    if (problem && problem !== this.#diskProblem) this.opts.log.error('disk full', { dirs: full });
    this.opts.metrics.set('fsrecd_disk_full', 'A spool or state filesystem has under 1 MiB free (1) or not (0)', full.length ? 1 : 0);
    this.#diskProblem = problem;
  }
}

type Candidate = { file: FoundFile; finish?: JournalEntry; cause?: string } | { vanished: JournalEntry };

/**
 * What can be told about a file nobody journaled: its path, its time. The id is the file's identity, so a
 * run that dies before the adoption is journaled adopts the same file under the same id again (and the
 * storage, finding that id's bytes already stored, stores nothing twice).
 */
function adoptedMeta(file: FoundFile, rel: string): RecordingMeta {
  const { path, mtimeMs } = file;
  const base = rel.split('/').pop() ?? rel;
  const identity = createHash('sha256').update(`${file.dev}:${file.ino}:${file.size}:${mtimeMs}:${path}`).digest('hex').slice(0, 24);
  return {
    id: `adopted-${identity}`,
    callUuid: (/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(base) ?? [''])[0],
    legUuid: '',
    path,
    relativePath: rel,
    format: base.includes('.') ? (base.split('.').pop() as string) : '',
    srcnum: '',
    dstnum: '',
    callerName: '',
    direction: 'inbound',
    network: 'internal',
    domain: '',
    tenantUuid: rel.includes('/') ? (rel.split('/')[0] as string) : '',
    node: '',
    reasons: ['adopted from spool_dir'],
    onDemand: false,
    startedAt: new Date(mtimeMs).toISOString(),
  };
}
