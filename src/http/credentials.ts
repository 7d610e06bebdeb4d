/**
 * Who may use the HTTP API: bearer tokens (tokens_file) and basic-auth users (users_file), each either
 * for every tenant or for one. Plain-text files so an operator can manage them with an editor and
 * `chmod 600`; the daemon re-reads them when they change.
 *
 *   tokens_file, one per line:  <token> [<tenant>]
 *   users_file, one per line:   <name>:<password or $scrypt$ hash from `fsrecd passwd`>[:<tenant>]
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export interface Principal {
  /** For logs and /api/whoami: "token on line 3" or the user name. Never the secret. */
  name: string;
  /** Sees only this tenant's recordings; undefined = every tenant, and /metrics. */
  tenant?: string;
}

export interface CredentialIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface TokenEntry {
  principal: Principal;
  /** Changes when the line's token or tenant does: a session opened with it ends then. */
  fingerprint: string;
}

export interface UserEntry {
  principal: Principal;
  /** Plain password, or $scrypt$N$salt$hash. */
  secret: string;
  /** Changes when the user's password, hash or tenant does: a session opened with it ends then. */
  fingerprint: string;
}

export interface Credentials {
  /** sha256(token) hex -> entry: lookups by hash never compare secrets byte by byte. */
  tokens: Map<string, TokenEntry>;
  users: Map<string, UserEntry>;
}

export const MIN_TOKEN_LENGTH = 20;
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function lines(text: string): { no: number; text: string }[] {
  return text.split(/\r?\n/).map((t, i) => ({ no: i + 1, text: t })).filter((l) => l.text.trim() !== '' && !l.text.trimStart().startsWith('#'));
}

export function parseTokens(text: string, file: string, into: Credentials, issues: CredentialIssue[]): void {
  for (const l of lines(text)) {
    const col = l.text.length - l.text.trimStart().length + 1;
    const [token, tenant, ...rest] = l.text.trim().split(/\s+/);
    if (!token || token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      issues.push({ file, line: l.no, column: col, message: `a token is at least ${MIN_TOKEN_LENGTH} printable characters (make one with: fsrecd token)` });
      continue;
    }
    if (rest.length || (tenant !== undefined && !TENANT.test(tenant))) {
      issues.push({ file, line: l.no, column: col + token.length + 1, message: 'expected "<token> [<tenant>]"' });
      continue;
    }
    const hash = sha256(token);
    if (into.tokens.has(hash)) issues.push({ file, line: l.no, column: col, message: 'this token is listed twice' });
    into.tokens.set(hash, { principal: { name: `token on line ${l.no}`, tenant }, fingerprint: sha256(`token\0${hash}\0${tenant ?? ''}`) });
  }
}

export function parseUsers(text: string, file: string, into: Credentials, issues: CredentialIssue[]): void {
  for (const l of lines(text)) {
    const t = l.text.trim();
    const col = l.text.length - l.text.trimStart().length + 1;
    const first = t.indexOf(':');
    if (first <= 0) {
      issues.push({ file, line: l.no, column: col, message: 'expected "<name>:<password>[:<tenant>]"' });
      continue;
    }
    const name = t.slice(0, first);
    let secret = t.slice(first + 1);
    let tenant: string | undefined;
    const last = secret.lastIndexOf(':');
    if (last >= 0) {
      tenant = secret.slice(last + 1);
      secret = secret.slice(0, last);
    }
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
      issues.push({ file, line: l.no, column: col, message: `user name ${JSON.stringify(name)}: use letters, digits and . _ @ -` });
      continue;
    }
    if (tenant !== undefined && !TENANT.test(tenant)) {
      issues.push({ file, line: l.no, column: col + first + 1 + last + 1, message: `tenant ${JSON.stringify(tenant)}: use letters, digits and . _ @ - (a password may not contain ":")` });
      continue;
    }
    if (secret.startsWith('$scrypt$') ? !parseScrypt(secret) : secret.length < 8) {
      const message = secret.startsWith('$scrypt$') ? `malformed $scrypt$ hash, or its cost is not a power of two from ${MIN_SCRYPT_N} to ${MAX_SCRYPT_N} (make one with: fsrecd passwd NAME)` : 'a password is at least 8 characters';
      issues.push({ file, line: l.no, column: col + first + 1, message });
      continue;
    }
    if (into.users.has(name)) issues.push({ file, line: l.no, column: col, message: `user ${name} is listed twice` });
    into.users.set(name, { principal: { name, tenant }, secret, fingerprint: sha256(`user\0${name}\0${secret}\0${tenant ?? ''}`) });
  }
}

export interface ScryptHash {
  n: number;
  salt: Buffer;
  hash: Buffer;
}

/** The cost `fsrecd passwd` uses, and the one a check for an unknown user pays when no hash says otherwise. */
export const DEFAULT_SCRYPT_N = 16384;
const MIN_SCRYPT_N = 1024;
/** 128 * r(8) * N bytes must stay under SCRYPT_MAXMEM: a costlier hash could never be checked. */
const MAX_SCRYPT_N = 32768;
export const SCRYPT_MAXMEM = 64 * 1024 * 1024;

export function parseScrypt(s: string): ScryptHash | undefined {
  const m = /^\$scrypt\$(\d{4,5})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{40,})$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  if ((n & (n - 1)) !== 0 || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N) return undefined;
  return { n, salt: Buffer.from(m[2] as string, 'base64url'), hash: Buffer.from(m[3] as string, 'base64url') };
}

/** For `fsrecd passwd` (a command, not a request: it may block). */
export function hashPassword(password: string, n = DEFAULT_SCRYPT_N): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: n, maxmem: SCRYPT_MAXMEM });
  return `$scrypt$${n}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Synchronous, for commands and tests only: it blocks the event loop for the whole scrypt. The HTTP
 * listener checks passwords with PasswordCheck (password-check.ts), off the event loop.
 */
export function verifyPassword(password: string, secret: string): boolean {
  const h = parseScrypt(secret);
  if (h) return timingSafeEqual(scryptSync(password, h.salt, h.hash.length, { N: h.n, maxmem: SCRYPT_MAXMEM }), h.hash);
  return timingSafeEqual(Buffer.from(sha256(password), 'hex'), Buffer.from(sha256(secret), 'hex'));
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function emptyCredentials(): Credentials {
  return { tokens: new Map(), users: new Map() };
}
