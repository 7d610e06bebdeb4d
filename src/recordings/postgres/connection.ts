/**
 * index.postgres as node-postgres Pool options: where (the URL, parsed here rather than handed to pg, whose
 * connection-string parser would let a `?sslmode=` in the URL override index.postgres.tls), who (the
 * password from a file or a named environment variable, never from the URL: configs get pasted into
 * tickets), and how (TLS, timeouts, pool size).
 */
import { readFileSync } from 'node:fs';
import { Pool, type PoolConfig } from 'pg';
import { parsePostgresUrl as parseConfiguredUrl } from '../../config/index-config';
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


/** The URL as the configuration reader checked it (src/config/index-config.ts): one reading of it, one set of rules. */
export function parsePostgresUrl(url: string): Endpoint {
  const parsed = parseConfiguredUrl(url);
  if ('problem' in parsed) throw new Error(`index.postgres.url: ${parsed.problem}`);
  const endpoint: Endpoint = { host: parsed.host.replace(/^\[(.*)\]$/, '$1'), port: parsed.port, database: parsed.database };
  if (parsed.user !== undefined) endpoint.user = parsed.user;
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
