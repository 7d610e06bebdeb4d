/** index.postgres as connections to a real server: where the password comes from, and the errors a person is shown. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Client, Pool } from 'pg';
import type { PostgresIndexConfig } from '../../src/config/types';
import { parsePostgresUrl, poolConfig } from '../../src/recordings/postgres/connection';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import { waitFor } from '../helpers/wait-for';
import { postgresFor } from '../helpers/postgres-server';

t.test('connections', async (t) => {
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('conn');
  const files = mkdtempSync(join(tmpdir(), 'fsrecd-pg-conn-'));
  t.teardown(() => rmSync(files, { recursive: true, force: true }));
  const base = (over: Partial<PostgresIndexConfig> = {}): PostgresIndexConfig => ({ url, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 30_000, tls: { mode: 'disable' }, ...over });

  t.test('the password from password_file (trailing newline ignored) logs in; location shows no password', async (t) => {
    const index = await PostgresIndex.connect(base({ passwordFile: pg.passwordFile }));
    t.teardown(() => index.close());
    t.equal(index.location, url);
    t.equal(index.engine, 'postgres');
    t.equal(index.rebuilt, false);
    t.equal((await index.counts()).total, 0);
  });

  t.test('the password from the variable password_env names', async (t) => {
    const index = await PostgresIndex.connect(base({ passwordEnv: 'FSRECD_TEST_PG_PASSWORD' }), { env: { FSRECD_TEST_PG_PASSWORD: pg.password } });
    t.teardown(() => index.close());
    t.equal((await index.counts()).total, 0);
    await t.rejects(PostgresIndex.connect(base({ passwordEnv: 'FSRECD_TEST_PG_UNSET' }), { env: {} }), /index\.postgres\.password_env names FSRECD_TEST_PG_UNSET, which is not set/);
  });

  t.test('a wrong password: a clear error naming the server, no pool left open', async (t) => {
    const wrong = join(files, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    await t.rejects(PostgresIndex.connect(base({ passwordFile: wrong })), {
      message: new RegExp(`^cannot connect to the PostgreSQL index at ${url.replace(/[.?*+^$()[\]\\/]/g, '\\$&')}: password authentication failed for user "fsrecd"$`),
    });
    await t.rejects(PostgresIndex.connect(base({ passwordFile: join(files, 'no-such-password-file') })), /index\.postgres\.password_file .*no-such-password-file: ENOENT/);
  });

  t.test('a URL with a password is refused before anything connects, and so is a URL carrying its own sslmode', async (t) => {
    const withPassword = url.replace('fsrecd@', `fsrecd:${pg.password}@`);
    await t.rejects(PostgresIndex.connect(base({ url: withPassword, passwordFile: pg.passwordFile })), /index\.postgres\.url: the URL must not hold a password .*: put it in password_file or name an environment variable in password_env/);
    t.throws(() => parsePostgresUrl(`${url}?sslmode=disable`), /index\.postgres\.url: no query parameters in the URL: TLS and timeouts are set by index\.postgres\.tls/);
    t.throws(() => parsePostgresUrl('http://x/db'), /expected postgres:\/\/ or postgresql:\/\/, got http:\/\//);
    t.throws(() => parsePostgresUrl('postgres://u@h:5432/'), /must name one database/);
    t.same(parsePostgresUrl('postgres://u%40x@[::1]:6000/my%20db'), { host: '::1', port: 6000, database: 'my db', user: 'u@x' });
    t.throws(() => parsePostgresUrl('postgres://u@/db?host=/run/postgresql'), /index\.postgres\.url: /, 'one set of rules with the configuration reader: a host, TCP');
  });

  t.test('tls: require against a server without SSL fails clearly; the modes map onto Node tls options', async (t) => {
    await t.rejects(PostgresIndex.connect(base({ passwordFile: pg.passwordFile, tls: { mode: 'require' } })), /cannot connect to the PostgreSQL index at .*: The server does not support SSL connections/);
    t.equal(poolConfig(base({ tls: { mode: 'disable' } })).ssl, false);
    t.same(poolConfig(base({ tls: { mode: 'require' } })).ssl, { rejectUnauthorized: false });
    const ca = join(files, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    t.same(poolConfig(base({ tls: { mode: 'verify-full', caFile: ca } })).ssl, { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
    t.throws(() => poolConfig(base({ tls: { mode: 'verify-full', caFile: '/nonexistent/ca.pem' } })), /index\.postgres\.tls\.ca_file \/nonexistent\/ca\.pem: ENOENT/);
    const opts = poolConfig(base({ poolSize: 7, connectTimeoutMs: 1234, statementTimeoutMs: 5678 }));
    t.match(opts, { max: 7, connectionTimeoutMillis: 1234, statement_timeout: 5678, application_name: 'fsrecd', host: '127.0.0.1', port: pg.port, database: 'conn', user: 'fsrecd' });
  });

  t.test('statement_timeout reaches the server, and an idle connection the server drops is logged, not fatal', async (t) => {
    const warnings: string[] = [];
    const index = await PostgresIndex.connect(base({ passwordFile: pg.passwordFile, statementTimeoutMs: 4321 }), { log: { warn: (m) => warnings.push(m), info: () => undefined } });
    t.teardown(() => index.close());
    await index.counts();
    const admin = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database: 'conn' });
    await admin.connect();
    t.teardown(() => admin.end());
    const sessions = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'fsrecd' AND datname = 'conn' AND pid <> pg_backend_pid()");
    t.ok(sessions.rows.length >= 1, 'the pool holds an idle session named fsrecd');
    const pool = new Pool(poolConfig(base({ passwordFile: pg.passwordFile, statementTimeoutMs: 4321 })));
    t.teardown(() => pool.end());
    const shown = await pool.query<{ statement_timeout: string; application_name: string }>('SELECT current_setting($1) AS statement_timeout, current_setting($2) AS application_name', ['statement_timeout', 'application_name']);
    t.same(shown.rows[0], { statement_timeout: '4321ms', application_name: 'fsrecd' }, 'the options are the session settings');
    for (const s of sessions.rows) await admin.query('SELECT pg_terminate_backend($1, 5000)', [s.pid]);
    await waitFor(() => warnings.some((w) => w.includes('an idle connection failed')), 'the pool to report the dropped connection');
    t.equal((await index.counts()).total, 0, 'the next query opens a new connection');
  });
});
