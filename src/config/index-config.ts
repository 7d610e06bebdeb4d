/**
 * index: which engine keeps the recordings index. SQLite in state_dir (the default: one node, nothing to
 * install) or a PostgreSQL database several fsrecd nodes share. Every mistake is located (file:line:column);
 * files it names are read at load, so check-config and the start refuse one that cannot be read, not the
 * first connection. Nothing here connects: the engine (src/recordings/) does, with these settings.
 *
 * Decisions an operator can rely on:
 * - The URL never holds a password (config files get pasted into tickets): password_file or password_env,
 *   else the client's own PGPASSWORD / ~/.pgpass. Nor query parameters: the connection's options are the
 *   keys below, in one place, not half in the URL (a `sslmode=` there would contradict tls.mode).
 * - tls.mode defaults to `disable` only when the host is loopback; any other host defaults to `require`
 *   (encrypted: the password and recording metadata never cross the network in clear text). `require` does
 *   not check who answers: `verify-full` does (certificate chain and host name), against ca_file when given,
 *   else Node's bundled public CAs (a private CA, as most database servers use, needs ca_file).
 * - An option that would be silently ignored is an error: a postgres block under type sqlite, TLS files
 *   with mode disable, ca_file with mode require (libpq would then verify the chain; fsrecd would not).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Reader } from './reader';
import type { IndexConfig, PostgresIndexConfig, PostgresTlsConfig } from './types';

const TYPES = ['sqlite', 'postgres'] as const;
const TLS_MODES = ['disable', 'require', 'verify-full'] as const;
const POSTGRES_KEYS = ['url', 'password_file', 'password_env', 'pool_size', 'connect_timeout_ms', 'statement_timeout_ms', 'tls'];
const TLS_KEYS = ['mode', 'ca_file', 'cert_file', 'key_file'];

export const POSTGRES_DEFAULTS = { poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 10_000 } as const;

/** The SQLite index's file in state_dir (dir-overlap.ts keeps storage.dir off it). */
export function sqliteIndexPath(stateDir: string): string {
  return join(stateDir, 'recordings.sqlite');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The parts of a postgres URL fsrecd uses, or why it cannot use it. */
export type ParsedPostgresUrl = { host: string; port: number; database: string; user?: string } | { problem: string };

export function parsePostgresUrl(s: string): ParsedPostgresUrl {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { problem: `not a URL: give postgres://user@host:5432/database` };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return { problem: `expected postgres:// or postgresql://, got ${u.protocol}//` };
  if (u.password) return { problem: 'the URL must not hold a password (config files get copied into tickets): put it in password_file or name an environment variable in password_env' };
  if (u.searchParams.has('password')) return { problem: 'the URL must not hold a password, not even as ?password= (config files get copied into tickets): put it in password_file or name an environment variable in password_env' };
  if (u.search) return { problem: 'no query parameters in the URL: TLS and timeouts are set by index.postgres.tls and its *_ms keys' };
  if (u.hash) return { problem: 'no #fragment in the URL' };
  if (!u.hostname) return { problem: 'the URL must name a host: postgres://user@host:5432/database' };
  let database: string;
  try {
    database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  } catch {
    return { problem: 'the database name in the URL is not valid percent-encoding' };
  }
  if (!database || database.includes('/')) return { problem: 'the URL must name one database: postgres://user@host:5432/database' };
  return { host: u.hostname, port: u.port ? Number(u.port) : 5432, database, user: u.username ? decodeURIComponent(u.username) : undefined };
}

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** A file named in the config, read now: unreadable or (for a password) empty is an error at that key. */
function readNamedFile(r: Reader, p: string[], file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    r.error(p, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}

function pemCertificate(text: string): void {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate (no -----BEGIN CERTIFICATE----- line)');
  new X509Certificate(text);
}

function readTls(r: Reader, p: string[], v: unknown, host: string | undefined, resolvePath: (p: string[], v: unknown) => string): PostgresTlsConfig {
  const o = r.map(p, v, TLS_KEYS);
  const defaultMode = host === undefined || isLoopbackHost(host) ? 'disable' : 'require';
  const mode = r.oneOf([...p, 'mode'], o.mode, TLS_MODES, defaultMode);
  const tls: PostgresTlsConfig = { mode };
  for (const [key, field] of [['ca_file', 'caFile'], ['cert_file', 'certFile'], ['key_file', 'keyFile']] as const) {
    if (given(o[key])) tls[field] = resolvePath([...p, key], o[key]);
  }
  if (mode === 'disable') {
    for (const key of ['ca_file', 'cert_file', 'key_file']) if (given(o[key])) r.keyError([...p, key], `tls.mode is disable (${given(o.mode) ? 'as written' : 'the default for a loopback host'}): this file would be ignored; set mode: require or verify-full, or remove it`);
    return tls;
  }
  if (mode === 'require' && given(o.ca_file)) r.keyError([...p, 'ca_file'], 'ca_file verifies the server, which mode require does not do: set mode: verify-full');
  if (given(o.cert_file) !== given(o.key_file)) r.error([...p, given(o.cert_file) ? 'key_file' : 'cert_file'], 'cert_file and key_file come together (the client certificate and its key)');
  const ca = tls.caFile === undefined ? undefined : readNamedFile(r, [...p, 'ca_file'], tls.caFile);
  const cert = tls.certFile === undefined ? undefined : readNamedFile(r, [...p, 'cert_file'], tls.certFile);
  const key = tls.keyFile === undefined ? undefined : readNamedFile(r, [...p, 'key_file'], tls.keyFile);
  // Node parses the PEM and matches the key to the certificate: a wrong file stops check-config, not the first connection.
  const attempts: Array<[string, () => void]> = [];
  // createSecureContext takes a CA file that is not PEM without a word: checked here (the bundle's first certificate parsed).
  if (ca !== undefined) attempts.push(['ca_file', () => pemCertificate(ca)]);
  if (cert !== undefined && key !== undefined) {
    attempts.push(['cert_file', () => createSecureContext({ cert })], ['key_file', () => createSecureContext({ key })], ['key_file', () => createSecureContext({ cert, key })]);
  }
  for (const [k, attempt] of attempts) {
    try {
      attempt();
    } catch (err) {
      const msg = (err as Error).message;
      r.error([...p, k], `${k === 'ca_file' ? tls.caFile : k === 'cert_file' ? tls.certFile : tls.keyFile}: ${msg}${msg.includes('mismatch') ? " (the key is not the certificate's)" : ''}`);
      break;
    }
  }
  return tls;
}

function readPostgres(r: Reader, p: string[], v: unknown, env: NodeJS.ProcessEnv, resolvePath: (p: string[], v: unknown) => string): PostgresIndexConfig {
  const o = r.map(p, v, POSTGRES_KEYS);
  if (!given(v)) r.error(p, 'index type postgres needs a postgres block with at least url: postgres://user@host:5432/database');
  const url = r.str([...p, 'url'], o.url, '');
  let host: string | undefined;
  if (given(v) && !given(o.url)) r.error([...p, 'url'], 'index type postgres needs url: postgres://user@host:5432/database');
  else if (url) {
    const parsed = parsePostgresUrl(url);
    if ('problem' in parsed) r.error([...p, 'url'], parsed.problem);
    else host = parsed.host;
  }
  const cfg: PostgresIndexConfig = {
    url,
    poolSize: r.integer([...p, 'pool_size'], o.pool_size, POSTGRES_DEFAULTS.poolSize, 1, 100),
    connectTimeoutMs: r.integer([...p, 'connect_timeout_ms'], o.connect_timeout_ms, POSTGRES_DEFAULTS.connectTimeoutMs, 100, 600_000),
    statementTimeoutMs: r.integer([...p, 'statement_timeout_ms'], o.statement_timeout_ms, POSTGRES_DEFAULTS.statementTimeoutMs, 100, 3_600_000),
    tls: readTls(r, [...p, 'tls'], o.tls, host, resolvePath),
  };
  if (given(o.password_file) && given(o.password_env)) {
    r.keyError([...p, 'password_env'], 'give password_file or password_env, not both');
    return cfg;
  }
  if (given(o.password_file)) {
    cfg.passwordFile = resolvePath([...p, 'password_file'], o.password_file);
    // Read again at each connection by the engine (a rotated password needs no restart); checked here.
    const text = readNamedFile(r, [...p, 'password_file'], cfg.passwordFile);
    if (text !== undefined && text.replace(/\r?\n$/, '') === '') r.error([...p, 'password_file'], `${cfg.passwordFile} is empty`);
  }
  if (given(o.password_env)) {
    const name = r.str([...p, 'password_env'], o.password_env, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) r.error([...p, 'password_env'], `not an environment variable name: ${JSON.stringify(name)}`);
    else if (env[name] === undefined || env[name] === '') r.error([...p, 'password_env'], `environment variable ${name} is not set`);
    cfg.passwordEnv = name;
  }
  return cfg;
}

/** Reads index:; absent is SQLite. `resolvePath` makes a path absolute (relative to the main file) as for every path. */
export function readIndex(r: Reader, v: unknown, env: NodeJS.ProcessEnv, resolvePath: (p: string[], v: unknown) => string): IndexConfig {
  const p = ['index'];
  if (!given(v)) return { type: 'sqlite' };
  const o = r.map(p, v, ['type', 'postgres']);
  const type = r.oneOf([...p, 'type'], o.type, TYPES, 'sqlite');
  if (type === 'sqlite') {
    if (given(o.postgres)) r.keyError([...p, 'postgres'], `index type is sqlite (${given(o.type) ? 'as written' : 'the default'}): this postgres block would be ignored; set type: postgres or remove it`);
    return { type: 'sqlite' };
  }
  return { type: 'postgres', postgres: readPostgres(r, [...p, 'postgres'], o.postgres, env, resolvePath) };
}

/** For check-config: which index, where (never a password; the URL holds none). */
export function describeIndex(index: IndexConfig | undefined, stateDir: string): string {
  if (index?.type !== 'postgres') return `index: sqlite ${sqliteIndexPath(stateDir)}`;
  const pg = index.postgres;
  const password = pg.passwordFile ? `password from file ${pg.passwordFile}` : pg.passwordEnv ? `password from environment ${pg.passwordEnv}` : 'password from PGPASSWORD or ~/.pgpass, if any';
  return `index: postgres ${pg.url} (tls ${pg.tls.mode}, pool ${pg.poolSize}, ${password})`;
}
