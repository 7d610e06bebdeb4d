/**
 * The PostgreSQL side of `make bench-index`: a throw-away server (Debian's binaries, started as an
 * unprivileged user on 127.0.0.1, as the tests start it) and one database for the benchmark. The server
 * runs with fsync off, which flatters the insert rate, not the query times (the data is in memory either way).
 */
import { Client } from 'pg';
import { PostgresIndex } from '../src/recordings/postgres/postgres-index';
import { startPostgres } from '../test/helpers/postgres-server';
import type { BenchIndexTarget } from './index-targets';

export async function postgresBenchTarget(): Promise<BenchIndexTarget> {
  const pg = await startPostgres();
  const url = await pg.createDatabase('fsrecd_bench');
  const connect = (): Promise<PostgresIndex> => PostgresIndex.connect({ url, passwordFile: pg.passwordFile, poolSize: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 600_000, tls: { mode: 'disable' } });
  return {
    engine: 'postgres',
    open: connect,
    reopen: connect,
    sizeMb: async () => {
      const client = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database: 'fsrecd_bench' });
      await client.connect();
      try {
        const r = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
        return Math.round((Number(r.rows[0]?.bytes ?? 0) / 1e6) * 10) / 10;
      } finally {
        await client.end();
      }
    },
    remove: () => pg.stop(),
  };
}
