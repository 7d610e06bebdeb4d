/**
 * Issue #16: index: (sqlite | postgres) read from the YAML. Every rule's mistake is located at
 * file:line:column; nothing connects (check-config says which index it would use).
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeIndex, parsePostgresUrl } from '../../src/config/index-config';
import { loadConfig } from '../../src/config/load';
import type { IndexConfig, PostgresIndexConfig } from '../../src/config/types';
import { makeCa, makePair } from '../http/tls-fixture';

const dir = mkdtempSync(join(tmpdir(), 'fsrecd-index-cfg-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, 'fsrecd.yml');
writeFileSync(join(dir, 'pg-password'), 's3cret\n', { mode: 0o600 });

async function load(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<{ index?: IndexConfig; errors: string[]; warnings: string[] }> {
  writeFileSync(FILE, yaml);
  const r = await loadConfig(FILE, env);
  return r.ok ? { index: r.config.index, errors: [], warnings: r.warnings } : { errors: r.errors.map(String), warnings: [] };
}

async function errors(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  return (await load(yaml, env)).errors;
}

async function postgres(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<PostgresIndexConfig> {
  const r = await load(yaml, env);
  if (r.index?.type !== 'postgres') throw new Error(`not a postgres index: ${JSON.stringify(r)}`);
  return r.index.postgres;
}

const PG = 'index:\n  type: postgres\n  postgres:\n';

t.test('no index: section, or type sqlite: the SQLite index in state_dir', async (t) => {
  t.same((await load('state_dir: state\n')).index, { type: 'sqlite' });
  t.same((await load('index:\n  type: sqlite\n')).index, { type: 'sqlite' });
  t.equal(describeIndex({ type: 'sqlite' }, '/var/lib/fsrecd'), 'index: sqlite /var/lib/fsrecd/recordings.sqlite');
});

t.test('type sqlite takes no postgres block: it would be silently ignored', async (t) => {
  t.same(await errors('index:\n  type: sqlite\n  postgres:\n    url: postgres://fsrecd@db.example.net/fsrecd\n'), [
    `${FILE}:3:3: index.postgres: index type is sqlite (as written): this postgres block would be ignored; set type: postgres or remove it`,
  ]);
  t.same(await errors('index:\n  postgres:\n    url: postgres://fsrecd@db.example.net/fsrecd\n'), [
    `${FILE}:2:3: index.postgres: index type is sqlite (the default): this postgres block would be ignored; set type: postgres or remove it`,
  ], 'a forgotten type: postgres is caught too');
});

t.test('unknown types and keys are located errors', async (t) => {
  t.same(await errors('index:\n  type: mysql\n'), [`${FILE}:2:9: index.type: expected one of sqlite, postgres, got string "mysql"`]);
  t.same(await errors('index:\n  type: sqlite\n  path: /x\n'), [`${FILE}:3:3: index.path: unknown key`]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    pool: 3\n`), [`${FILE}:5:5: index.postgres.pool: unknown key`]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    tls: {mode: require, ca: x}\n`), [`${FILE}:5:26: index.postgres.tls.ca: unknown key`]);
});

t.test('type postgres requires a postgres block with url', async (t) => {
  t.same(await errors('index:\n  type: postgres\n'), [`${FILE}:2:3: index.postgres: index type postgres needs a postgres block with at least url: postgres://user@host:5432/database`]);
  t.same(await errors(`${PG}    pool_size: 4\n`), [`${FILE}:4:5: index.postgres.url: index type postgres needs url: postgres://user@host:5432/database`]);
});

t.test('the URL: postgres:// or postgresql://, a host, one database, no password, no query', async (t) => {
  const urlError = async (url: string): Promise<string[]> => errors(`${PG}    url: "${url}"\n`);
  const at = `${FILE}:4:10: index.postgres.url: `;
  t.same(await urlError('mysql://fsrecd@db/fsrecd'), [`${at}expected postgres:// or postgresql://, got mysql://`]);
  t.same(await urlError('db.example.net/fsrecd'), [`${at}not a URL: give postgres://user@host:5432/database`]);
  t.same(await urlError('postgres:///fsrecd'), [`${at}the URL must name a host: postgres://user@host:5432/database`]);
  t.same(await urlError('postgres://fsrecd@db.example.net:5432'), [`${at}the URL must name one database: postgres://user@host:5432/database`]);
  t.same(await urlError('postgres://fsrecd@db.example.net/'), [`${at}the URL must name one database: postgres://user@host:5432/database`]);
  t.same(await urlError('postgres://fsrecd:hunter2@db.example.net/fsrecd'), [
    `${at}the URL must not hold a password (config files get copied into tickets): put it in password_file or name an environment variable in password_env`,
  ]);
  t.match(await urlError('postgres://fsrecd@db.example.net/fsrecd?password=hunter2'), [/index\.postgres\.url: the URL must not hold a password, not even as \?password=/]);
  t.same(await urlError('postgres://fsrecd@db.example.net/fsrecd?sslmode=disable'), [`${at}no query parameters in the URL: TLS and timeouts are set by index.postgres.tls and its *_ms keys`]);
  t.notMatch((await urlError('postgres://fsrecd:hunter2@db.example.net/fsrecd')).join('\n'), /hunter2/, 'the error never repeats the password');

  t.same(parsePostgresUrl('postgresql://fsrecd@[::1]:6432/rec%20ords'), { host: '[::1]', port: 6432, database: 'rec ords', user: 'fsrecd' });
  t.same(parsePostgresUrl('postgres://db.example.net/fsrecd'), { host: 'db.example.net', port: 5432, database: 'fsrecd', user: undefined });
});

t.test('defaults: pool 10, connect 5 s, statements 10 s; TLS off on loopback, require elsewhere', async (t) => {
  const local = await postgres(`${PG}    url: postgres://fsrecd@127.0.0.1:5432/fsrecd\n`);
  t.same(local, { url: 'postgres://fsrecd@127.0.0.1:5432/fsrecd', poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, tls: { mode: 'disable' } });
  t.equal((await postgres(`${PG}    url: postgres://fsrecd@localhost/fsrecd\n`)).tls.mode, 'disable');
  t.equal((await postgres(`${PG}    url: postgres://fsrecd@[::1]/fsrecd\n`)).tls.mode, 'disable');
  t.equal((await postgres(`${PG}    url: postgres://fsrecd@db.example.net/fsrecd\n`)).tls.mode, 'require', 'a password never crosses the network in clear text unless asked');
  t.equal((await postgres(`${PG}    url: postgres://fsrecd@10.0.0.5/fsrecd\n    tls: {mode: disable}\n`)).tls.mode, 'disable', 'as written');
  const set = await postgres(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    pool_size: 3\n    connect_timeout_ms: 1500\n    statement_timeout_ms: 60000\n`);
  t.same([set.poolSize, set.connectTimeoutMs, set.statementTimeoutMs], [3, 1500, 60_000]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    pool_size: 0\n`), [`${FILE}:5:16: index.postgres.pool_size: must be between 1 and 100, got 0`]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    statement_timeout_ms: 2.5\n`), [`${FILE}:5:27: index.postgres.statement_timeout_ms: expected a whole number, got 2.5`]);
});

t.test('the password: a readable, non-empty file or a set environment variable; not both', async (t) => {
  const url = '    url: postgres://fsrecd@127.0.0.1/fsrecd\n';
  t.equal((await postgres(`${PG}${url}    password_file: pg-password\n`)).passwordFile, join(dir, 'pg-password'), 'relative to the main file');
  t.equal((await postgres(`${PG}${url}    password_env: FSRECD_PG_PASSWORD\n`, { FSRECD_PG_PASSWORD: 'x' })).passwordEnv, 'FSRECD_PG_PASSWORD');
  const none = await postgres(`${PG}${url}`);
  t.same([none.passwordFile, none.passwordEnv], [undefined, undefined], 'neither: the client reads PGPASSWORD or ~/.pgpass');
  t.same(await errors(`${PG}${url}    password_file: pg-password\n    password_env: FSRECD_PG_PASSWORD\n`, { FSRECD_PG_PASSWORD: 'x' }), [
    `${FILE}:6:5: index.postgres.password_env: give password_file or password_env, not both`,
  ]);
  t.same(await errors(`${PG}${url}    password_file: missing-password\n`), [`${FILE}:5:20: index.postgres.password_file: cannot read ${join(dir, 'missing-password')}: ENOENT`]);
  writeFileSync(join(dir, 'empty-password'), '\n');
  t.same(await errors(`${PG}${url}    password_file: empty-password\n`), [`${FILE}:5:20: index.postgres.password_file: ${join(dir, 'empty-password')} is empty`]);
  t.same(await errors(`${PG}${url}    password_env: FSRECD_PG_PASSWORD\n`), [`${FILE}:5:19: index.postgres.password_env: environment variable FSRECD_PG_PASSWORD is not set`]);
  t.same(await errors(`${PG}${url}    password_env: "not a name"\n`), [`${FILE}:5:19: index.postgres.password_env: not an environment variable name: "not a name"`]);
});

t.test('tls: verify-full with ca_file or the bundled CAs; cert and key together; nothing ignored silently', async (t) => {
  const tlsDir = mkdtempSync(join(dir, 'tls-'));
  const ca = makeCa(tlsDir);
  makePair(tlsDir, 'client', 7, true);
  makePair(tlsDir, 'other', 8, true);
  const url = '    url: postgres://fsrecd@db.example.net/fsrecd\n';
  const full = await postgres(`${PG}${url}    tls:\n      mode: verify-full\n      ca_file: ${ca}\n      cert_file: ${tlsDir}/client.pem\n      key_file: ${tlsDir}/client.key\n`);
  t.same(full.tls, { mode: 'verify-full', caFile: ca, certFile: `${tlsDir}/client.pem`, keyFile: `${tlsDir}/client.key` });
  t.same((await postgres(`${PG}${url}    tls: {mode: verify-full}\n`)).tls, { mode: 'verify-full' }, 'no ca_file: the bundled public CAs');
  t.same((await postgres(`${PG}${url}    tls: {cert_file: ${tlsDir}/client.pem, key_file: ${tlsDir}/client.key}\n`)).tls.mode, 'require', 'a client certificate with the default mode');

  t.same(await errors(`${PG}${url}    tls:\n      mode: verify-full\n      cert_file: ${tlsDir}/client.pem\n`), [`${FILE}:6:7: index.postgres.tls.key_file: cert_file and key_file come together (the client certificate and its key)`]);
  t.same(await errors(`${PG}${url}    tls:\n      mode: require\n      key_file: ${tlsDir}/client.key\n`), [`${FILE}:6:7: index.postgres.tls.cert_file: cert_file and key_file come together (the client certificate and its key)`]);
  t.same(await errors(`${PG}${url}    tls:\n      mode: require\n      ca_file: ${ca}\n`), [`${FILE}:7:7: index.postgres.tls.ca_file: ca_file verifies the server, which mode require does not do: set mode: verify-full`]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    tls:\n      ca_file: ${ca}\n`), [
    `${FILE}:6:7: index.postgres.tls.ca_file: tls.mode is disable (the default for a loopback host): this file would be ignored; set mode: require or verify-full, or remove it`,
  ]);
  t.same(await errors(`${PG}    url: postgres://fsrecd@10.0.0.5/fsrecd\n    tls:\n      mode: disable\n      cert_file: ${tlsDir}/client.pem\n      key_file: ${tlsDir}/client.key\n`), [
    `${FILE}:7:7: index.postgres.tls.cert_file: tls.mode is disable (as written): this file would be ignored; set mode: require or verify-full, or remove it`,
    `${FILE}:8:7: index.postgres.tls.key_file: tls.mode is disable (as written): this file would be ignored; set mode: require or verify-full, or remove it`,
  ]);
  t.same(await errors(`${PG}${url}    tls: {mode: verify-full, ca_file: ${tlsDir}/nope.pem}\n`), [`${FILE}:5:39: index.postgres.tls.ca_file: cannot read ${tlsDir}/nope.pem: ENOENT`]);
  t.match(await errors(`${PG}${url}    tls: {mode: verify-full, ca_file: pg-password}\n`), [new RegExp(`^${FILE}:5:39: index\\.postgres\\.tls\\.ca_file: ${join(dir, 'pg-password')}: not a PEM certificate`)], 'not PEM: named at once, not at the first connection');
  t.match(await errors(`${PG}${url}    tls:\n      mode: require\n      cert_file: ${tlsDir}/client.pem\n      key_file: ${tlsDir}/other.key\n`), [
    new RegExp(`^${FILE}:8:17: index\\.postgres\\.tls\\.key_file: .*other\\.key: .*\\(the key is not the certificate's\\)$`),
  ]);
  t.same(await errors(`${PG}${url}    tls: {mode: verify-ca}\n`), [`${FILE}:5:17: index.postgres.tls.mode: expected one of disable, require, verify-full, got string "verify-ca"`]);
});

t.test('check-config describes the index without a password', async (t) => {
  const pg = await postgres(`${PG}    url: postgresql://fsrecd@db.example.net:5432/fsrecd\n    password_file: pg-password\n    pool_size: 4\n`);
  t.equal(
    describeIndex({ type: 'postgres', postgres: pg }, '/var/lib/fsrecd'),
    `index: postgres postgresql://fsrecd@db.example.net:5432/fsrecd (tls require, pool 4, password from file ${join(dir, 'pg-password')})`,
  );
  const env = await postgres(`${PG}    url: postgres://fsrecd@127.0.0.1/fsrecd\n    password_env: PGPW\n`, { PGPW: 'x' });
  t.match(describeIndex({ type: 'postgres', postgres: env }, '/s'), /\(tls disable, pool 10, password from environment PGPW\)$/);
});
