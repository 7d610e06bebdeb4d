/**
 * Reads the world the checks judge: spool_dir, the journal on disk, and storage, in that order. Synchronous on
 * purpose: a look between two steps is one instant for the spool, and it costs a tenth of the async walk.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../../../src/spool/journal';
import type { Observation } from './checks';
import type { StoreView } from './store-view';

export class Observer {
  /** Parsed entries by file identity: an entry is rewritten by rename, so a new inode means new content. */
  readonly #entries = new Map<string, JournalEntry>();

  constructor(
    readonly spoolDir: string,
    readonly journalDir: string,
    readonly store: StoreView,
  ) {}

  async files(): Promise<Map<string, number>> {
    return filesBelow(this.spoolDir);
  }

  async journal(): Promise<Map<string, JournalEntry>> {
    const out = new Map<string, JournalEntry>();
    let names: string[] = [];
    try {
      names = readdirSync(this.journalDir);
    } catch {
      return out;
    }
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const p = join(this.journalDir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      const identity = `${st.ino}:${st.size}:${st.mtimeMs}`;
      let e = this.#entries.get(identity);
      if (!e) {
        e = JSON.parse(readFileSync(p, 'utf8')) as JournalEntry;
        this.#entries.set(identity, e);
      }
      out.set(e.id, e);
    }
    return out;
  }

  async observe(): Promise<Observation> {
    const files = await this.files();
    const journal = await this.journal();
    const store = await this.store.snapshot();
    return { files, journal, store };
  }
}

/** Regular files below `dir` (dot files, our temporaries, skipped), with their sizes. */
export function filesBelow(dir: string, out = new Map<string, number>()): Map<string, number> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of entries) {
    if (d.name.startsWith('.')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) filesBelow(p, out);
    else if (d.isFile()) {
      const st = statSync(p, { throwIfNoEntry: false });
      if (st) out.set(p, st.size);
    }
  }
  return out;
}
