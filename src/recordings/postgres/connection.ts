/**
 * index.postgres as node-postgres Pool options: where (the URL, parsed here rather than handed to pg, whose
 * connection-string parser would let a `?sslmode=` in the URL override index.postgres.tls), who (the
 * password from a file or a named environment variable, never from the URL: configs get pasted into
 * tickets), and how (TLS, timeouts, pool size).
 */
import { readFileSync } from 'node:fs';
import { Pool, type PoolConfig } from 'pg';
import type { PostgresIndexConfig, PostgresTlsConfig } from '../../config/types';

/** Where a message about the index goes: a winston Logger fits, so does a test's callback object. */
export interface IndexLog {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
}

export const SILENT_LOG: IndexLog = { warn: () => undefined, info: () => undefined };

interface Endpoint {
  host: string;
  port: number;
  database: string;
  user?: string;
}

/** Query parameters the URL may carry; everything else has its own config key (or none). */
const URL_PARAMS = new Set(['host']);

/** The URL as the config gives it, checked: a password in it is refused, so is anything pg would read past the config. */
export function parsePostgresUrl(url: string): Endpoint {
  let u: URL;
  try {
    // postgres://user@/db?host=/run/postgresql (a socket directory, no host in the authority) is libpq's
    // form; WHATWG URLs want a host there, so a stand-in fills it (?host= then says where).
    u = new URL(url.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)\//, '$1localhost/'));
  } catch {
    throw new Error(`index.postgres.url is not a URL: ${JSON.stringify(url)} (expected postgres://user@host:5432/database)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`index.postgres.url must start with postgres:// (got ${u.protocol}//)`);
  if (u.password !== '') {
    throw new Error('index.postgres.url holds a password: remove it from the URL and put it in the file index.postgres.password_file names (or the variable index.postgres.password_env names)');
  }
  for (const key of u.searchParams.keys()) {
    if (!URL_PARAMS.has(key)) throw new Error(`index.postgres.url: parameter ${key} is not accepted (TLS is index.postgres.tls, timeouts and pool size have their own keys)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('index.postgres.url names no database (postgres://user@host:5432/DATABASE)');
  // A Unix socket directory goes in ?host=/run/postgresql or as an encoded host (%2Frun%2Fpostgresql).
  const host = u.searchParams.get('host') ?? decodeURIComponent(u.hostname.replace(/^\[(.*)\]$/, '$1'));
  const port = u.port === '' ? 5432 : Number(u.port);
  const endpoint: Endpoint = { host: host === '' ? 'localhost' : host, port, database };
  if (u.username !== '') endpoint.user = decodeURIComponent(u.username);
  return endpoint;
}

/** The URL for logs and status: it never holds a password (a URL with one is refused before this). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

/** The password: password_file (read now), else the variable password_env names, else pg's own (PGPASSWORD, ~/.pgpass). */
function passwordOf(cfg: PostgresIndexConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (cfg.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(cfg.passwordFile, 'utf8');
    } catch (err) {
      throw new Error(`index.postgres.password_file ${cfg.passwordFile}: ${(err as Error).message}`);
    }
    return text.replace(/\r?\n$/, '');
  }
  if (cfg.passwordEnv !== undefined) {
    const v = env[cfg.passwordEnv];
    if (v === undefined || v === '') throw new Error(`index.postgres.password_env names ${cfg.passwordEnv}, which is not set in fsrecd's environment`);
    return v;
  }
  return undefined;
}

function readPem(key: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`index.postgres.tls.${key} ${file}: ${(err as Error).message}`);
  }
}

/** libpq's sslmode as Node's tls options: require encrypts without checking who answers; verify-full checks the certificate and the name. */
export function sslOf(tls: PostgresTlsConfig): PoolConfig['ssl'] {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  const ssl: NonNullable<Exclude<PoolConfig['ssl'], boolean>> = { rejectUnauthorized: true };
  const ca = readPem('ca_file', tls.caFile);
  const cert = readPem('cert_file', tls.certFile);
  const key = readPem('key_file', tls.keyFile);
  if (ca !== undefined) ssl.ca = ca;
  if (cert !== undefined) ssl.cert = cert;
  if (key !== undefined) ssl.key = key;
  return ssl;
}

export function poolConfig(cfg: PostgresIndexConfig, env: NodeJS.ProcessEnv = process.env): PoolConfig {
  const endpoint = parsePostgresUrl(cfg.url);
  const options: PoolConfig = {
    ...endpoint,
    ssl: sslOf(cfg.tls),
    max: cfg.poolSize,
    connectionTimeoutMillis: cfg.connectTimeoutMs,
    statement_timeout: cfg.statementTimeoutMs,
    application_name: 'fsrecd',
  };
  const password = passwordOf(cfg, env);
  if (password !== undefined) options.password = password;
  return options;
}

/**
 * The pool. An idle connection the server drops (a restart, a failover, pg_terminate_backend) makes the
 * pool emit 'error': unhandled, that would end the process, so it is logged and the pool opens a new
 * connection at the next query.
 */
export function createPool(cfg: PostgresIndexConfig, log: IndexLog = SILENT_LOG, env: NodeJS.ProcessEnv = process.env): Pool {
  const pool = new Pool(poolConfig(cfg, env));
  pool.on('error', (err) => {
    log.warn('PostgreSQL index: an idle connection failed (a new one is opened when needed)', { err: err.message, url: describeUrl(cfg.url) });
  });
  return pool;
}
