/**
 * The durable record of every recording: one small JSON file per recording under state_dir/journal,
 * replaced atomically at each step, so a crash or kill -9 leaves each entry in its last completed state.
 *
 * Group commit: the writes queued in one turn of the event loop go together. Each entry still gets its own
 * temp file, fsync and rename (the steps journal.write-temp, journal.fsync-temp, journal.rename); then one
 * fsync of the directory (journal.fsync-dir) makes every rename of the group durable at once. An entry is
 * durable (its promise resolves, listeners hear it) only after its rename and that directory fsync landed;
 * a failed write fails its own entry, a failed directory fsync fails the whole group (all are retried).
 *
 * Writes to one entry are serialised and always write the entry's latest state: two steps of one
 * recording racing each other can never leave an older state (or a torn file) on disk.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { RecordingMeta, RecordingResult } from '../model/recording';
import type { VerifiedBy } from '../storage/verify';
import { tempPathBeside } from '../util/atomic-file';

export type EntryState = 'recording' | 'finished' | 'uploading' | 'stored' | 'failed' | 'discarded' | 'lost';

export const TERMINAL: ReadonlySet<EntryState> = new Set(['stored', 'failed', 'discarded', 'lost']);

/** Finished recordings waiting for the storage target (the upload queue and the backlog). */
export const PENDING: ReadonlySet<EntryState> = new Set(['finished', 'uploading']);

/** The exact local file that was verified in storage: only this file may ever be deleted for the entry. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export interface JournalEntry {
  id: string;
  state: EntryState;
  meta: RecordingMeta;
  result?: RecordingResult;
  /** Object key in the storage target: the intended one, then the one really used once stored. */
  key: string;
  attempts: number;
  lastError?: string;
  /** Bytes of the local file: when it finished, then the verified size once stored. */
  size?: number;
  md5?: string;
  /** The local file's SHA-256, from the read that sent it. */
  sha256?: string;
  /** Set when stored: the proof the stored copy was checked with (storage/verify.ts). */
  verifiedBy?: VerifiedBy;
  /**
   * False when only the PUT's reply verified the stored copy (keep_local_days > 0): it is read back before
   * the local copy is removed (uploader.ts confirmStoredCopy).
   */
  readBack?: boolean;
  /** Set when stored: which local file the stored copy was verified against. */
  verified?: FileIdentity;
  updatedAt: string;
  /** Set when the file was adopted from the spool rather than recorded by this daemon. */
  adopted?: boolean;
}

export function entryFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 180)}.json`;
}

/** One entry's write waiting for its group. */
interface GroupedWrite {
  path: string;
  text: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** fsync of a file or directory: what makes its bytes (a directory: its renames) survive a crash. */
async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Per entry: the write running now and the one queued behind it (which will write the latest state). */
interface WriteSlot {
  running?: Promise<void>;
  queued?: Promise<void>;
}

export class Journal {
  readonly entries = new Map<string, JournalEntry>();
  /** Local path -> entry id: the spool scan asks "does anyone own this file?" for every file. */
  readonly #byPath = new Map<string, string>();
  readonly #slots = new Map<string, WriteSlot>();
  /** The state each entry has on disk: what a crash now would leave (memory may be ahead of it). */
  readonly #onDisk = new Map<string, EntryState>();
  /** Writes queued in this turn of the event loop: they share one directory fsync. */
  #group: GroupedWrite[] | undefined;

  constructor(
    readonly dir: string,
    /**
     * Told of every entry once it is durable (the recordings index follows the journal this way), with the
     * state the disk held before this write (so a listener can tell the step that reached "stored").
     */
    private readonly onPut?: (entry: JournalEntry, before: EntryState | undefined) => void,
    private readonly faults: Faults = NO_FAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  async load(onCorrupt: (file: string, err: unknown) => void): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const e = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as JournalEntry;
        if (e && typeof e.id === 'string' && e.meta && typeof e.meta.path === 'string' && typeof e.state === 'string') {
          this.entries.set(e.id, e);
          this.#onDisk.set(e.id, e.state);
          this.#index(e);
        } else onCorrupt(name, new Error('not a journal entry'));
      } catch (err) {
        onCorrupt(name, err);
      }
    }
  }

  /**
   * Records the entry in memory at once and makes it durable. Resolves when a write holding this state (or
   * a later one) is on disk; rejects when that write failed (the caller retries with `flush`).
   */
  put(entry: JournalEntry): Promise<void> {
    entry.updatedAt = new Date(this.now()).toISOString();
    this.entries.set(entry.id, entry);
    this.#index(entry);
    return this.flush(entry.id);
  }

  /** Writes the entry's current state again (a retry after a failed write). */
  flush(id: string): Promise<void> {
    let slot = this.#slots.get(id);
    if (!slot) {
      slot = {};
      this.#slots.set(id, slot);
    }
    // A write not started yet will take the newest state when it starts: share it.
    if (slot.queued) return slot.queued;
    const s = slot;
    const run: Promise<void> = (s.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        s.queued = undefined;
        s.running = run;
        const e = this.entries.get(id);
        if (!e) return;
        const text = JSON.stringify(e);
        const state = e.state;
        await this.#commit(join(this.dir, entryFileName(id)), text);
        const before = this.#onDisk.get(id);
        this.#onDisk.set(id, state);
        this.onPut?.(JSON.parse(text) as JournalEntry, before);
      })
      .finally(() => {
        if (s.running === run) s.running = undefined;
        if (!s.running && !s.queued && this.#slots.get(id) === s) this.#slots.delete(id);
      });
    s.queued = run;
    return run;
  }

  /** Resolves once `text` is at `path` and durable: renamed into place, the directory fsync'd after. */
  #commit(path: string, text: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.#group) {
        this.#group = [];
        setImmediate(() => void this.#commitGroup());
      }
      this.#group.push({ path, text, resolve, reject });
    });
  }

  async #commitGroup(): Promise<void> {
    const group = this.#group ?? [];
    this.#group = undefined;
    const renamed = await Promise.all(group.map((w) => this.#replace(w).then(() => w, (err: unknown) => void w.reject(err))));
    const landed = renamed.filter((w): w is GroupedWrite => w !== undefined);
    if (landed.length === 0) return;
    try {
      this.faults.at('journal.fsync-dir');
      await syncPath(this.dir);
    } catch (err) {
      for (const w of landed) w.reject(err);
      return;
    }
    for (const w of landed) w.resolve();
  }

  /** One entry's file replaced: temp written, fsync'd, renamed over the old one (not yet durable: the directory). */
  async #replace(w: GroupedWrite): Promise<void> {
    const tmp = tempPathBeside(w.path);
    try {
      this.faults.at('journal.write-temp');
      // One open for the write and its fsync (two opens and closes cost the main thread a third of a write).
      const fh = await open(tmp, 'w', 0o640);
      try {
        await fh.writeFile(w.text);
        this.faults.at('journal.fsync-temp');
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.faults.at('journal.rename');
      await rename(tmp, w.path);
    } catch (err) {
      // A half-written temp (disk full) must not fill the disk further; the old entry is untouched.
      if (!isSimulatedCrash(err)) await unlink(tmp).catch(() => undefined); // durable-exempt: removes our own temp, never an entry
      throw err;
    }
  }

  /** Forgets an entry that needs nothing more (see upload.journal_keep_days). */
  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    await this.#slots.get(id)?.running?.catch(() => undefined);
    this.faults.at('journal.unlink');
    await unlink(join(this.dir, entryFileName(id))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.entries.delete(id);
    this.#onDisk.delete(id);
    if (this.#byPath.get(e.meta.path) === id) this.#byPath.delete(e.meta.path);
  }

  /** The entry's state as the journal on disk holds it (undefined: not written yet). */
  durableState(id: string): EntryState | undefined {
    return this.#onDisk.get(id);
  }

  byPath(path: string): JournalEntry | undefined {
    const id = this.#byPath.get(path);
    return id === undefined ? undefined : this.entries.get(id);
  }

  /**
   * A path names at most one entry: the one that can still act on the file. Reused paths (a name reused
   * after a restart, a dialplan recording) keep an unfinished entry over a finished one, then the newest.
   */
  #index(e: JournalEntry): void {
    const curId = this.#byPath.get(e.meta.path);
    const cur = curId === undefined || curId === e.id ? undefined : this.entries.get(curId);
    if (cur && rank(cur) > rank(e)) return;
    this.#byPath.set(e.meta.path, e.id);
  }
}

/** Unfinished entries first, then the newest start. */
function rank(e: JournalEntry): number {
  const started = Date.parse(e.meta.startedAt) || 0;
  return (TERMINAL.has(e.state) ? 0 : 1e15) + started;
}
