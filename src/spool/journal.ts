/**
 * The durable record of every recording: one small JSON file per recording under state_dir/journal,
 * replaced atomically at each step, so a crash or kill -9 leaves each entry in its last completed state.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingMeta, RecordingResult } from '../recorder/types';
import { writeFileAtomic } from '../util/atomic-file';

export type EntryState = 'recording' | 'finished' | 'uploading' | 'stored' | 'failed' | 'discarded' | 'lost';

export const TERMINAL: ReadonlySet<EntryState> = new Set(['stored', 'failed', 'discarded', 'lost']);

export interface JournalEntry {
  id: string;
  state: EntryState;
  meta: RecordingMeta;
  result?: RecordingResult;
  /** Object key in the storage target. */
  key: string;
  attempts: number;
  lastError?: string;
  /** Bytes of the local file: when it finished, then the verified size once stored. */
  size?: number;
  md5?: string;
  updatedAt: string;
  /** Set when the file was adopted from the spool rather than recorded by this daemon. */
  adopted?: boolean;
}

export function entryFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 180)}.json`;
}

export class Journal {
  readonly entries = new Map<string, JournalEntry>();
  /** Local path -> entry id: the spool scan asks "does anyone own this file?" for every file. */
  readonly #byPath = new Map<string, string>();

  constructor(
    readonly dir: string,
    /** Told of every entry once it is durable (the recordings index follows the journal this way). */
    private readonly onPut?: (entry: JournalEntry) => void,
  ) {}

  async load(onCorrupt: (file: string, err: unknown) => void): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const e = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as JournalEntry;
        if (e && typeof e.id === 'string' && e.meta && typeof e.meta.path === 'string') {
          this.entries.set(e.id, e);
          this.#byPath.set(e.meta.path, e.id);
        }
        else onCorrupt(name, new Error('not a journal entry'));
      } catch (err) {
        onCorrupt(name, err);
      }
    }
  }

  async put(entry: JournalEntry): Promise<void> {
    entry.updatedAt = new Date().toISOString();
    this.entries.set(entry.id, entry);
    this.#byPath.set(entry.meta.path, entry.id);
    await writeFileAtomic(join(this.dir, entryFileName(entry.id)), JSON.stringify(entry));
    this.onPut?.(entry);
  }

  /** Forgets an entry that needs nothing more (see upload.journal_keep_days). */
  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    await unlink(join(this.dir, entryFileName(id))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.entries.delete(id);
    if (this.#byPath.get(e.meta.path) === id) this.#byPath.delete(e.meta.path);
  }

  byPath(path: string): JournalEntry | undefined {
    const id = this.#byPath.get(path);
    return id === undefined ? undefined : this.entries.get(id);
  }
}
