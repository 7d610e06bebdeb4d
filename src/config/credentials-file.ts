/**
 * The credentials files the HTTP API reads (tokens_file, users_file), parsed: each mistake is an issue at
 * file:line:column, so `fsrecd check-config` and every (re)load report it like a YAML mistake, and the
 * listener (src/http/access.ts) keeps the last good set. Parsing only: hashing passwords, checking them
 * and sessions are the listener's (src/http/).
 *
 *   tokens_file, one per line:  <token> [<tenant>]
 *   users_file, one per line:   <name>:<password or $scrypt$ hash from `fsrecd passwd`>[:<tenant>]
 */
import { createHash } from 'node:crypto';

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

export function emptyCredentials(): Credentials {
  return { tokens: new Map(), users: new Map() };
}
