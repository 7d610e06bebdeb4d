/**
 * http.tls: the listener's certificate and key (and, with ca_file, the CA whose client certificates it
 * requires). Read and tried at load, so check-config and a reload refuse a pair that does not match or a
 * file that is not PEM, located at the key that names it; the listener re-reads them when they change
 * (src/http/tls.ts). Also: the warning for a listener off loopback without TLS.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Reader } from './reader';
import type { HttpTlsConfig } from './types';

export const TLS_MIN_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** The certificate, key and CA as read from their files (PEM text). */
export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * Why this material cannot serve (a message naming which file), or undefined when it can: Node's own
 * secure-context construction parses the PEM and checks that the key belongs to the certificate.
 */
export function tlsMaterialProblem(m: TlsMaterial, files: Pick<HttpTlsConfig, 'certFile' | 'keyFile' | 'caFile'>): { key: 'cert_file' | 'key_file' | 'ca_file'; message: string } | undefined {
  const tries: Array<['cert_file' | 'key_file' | 'ca_file', () => void]> = [
    ['cert_file', () => createSecureContext({ cert: m.cert })],
    ['key_file', () => createSecureContext({ key: m.key })],
    ...(m.ca === undefined ? [] : [['ca_file', () => createSecureContext({ ca: m.ca })] as ['ca_file', () => void]]),
    ['key_file', () => createSecureContext({ cert: m.cert, key: m.key })],
  ];
  for (const [key, attempt] of tries) {
    try {
      attempt();
    } catch (err) {
      const file = key === 'cert_file' ? files.certFile : key === 'key_file' ? files.keyFile : files.caFile;
      return { key, message: `${file}: ${(err as Error).message}${(err as Error).message.includes('mismatch') ? ' (the key is not the certificate\'s)' : ''}` };
    }
  }
  return undefined;
}

/** Reads http.tls; `resolvePath` makes a value absolute (relative to the main file) as for every path. */
export function readHttpTls(r: Reader, v: unknown, resolvePath: (p: string[], v: unknown) => string): HttpTlsConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const p = ['http', 'tls'];
  const t = r.map(p, v, ['cert_file', 'key_file', 'ca_file', 'min_version', 'check_interval_ms']);
  for (const k of ['cert_file', 'key_file'] as const) if (t[k] === undefined || t[k] === null) r.error([...p, k], `required with http.tls (a PEM file)`);
  const cfg: HttpTlsConfig = {
    certFile: resolvePath([...p, 'cert_file'], t.cert_file),
    keyFile: resolvePath([...p, 'key_file'], t.key_file),
    caFile: t.ca_file === undefined || t.ca_file === null ? undefined : resolvePath([...p, 'ca_file'], t.ca_file),
    minVersion: r.oneOf([...p, 'min_version'], t.min_version, TLS_MIN_VERSIONS, 'TLSv1.2'),
    checkIntervalMs: r.integer([...p, 'check_interval_ms'], t.check_interval_ms, 10_000, 100, 3_600_000),
  };
  if (t.cert_file === undefined || t.key_file === undefined) return cfg;
  const read = (key: 'cert_file' | 'key_file' | 'ca_file', file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      r.error([...p, key], `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return undefined;
    }
  };
  const cert = read('cert_file', cfg.certFile);
  const key = read('key_file', cfg.keyFile);
  const ca = cfg.caFile === undefined ? undefined : read('ca_file', cfg.caFile);
  if (cert === undefined || key === undefined || (cfg.caFile !== undefined && ca === undefined)) return cfg;
  const problem = tlsMaterialProblem({ cert, key, ca }, cfg);
  if (problem) r.error([...p, problem.key], problem.message);
  return cfg;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A warning, not a refusal, for a listener off loopback without TLS: a TLS proxy in front of it (on another
 * interface, or in a container network) is a sound set-up the daemon cannot see from here.
 */
export function cleartextListenWarning(host: string, listen: string, tls: HttpTlsConfig | undefined): string | undefined {
  if (tls || isLoopback(host)) return undefined;
  return `http.listen: ${listen} is not a loopback address and http.tls is not set: tokens, passwords and recordings cross the network in clear text unless a TLS proxy fronts this listener`;
}
