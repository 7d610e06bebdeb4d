/**
 * Hands every finished recording to the storage target and only then removes the local file. Every step
 * is journaled, so a crash, kill -9 or storage outage loses nothing: on start the spool resumes what was in
 * flight and adopts files in spool_dir that no entry can act on (e.g. recorded by the dialplan), once
 * FreeSWITCH says it is no longer writing them. The promises are in the README's "Guarantees".
 *
 * This file is the façade and the upload queue; the parts it drives:
 * - durable-journal.ts: journal writes that must land (retried with backoff until they do);
 * - uploader.ts: one upload (put, verify, journal "stored", remove the verified copy);
 * - scanner.ts (scan-decision.ts, adopted-meta.ts): the pass over spool_dir;
 * - disk-check.ts, status.ts: the full-disk watch and what status() reports;
 * - journal.ts, lock.ts: the entries on disk and the one owner of them.
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { UploadConfig } from '../config/types';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingMeta, RecordingResult, RecordingSink } from '../model/recording';
import type { StorageTarget } from '../storage/target';
import { retryDelay } from '../util/backoff';
import { DiskCheck } from './disk-check';
import { DurableJournal } from './durable-journal';
import { Journal, PENDING, TERMINAL, type EntryState, type JournalEntry } from './journal';
import { acquireSpoolLock, type SpoolLock } from './lock';
import { Scanner } from './scanner';
import { publishStatus, spoolStatus, type SpoolStatus } from './status';
import { Uploader } from './uploader';

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
  /** Told once per recording when its "stored" state is durable (in storage, verified, and journaled so). */
  onStored?: (entry: JournalEntry) => void;
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
  /**
   * The node files found in spool_dir belong to (this host: FreeSWITCH-Hostname is its hostname), so an
   * adopted recording's default key and index row name it like every other of this node's recordings.
   */
  node?: string;
}

export interface DrainProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export class Spool implements RecordingSink {
  readonly journal: Journal;
  readonly #writes: DurableJournal;
  readonly #uploader: Uploader;
  readonly #scanner: Scanner;
  readonly #disk: DiskCheck;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Uploads waiting for their retry. */
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #faults: Faults;
  #lock: SpoolLock | undefined;
  #scanTimer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #running = false;
  /** Set by stop(): no scan starts or goes on after it, so the next owner never races this one. */
  #stopped = false;
  #prunedAt: number | undefined;
  #scannedAt: number | undefined;
  readonly #now: () => number;

  private constructor(private readonly opts: SpoolOptions) {
    const { upload, log, metrics } = opts;
    this.#faults = opts.faults ?? NO_FAULTS;
    this.#now = opts.now ?? Date.now;
    this.journal = new Journal(resolve(opts.stateDir, 'journal'), (e, before) => this.#onDurable(e, before), this.#faults, this.#now);
    this.#writes = new DurableJournal(this.journal, { stateDir: opts.stateDir, retryMinMs: upload.retryMinMs, retryMaxMs: upload.retryMaxMs, log, metrics, now: this.#now, running: () => this.#running });
    this.#uploader = new Uploader({ journal: this.journal, writes: this.#writes, target: opts.target, keepLocalDays: upload.keepLocalDays, log, metrics, faults: this.#faults });
    this.#scanner = new Scanner({
      spoolDir: opts.spoolDir,
      excludeDirs: opts.excludeDirs,
      orphanStableMs: upload.orphanStableMs,
      keepLocalDays: upload.keepLocalDays,
      journal: this.journal,
      writes: this.#writes,
      sink: this,
      target: opts.target,
      log,
      faults: this.#faults,
      now: this.#now,
      stopped: () => this.#stopped,
      recordedPaths: opts.recordedPaths,
      recorderFollows: opts.recorderFollows,
      node: opts.node ?? '',
    });
    this.#disk = new DiskCheck({ spoolDir: opts.spoolDir, stateDir: opts.stateDir, warnPercent: upload.diskWarnPercent, log, metrics });
    metrics.onCollect(() => publishStatus(metrics, this.status()));
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
    this.#writes.wake();
    const all = Promise.allSettled([...this.#inFlight.values(), ...this.#writes.retries()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    // A scan in progress stops at its next file; the lock goes only once it has (never two owners at once).
    await this.#scanning;
    await this.#lock?.release();
    this.#lock = undefined;
  }

  /** `fsrecd sync` against a running daemon (SIGUSR2): every waiting upload is tried now, not at its backoff. */
  retryNow(): void {
    // Journal writes waiting to retry go now too (waking them; a cleared timer would leave them waiting forever).
    this.#writes.wake();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const e of this.journal.entries.values()) if (PENDING.has(e.state)) this.#enqueue(e.id);
    this.#pump();
    void this.scan();
  }

  // RecordingSink: none of these rejects. A journal write that fails is retried until it lands.

  async started(meta: RecordingMeta): Promise<void> {
    await this.#writes.persist({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' });
  }

  async finished(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    const e = this.#entryFor(meta);
    // The size now, so the backlog is known in bytes even to a process that only reads the journal.
    const size = await stat(meta.path).then((st) => st.size, () => undefined);
    // The upload goes ahead from memory even while the journal cannot be written: deleting the local
    // file waits for a durable "stored", and a crash before that finds the file again.
    const written = this.#writes.persist({ ...e, state: 'finished', result, size, lastError: undefined });
    this.#enqueue(meta.id);
    this.#pump();
    await written;
  }

  async discarded(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    await this.#writes.persist({ ...this.#entryFor(meta), state: 'discarded', result, lastError: result.completionCause });
  }

  async failed(meta: RecordingMeta, reason: string): Promise<void> {
    await this.#writes.persist({ ...this.#entryFor(meta), state: 'failed', lastError: reason });
  }

  /** A note on an entry that changes nothing else (an unanswered uuid_record, say). */
  async note(id: string, text: string): Promise<void> {
    const e = this.journal.entries.get(id);
    if (e) await this.#writes.persist({ ...e, lastError: text });
  }

  #entryFor(meta: RecordingMeta): JournalEntry {
    return this.journal.entries.get(meta.id) ?? { id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' };
  }

  /** An entry reached the disk: the daemon hears of it, and of a recording whose "stored" just did. */
  #onDurable(e: JournalEntry, before: EntryState | undefined): void {
    this.opts.onJournal?.(e);
    if (e.state !== 'stored' || before === 'stored' || !this.opts.onStored) return;
    try {
      this.opts.onStored(e);
    } catch (err) {
      // A listener's failure is not a failed journal write: the entry is on disk and stays so.
      this.opts.log.error('a listener of stored recordings failed', { recording: e.id, error: String(err) });
    }
  }

  /** When the last scan pass finished: the systemd watchdog's sign that the pump still turns (src/systemd/). */
  get lastScanAt(): number | undefined {
    return this.#scannedAt;
  }

  status(): SpoolStatus {
    return spoolStatus(this.journal.entries.values(), {
      now: this.#now(),
      sizeOf: (id) => this.#uploader.sizeOf(id),
      writeFailures: this.#writes.failures(),
      diskProblem: this.#disk.problem,
      lastError: this.#uploader.lastError,
    });
  }

  /** Uploads everything pending now (fsrecd sync); resolves when the backlog is empty or only failures remain. */
  async drain(onProgress?: (p: DrainProgress) => void): Promise<SpoolStatus> {
    this.#running = true;
    const pending = [...this.journal.entries.values()].filter((e) => PENDING.has(e.state));
    const sizes = await Promise.all(pending.map((e) => stat(e.meta.path).then((s) => s.size, () => 0)));
    const progress: DrainProgress = { filesDone: 0, filesTotal: pending.length, bytesDone: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0) };
    for (const [i, e] of pending.entries()) {
      await this.#uploadOnce(e.id);
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
      .finally(() => {
        this.#scanning = undefined;
        this.#scannedAt = this.#now();
      });
    return this.#scanning;
  }

  async #scan(): Promise<void> {
    await this.#scanner.pass();
    if (this.#stopped) return;
    await this.#disk.check();
    await this.#prune();
  }

  /** Removes journal entries that need nothing more, at most once an hour (they stay in the recordings index). */
  async #prune(): Promise<void> {
    const now = this.#now();
    if (this.#prunedAt !== undefined && now - this.#prunedAt < 3_600_000) return;
    this.#prunedAt = now;
    const keepMs = this.opts.upload.journalKeepDays * 86_400_000;
    let removed = 0;
    for (const e of [...this.journal.entries.values()]) {
      // Only what the disk already says is final: an entry whose last write is still queued or failing stays.
      if (!TERMINAL.has(e.state) || this.journal.durableState(e.id) !== e.state || now - (Date.parse(e.updatedAt) || now) < keepMs || this.#writes.failing(e.id)) continue;
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
          // The uploader handles its own errors; this is the last guard: the pump never throws.
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

  /**
   * drain's upload of `id`: the one the pump has in flight if there is one, else a new one counted as in
   * flight, so the pump never starts a second upload of the same recording beside it (two PUTs of one key).
   */
  #uploadOnce(id: string): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return running;
    if (this.#queued.delete(id)) this.#queue.splice(this.#queue.indexOf(id), 1);
    const p = this.#upload(id).finally(() => {
      this.#inFlight.delete(id);
      this.#pump();
    });
    this.#inFlight.set(id, p.catch(() => undefined));
    return p;
  }

  /** One try; a failed one comes back after its backoff. */
  async #upload(id: string): Promise<void> {
    const outcome = await this.#uploader.upload(id);
    if (outcome.retry) this.#retryLater(id, outcome.attempts);
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
}
