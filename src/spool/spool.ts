/**
 * Hands every finished recording to the storage target and only then removes the local file. Every step
 * is journaled first, so a crash, kill -9 or storage outage loses nothing: on start the spool resumes what
 * was in flight and adopts files in spool_dir that nobody journaled (e.g. recorded by the dialplan).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, stat, statfs, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { UploadConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingMeta, RecordingResult, RecordingSink } from '../recorder/types';
import { md5File } from '../storage/local-target';
import type { StorageTarget } from '../storage/target';
import { walkFiles } from '../util/walk-files';
import { retryDelay } from './backoff';
import { Journal, TERMINAL, type JournalEntry } from './journal';

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
  /** Crash tests only: called after the target accepted an object, before the journal says so. */
  afterPut?: (id: string) => void;
}

export interface SpoolStatus {
  inProgress: number;
  backlogFiles: number;
  backlogBytes: number;
  oldestAgeSeconds: number;
  stored: number;
  lost: number;
  lastError?: string;
}

export interface DrainProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export class Spool implements RecordingSink {
  readonly journal: Journal;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sizes = new Map<string, number>();
  readonly #startedAt: number;
  #scanTimer: NodeJS.Timeout | undefined;
  #running = false;
  #prunedAt: number | undefined;
  #lastError: string | undefined;
  readonly #now: () => number;

  private constructor(private readonly opts: SpoolOptions) {
    this.journal = new Journal(join(opts.stateDir, 'journal'), opts.onJournal);
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
    opts.metrics.onCollect(() => this.#gauge());
  }

  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    await spool.journal.load((file, err) => opts.log.error('unreadable journal entry left in place', { file, error: String(err) }));
    return spool;
  }

  /** Resumes unfinished work, then keeps scanning the spool for orphans. */
  async start(): Promise<void> {
    this.#running = true;
    // FreeSWITCH would create it with the first recording; creating it now lets the disk guard watch it at once.
    await mkdir(this.opts.spoolDir, { recursive: true, mode: 0o750 }).catch(() => undefined);
    for (const e of this.journal.entries.values()) if (e.state === 'finished' || e.state === 'uploading') this.#enqueue(e.id);
    await this.scan();
    const every = Math.max(500, this.opts.upload.orphanStableMs);
    this.#scanTimer = setInterval(() => void this.scan().catch((err: unknown) => this.opts.log.error('spool scan failed', { error: String(err) })), every);
    this.#scanTimer.unref();
    this.#pump();
  }

  /** Stops taking work; waits up to graceMs for uploads in flight. The journal is consistent either way. */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const all = Promise.allSettled([...this.#inFlight.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  async started(meta: RecordingMeta): Promise<void> {
    await this.journal.put({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' });
  }

  async finished(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    const e = this.journal.entries.get(meta.id) ?? { id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' };
    // The size now, so the backlog is known in bytes even to a process that only reads the journal.
    const size = await stat(meta.path).then((st) => st.size, () => undefined);
    await this.journal.put({ ...e, state: 'finished', result, size });
    this.#enqueue(meta.id);
    this.#pump();
  }

  async discarded(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    const e = this.journal.entries.get(meta.id) ?? { id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' };
    await this.journal.put({ ...e, state: 'discarded', result, lastError: result.completionCause });
  }

  async failed(meta: RecordingMeta, reason: string): Promise<void> {
    const e = this.journal.entries.get(meta.id) ?? { id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '' };
    await this.journal.put({ ...e, state: 'failed', lastError: reason });
  }

  status(): SpoolStatus {
    let backlogFiles = 0;
    let backlogBytes = 0;
    let oldest = this.#now();
    let stored = 0;
    let lost = 0;
    for (const e of this.journal.entries.values()) {
      if (e.state === 'stored') stored++;
      else if (e.state === 'lost') lost++;
      else if (e.state === 'finished' || e.state === 'uploading') {
        backlogFiles++;
        backlogBytes += this.#sizes.get(e.id) ?? e.size ?? e.result?.reportedSize ?? 0;
        oldest = Math.min(oldest, Date.parse(e.result?.endedAt ?? e.meta.startedAt) || oldest);
      }
    }
    const inProgress = [...this.journal.entries.values()].filter((e) => e.state === 'recording').length;
    return { inProgress, backlogFiles, backlogBytes, oldestAgeSeconds: Math.max(0, Math.round((this.#now() - oldest) / 1000)), stored, lost, lastError: this.#lastError };
  }

  /** Uploads everything pending now (fsrecd sync); resolves when the backlog is empty or only failures remain. */
  async drain(onProgress?: (p: DrainProgress) => void): Promise<SpoolStatus> {
    this.#running = true;
    const pending = [...this.journal.entries.values()].filter((e) => e.state === 'finished' || e.state === 'uploading');
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

  /** Adopts complete files in spool_dir that no journal entry names, and journaled recordings left over from a crash. */
  async scan(): Promise<void> {
    const stableMs = this.opts.upload.orphanStableMs;
    for await (const file of walkFiles(this.opts.spoolDir)) {
      let st;
      try {
        st = await stat(file);
      } catch {
        continue;
      }
      const age = this.#now() - st.mtimeMs;
      const owner = this.journal.byPath(file);
      if (owner?.state === 'stored') {
        // keep_local_days: the local copy goes once it is that old; with 0, a crash came before the unlink.
        if (age >= this.opts.upload.keepLocalDays * 86_400_000) await unlink(file).catch(() => undefined);
        continue;
      }
      if (owner) {
        // Recorded by an earlier run that died before RECORD_STOP: finished once FreeSWITCH stopped writing.
        if (owner.state === 'recording' && Date.parse(owner.meta.startedAt) < this.#startedAt && age >= stableMs) {
          await this.finished(owner.meta, { endedAt: new Date(st.mtimeMs).toISOString(), durationMs: 0, completionCause: 'recovered-after-restart' });
        }
        continue;
      }
      if (age < stableMs || st.size === 0) continue;
      const rel = relative(this.opts.spoolDir, file).split('\\').join('/');
      const meta = adoptedMeta(file, rel, st.mtimeMs);
      this.opts.log.info('adopting a recording no journal names', { path: file });
      await this.journal.put({ id: meta.id, state: 'recording', meta, key: this.opts.target.keyFor(meta), attempts: 0, updatedAt: '', adopted: true });
      await this.finished(meta, { endedAt: new Date(st.mtimeMs).toISOString(), durationMs: 0, completionCause: 'adopted' });
    }
    await this.#checkDisk();
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
      if (!TERMINAL.has(e.state) || now - (Date.parse(e.updatedAt) || now) < keepMs) continue;
      // A stored recording's local copy (keep_local_days) must stay known as stored, or the scan would adopt it again.
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
      const p = this.#upload(id).finally(() => {
        this.#inFlight.delete(id);
        this.#pump();
      });
      this.#inFlight.set(id, p);
    }
  }

  async #upload(id: string): Promise<void> {
    const e = this.journal.entries.get(id);
    if (!e || TERMINAL.has(e.state)) return;
    const { target, log, metrics, upload } = this.opts;
    let size: number;
    try {
      size = (await stat(e.meta.path)).size;
      this.#sizes.set(id, size);
    } catch (err) {
      // The journal says finished but the file is gone: lost, said once, never retried in a loop.
      await this.journal.put({ ...e, state: 'lost', lastError: `local file missing: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'lost' });
      log.error('recording lost: the local file vanished before it was stored', { recording: id, path: e.meta.path });
      return;
    }
    try {
      const md5 = await md5File(e.meta.path);
      // Only an entry that was already uploading (or failed) can have an object in the target already.
      const mayExist = e.attempts > 0 || e.state === 'uploading';
      await this.journal.put({ ...e, state: 'uploading', attempts: e.attempts + 1 });
      const existing = mayExist ? await target.stat(e.key) : null;
      // After a crash between put and journal update the object may already be there: verify, do not re-put.
      if (!existing || existing.size !== size || (existing.md5 && existing.md5 !== md5)) {
        await target.put(e.meta.path, e.key, e.meta, e.result, md5);
        this.opts.afterPut?.(id);
      }
      const got = await target.stat(e.key);
      if (!got || got.size !== size || (got.md5 !== undefined && got.md5 !== md5)) {
        throw new Error(`verification failed for ${e.key}: stored ${got ? `${got.size} bytes md5 ${got.md5}` : 'nothing'}, local ${size} bytes md5 ${md5}`);
      }
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'ok' });
      await this.journal.put({ ...(this.journal.entries.get(id) as JournalEntry), state: 'stored', size, md5, lastError: undefined });
      if (upload.keepLocalDays === 0) await unlink(e.meta.path).catch(() => undefined);
      this.#sizes.delete(id);
      log.info('recording stored', { recording: id, key: e.key, bytes: size, target: target.describe() });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const cur = this.journal.entries.get(id) as JournalEntry;
      await this.journal.put({ ...cur, state: 'finished', lastError: message }).catch(() => undefined);
      if (message !== this.#lastError) log.error('upload failed; will retry', { recording: id, target: target.describe(), error: message });
      this.#lastError = message;
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'error' });
      if (this.#running) {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          this.#enqueue(id);
          this.#pump();
        }, retryDelay(cur.attempts, upload.retryMinMs, upload.retryMaxMs));
        t.unref();
        this.#timers.add(t);
      }
    }
  }

  #gauge(): void {
    const s = this.status();
    const { metrics } = this.opts;
    metrics.set('fsrecd_backlog_files', 'Finished recordings not yet stored', s.backlogFiles);
    metrics.set('fsrecd_backlog_bytes', 'Bytes not yet stored', s.backlogBytes);
    metrics.set('fsrecd_backlog_oldest_seconds', 'Age of the oldest recording not yet stored', s.backlogFiles ? s.oldestAgeSeconds : 0);
  }

  async #checkDisk(): Promise<void> {
    try {
      const fs = await statfs(this.opts.spoolDir);
      const used = 1 - fs.bavail / fs.blocks;
      this.opts.metrics.set('fsrecd_disk_used_ratio', 'Fraction of the spool filesystem in use', used);
      this.opts.metrics.set('fsrecd_disk_free_bytes', 'Bytes free for fsrecd on the spool filesystem', fs.bavail * fs.bsize);
      if (used * 100 >= this.opts.upload.diskWarnPercent) {
        this.opts.log.warn('spool filesystem nearly full', { spoolDir: this.opts.spoolDir, usedPercent: Math.round(used * 100) });
      }
    } catch {
      // spool_dir not there yet: FreeSWITCH creates it with the first recording.
    }
  }
}

/** What can be told about a file nobody journaled: its path, its time. */
function adoptedMeta(path: string, rel: string, mtimeMs: number): RecordingMeta {
  const base = rel.split('/').pop() ?? rel;
  return {
    id: `adopted-${randomUUID()}`,
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
