/**
 * Opens the recordings index the configuration names: SQLite in state_dir (the default, nothing to
 * install) or the PostgreSQL database several nodes share. PostgreSQL's client is loaded only when used.
 */
import { existsSync } from 'node:fs';
import { sqliteIndexPath } from '../config/index-config';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import { SqliteIndex } from './index-db';
import type { RecordingIndex } from './index-store';

export const indexPath = sqliteIndexPath;

export interface OpenIndexOptions {
  /** A command that only reads (SQLite: opened read-only). */
  readonly?: boolean;
  /** A command that works on recordings the daemon indexed: SQLite's file must exist already (PostgreSQL is shared). */
  existing?: boolean;
  log?: Logger;
}

export async function openIndex(cfg: Pick<FsrecdConfig, 'stateDir' | 'index'>, opts: OpenIndexOptions = {}): Promise<RecordingIndex> {
  const index = cfg.index ?? { type: 'sqlite' };
  if (index.type === 'postgres') {
    const { PostgresIndex } = await import('./postgres/postgres-index');
    return PostgresIndex.connect(index.postgres, { log: opts.log });
  }
  const path = indexPath(cfg.stateDir);
  if (opts.existing && !existsSync(path)) throw new Error(`no recordings index at ${path} yet: it appears when the daemon first starts (or run fsrecd recordings reindex)`);
  return SqliteIndex.open(path, { readonly: opts.readonly === true });
}

/** Where the index is, for a command's summary line: never a password. */
export function indexLocation(cfg: Pick<FsrecdConfig, 'stateDir' | 'index'>): string {
  const index = cfg.index ?? { type: 'sqlite' };
  return index.type === 'postgres' ? `postgres ${index.postgres.url}` : `sqlite ${indexPath(cfg.stateDir)}`;
}
