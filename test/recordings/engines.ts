/**
 * The same index tests on both engines: `eachEngine(name, body)` runs `body` once on SQLite (a file in a
 * temporary directory) and once on PostgreSQL (a new database on one throw-away server per test file,
 * test/helpers/postgres-server.ts, started at its first use and stopped when the file's tests end).
 *
 * PostgreSQL is never skipped: when its server cannot start, each postgres test fails with the helper's
 * message (which says what to install).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresIndexConfig } from '../../src/config/types';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { IndexEngine, RecordingIndex } from '../../src/recordings/index-store';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import { startPostgres, type LocalPostgres } from '../helpers/postgres-server';

export const ENGINES: readonly IndexEngine[] = ['sqlite', 'postgres'];

/** One empty index store for one test: a SQLite file or a PostgreSQL database. */
export interface IndexPlace {
  readonly engine: IndexEngine;
  /**
   * Opens an index object on this file or database; a second one stands for another process (SQLite) or
   * another node (PostgreSQL). Every object opened is closed when the test ends (closing it earlier is fine).
   */
  open(): Promise<RecordingIndex>;
}

/** The file's one PostgreSQL server, started at its first use (a file of SQLite-only tests never starts it). */
let server: Promise<LocalPostgres> | undefined;
let databases = 0;

function postgresServer(): Promise<LocalPostgres> {
  if (!server) {
    const starting = startPostgres();
    server = starting;
    // Stopped after every test of the file (the root's teardown); a server that failed to start has nothing to stop.
    t.teardown(async () => {
      const pg = await starting.catch(() => undefined);
      await pg?.stop();
    });
  }
  return server;
}

export function postgresConfig(pg: LocalPostgres, url: string): PostgresIndexConfig {
  return { url, passwordFile: pg.passwordFile, poolSize: 4, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, tls: { mode: 'disable' } };
}

/** A new, empty place for `engine`, removed (every object opened on it closed) when `t` ends. */
export async function indexPlace(t: Test, engine: IndexEngine): Promise<IndexPlace> {
  const opened: RecordingIndex[] = [];
  const closeAll = async (): Promise<void> => {
    for (const index of opened) await index.close();
  };
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'fsrecd-index-'));
    const path = join(dir, 'recordings.sqlite');
    t.teardown(async () => {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      engine,
      open: async () => {
        const index = SqliteIndex.open(path);
        opened.push(index);
        return index;
      },
    };
  }
  t.teardown(closeAll);
  const pg = await postgresServer();
  const url = await pg.createDatabase(`index_${process.pid}_${++databases}`);
  return {
    engine,
    open: async () => {
      const index = await PostgresIndex.connect(postgresConfig(pg, url));
      opened.push(index);
      return index;
    },
  };
}

/** `body` once per engine, as the tests `sqlite: name` and `postgres: name`, each with a new empty place. */
export function eachEngine(name: string, body: (t: Test, place: IndexPlace) => Promise<void>): void {
  for (const engine of ENGINES) {
    t.test(`${engine}: ${name}`, async (t) => {
      const place = await indexPlace(t, engine);
      await body(t, place);
    });
  }
}

/** The usual case: one index object on a new place. */
export function eachEngineIndex(name: string, body: (t: Test, index: RecordingIndex, place: IndexPlace) => Promise<void>): void {
  eachEngine(name, async (t, place) => body(t, await place.open(), place));
}
