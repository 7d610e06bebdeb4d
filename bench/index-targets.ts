/** Where `make bench-index` keeps the index it measures: the interface every engine's target gives, and SQLite's. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIndex } from '../src/recordings/index-db';
import type { IndexEngine, RecordingIndex } from '../src/recordings/index-store';

/** Where the benchmark's index lives: opened empty to fill, opened again to query, measured, removed. */
export interface BenchIndexTarget {
  readonly engine: IndexEngine;
  /** An empty index to fill. */
  open(): Promise<RecordingIndex>;
  /** The filled index (closed after filling) opened again as a reader opens it. */
  reopen(): Promise<RecordingIndex>;
  /** What it takes on disk, MB. */
  sizeMb(): Promise<number>;
  remove(): Promise<void>;
}

/** A SQLite file in a temporary directory, reopened read-only as `fsrecd recordings list` opens it (BENCH_KEEP_INDEX keeps it). */
export function sqliteBenchTarget(): BenchIndexTarget {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-index-bench-'));
  const path = join(dir, 'recordings.sqlite');
  return {
    engine: 'sqlite',
    open: async () => SqliteIndex.open(path),
    reopen: async () => SqliteIndex.open(path, { readonly: true }),
    sizeMb: async () => Math.round((statSync(path).size / 1e6) * 10) / 10,
    remove: async () => {
      if (process.env.BENCH_KEEP_INDEX) console.log(`kept ${path}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

