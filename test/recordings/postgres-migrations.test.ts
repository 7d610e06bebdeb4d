/** The PostgreSQL index's schema migrations against a real server: applied once, by one node of many, never downgraded. */
import t from 'tap';
import { Client } from 'pg';
import type { PostgresIndexConfig } from '../../src/config/types';
import { LATEST_VERSION, migrate, MIGRATIONS, TRIGRAM_INDEX } from '../../src/recordings/postgres/migrations';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import { postgresFor, type LocalPostgres } from '../helpers/postgres-server';

function config(pg: LocalPostgres, url: string): PostgresIndexConfig {
  return { url, passwordFile: pg.passwordFile, poolSize: 3, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, tls: { mode: 'disable' } };
}

async function sql<T extends object>(pg: LocalPostgres, database: string, text: string, args: unknown[] = []): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database });
  await c.connect();
  try {
    return (await c.query<T>(text, args)).rows;
  } finally {
    await c.end();
  }
}

t.test('migrations', async (t) => {
  const started = Date.now();
  const pg = await postgresFor(t);
  t.comment(`server started in ${Date.now() - started} ms`);

  t.test('a fresh database gets every migration, recorded once, and the whole schema', async (t) => {
    const url = await pg.createDatabase('fresh');
    const index = await PostgresIndex.connect(config(pg, url));
    await index.close();
    const rows = await sql<{ version: number; description: string }>(pg, 'fresh', 'SELECT version, description FROM fsrecd_schema_migrations ORDER BY version');
    t.same(
      rows.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
    t.equal(rows[0]?.description, MIGRATIONS[0]?.description);
    const tables = await sql<{ tablename: string }>(pg, 'fresh', "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    t.same(
      tables.map((r) => r.tablename),
      ['audit', 'fsrecd_schema_migrations', 'index_meta', 'recordings'],
    );
    const trigram = await sql(pg, 'fresh', 'SELECT 1 FROM pg_indexes WHERE indexname = $1', [TRIGRAM_INDEX]);
    t.equal(trigram.length, 1, 'pg_trgm is part of the server package: the search index is made');
    // A second connect finds it all applied and changes nothing.
    const again = await PostgresIndex.connect(config(pg, url));
    await again.close();
    t.equal((await sql(pg, 'fresh', 'SELECT * FROM fsrecd_schema_migrations')).length, MIGRATIONS.length);
  });

  t.test('five nodes starting at once on an empty database: all connect, each migration applied once', async (t) => {
    const url = await pg.createDatabase('race');
    const t0 = Date.now();
    const infos: string[] = [];
    const log = { warn: () => undefined, info: (m: string) => infos.push(m) };
    const indexes = await Promise.all(Array.from({ length: 5 }, () => PostgresIndex.connect(config(pg, url), { log })));
    t.comment(`five racing connects took ${Date.now() - t0} ms`);
    t.equal(infos.filter((m) => m.includes('schema migrated')).length, 1, 'exactly one of them applied the schema');
    const counts = await Promise.all(indexes.map((i) => i.counts()));
    t.same(
      counts.map((c) => c.total),
      [0, 0, 0, 0, 0],
    );
    await Promise.all(indexes.map((i) => i.close()));
    const rows = await sql<{ version: number; n: string }>(pg, 'race', 'SELECT version, count(*) AS n FROM fsrecd_schema_migrations GROUP BY version ORDER BY version');
    t.same(
      rows.map((r) => [r.version, Number(r.n)]),
      MIGRATIONS.map((m) => [m.version, 1]),
    );
  });

  t.test('a database migrated by a newer fsrecd is refused, and left as it is', async (t) => {
    const url = await pg.createDatabase('future');
    const index = await PostgresIndex.connect(config(pg, url));
    await index.close();
    const future = LATEST_VERSION + 1;
    await sql(pg, 'future', "INSERT INTO fsrecd_schema_migrations (version, description) VALUES ($1, 'from a newer build')", [future]);
    await t.rejects(PostgresIndex.connect(config(pg, url)), new RegExp(`schema is version ${future}, newer than this fsrecd knows \\(${LATEST_VERSION}\\): upgrade fsrecd`));
    const rows = await sql<{ version: number }>(pg, 'future', 'SELECT version FROM fsrecd_schema_migrations ORDER BY version');
    t.same(
      rows.map((r) => r.version),
      [...MIGRATIONS.map((m) => m.version), future],
    );
  });

  t.test('without pg_trgm the schema is still made, search still answers, and the logger says so once', async (t) => {
    const url = await pg.createDatabase('notrgm');
    // pg_trgm ships with the server here: a server without it is played by migration 1 whose optional step
    // asks for an extension that is not installed (the same failure: CREATE EXTENSION errors).
    const warnings: string[] = [];
    const c = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database: 'notrgm' });
    await c.connect();
    const first = MIGRATIONS[0];
    if (!first) throw new Error('no migrations');
    const broken = [{ ...first, optional: [{ what: 'the pg_trgm extension (free-text search index)', sql: 'CREATE EXTENSION no_such_extension_here' }] }];
    const r = await migrate(c, { warn: (m) => warnings.push(m), info: () => undefined }, broken);
    await c.end();
    t.same(r.applied, [1]);
    t.equal(warnings.length, 1);
    t.match(warnings[0], /pg_trgm extension .* could not be created; going on without it/);
    const connectWarnings: string[] = [];
    const index = await PostgresIndex.connect(config(pg, url), { log: { warn: (m) => connectWarnings.push(m), info: () => undefined } });
    t.teardown(() => index.close());
    t.equal(connectWarnings.filter((m) => m.includes('no trigram index')).length, 1);
    await index.upsert({
      id: 'r1',
      callUuid: 'c1',
      legUuid: 'c1',
      startedAt: '2026-01-01T00:00:00.000Z',
      state: 'stored',
      direction: 'inbound',
      network: 'external',
      srcnum: '+15550001234',
      dstnum: '1000',
      callerName: 'Alice',
      domain: 'acme.example',
      tenant: 'acme',
      node: 'pbx-a',
      reasons: ['account acme on'],
      trigger: 'rule',
      format: 'wav',
      key: 'k/r1.wav',
      source: 'journal',
      conversationId: 'c1',
      segment: 1,
    });
    t.same(
      (await index.query({ limit: 10, text: 'alic' })).recordings.map((e) => e.id),
      ['r1'],
    );
  });
});
