/**
 * Opens the recordings index the configuration names: SQLite in state_dir (the default, nothing to
 * install) or the PostgreSQL database several nodes share. PostgreSQL's client is loaded only when used.
 */
import { sqliteIndexPath } from '../config/index-config';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import { SqliteIndex } from './index-db';
import type { RecordingIndex } from './index-store';

export const indexPath = sqliteIndexPath;

export interface OpenIndexOptions {
  /** A command that only reads (SQLite: opened read-only, and the file must exist). */
  readonly?: boolean;
  log?: Logger;
}

export async function openIndex(cfg: Pick<FsrecdConfig, 'stateDir' | 'index'>, opts: OpenIndexOptions = {}): Promise<RecordingIndex> {
  const index = cfg.index ?? { type: 'sqlite' };
  if (index.type === 'postgres') {
    const { PostgresIndex } = await import('./postgres/postgres-index');
    return PostgresIndex.connect(index.postgres, { log: opts.log });
  }
  return SqliteIndex.open(indexPath(cfg.stateDir), { readonly: opts.readonly === true });
}

/** Where the index is, for a command's summary line: never a password. */
export function indexLocation(cfg: Pick<FsrecdConfig, 'stateDir' | 'index'>): string {
  const index = cfg.index ?? { type: 'sqlite' };
  return index.type === 'postgres' ? `postgres ${index.postgres.url}` : `sqlite ${indexPath(cfg.stateDir)}`;
}
