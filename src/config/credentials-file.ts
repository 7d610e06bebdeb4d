/**
 * The credentials files the HTTP API reads (tokens_file, users_file), parsed: each mistake is an issue at
 * file:line:column, so `fsrecd check-config` and every (re)load report it like a YAML mistake, and the
 * listener (src/http/access.ts) keeps the last good set. Parsing only: hashing passwords, checking them
 * and sessions are the listener's (src/http/).
 *
 *   tokens_file, one per line:  <token> [<tenant>] [role=admin]
 *   users_file, one per line:   <name>:<password or $scrypt$ hash from `fsrecd passwd`>[:<tenant>][:role=admin]
 *
 * The role is optional and `reader` when absent, so a file written before roles existed reads exactly as
 * it did. It is written `role=…` because a tenant can never contain "=": a last field `role=…` could not
 * have been a tenant in any file that parsed before, so nothing old changes meaning.
 */
import { createHash } from 'node:crypto';

/** reader: list, play, download, presign. admin: also delete, hold, release and read the audit trail. */
export type Role = 'reader' | 'admin';
export const ROLES: readonly Role[] = ['reader', 'admin'];

export interface Principal {
  /** For logs and /api/whoami: "token on line 3" or the user name. Never the secret. */
  name: string;
  /** Sees only this tenant's recordings; undefined = every tenant, and /metrics. */
  tenant?: string;
  /** What it may do to what it sees; `reader` unless its line says `role=admin`. */
  role: Role;
}

export interface CredentialIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface TokenEntry {
  principal: Principal;
  /** Changes when the line's token, tenant or role does: a session opened with it ends then. */
  fingerprint: string;
}

export interface UserEntry {
  principal: Principal;
  /** Plain password, or $scrypt$N$salt$hash. */
  secret: string;
  /** Changes when the user's password, hash, tenant or role does: a session opened with it ends then. */
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

const ROLE_FIELD = /^role=(.*)$/s;
const ROLE_PROBLEM = (value: string): string => `role ${JSON.stringify(value)}: expected role=reader or role=admin`;

/** A reader's fingerprint is what it was before roles existed; an admin's differs, so a demotion ends its sessions. */
function roleMark(role: Role): string {
  return role === 'reader' ? '' : `\0role=${role}`;
}

function roleOf(value: string): Role | undefined {
  return (ROLES as readonly string[]).includes(value) ? (value as Role) : undefined;
}

export function parseTokens(text: string, file: string, into: Credentials, issues: CredentialIssue[]): void {
  for (const l of lines(text)) {
    const col = l.text.length - l.text.trimStart().length + 1;
    const fields = [...l.text.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: (m.index ?? 0) + 1 }));
    const [token, ...more] = fields;
    if (!token || token.text.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token.text)) {
      issues.push({ file, line: l.no, column: col, message: `a token is at least ${MIN_TOKEN_LENGTH} printable characters (make one with: fsrecd token)` });
      continue;
    }
    // The role is the last field when it is there: `<token> role=admin` or `<token> <tenant> role=admin`.
    const last = more[more.length - 1];
    const roleField = last && ROLE_FIELD.exec(last.text);
    if (roleField) more.pop();
    const [tenantField, ...rest] = more;
    const tenant = tenantField?.text;
    if (rest.length || (tenant !== undefined && !TENANT.test(tenant))) {
      issues.push({ file, line: l.no, column: col + token.text.length + 1, message: 'expected "<token> [<tenant>] [role=admin]"' });
      continue;
    }
    const role = roleField ? roleOf(roleField[1] as string) : 'reader';
    if (!role) {
      issues.push({ file, line: l.no, column: (last?.column ?? col) + 'role='.length, message: ROLE_PROBLEM(roleField?.[1] ?? '') });
      continue;
    }
    const hash = sha256(token.text);
    if (into.tokens.has(hash)) issues.push({ file, line: l.no, column: col, message: 'this token is listed twice' });
    into.tokens.set(hash, { principal: { name: `token on line ${l.no}`, tenant, role }, fingerprint: sha256(`token\0${hash}\0${tenant ?? ''}${roleMark(role)}`) });
  }
}

export function parseUsers(text: string, file: string, into: Credentials, issues: CredentialIssue[]): void {
  for (const l of lines(text)) {
    const t = l.text.trim();
    const col = l.text.length - l.text.trimStart().length + 1;
    const first = t.indexOf(':');
    if (first <= 0) {
      issues.push({ file, line: l.no, column: col, message: 'expected "<name>:<password>[:<tenant>][:role=admin]"' });
      continue;
    }
    const name = t.slice(0, first);
    let secret = t.slice(first + 1);
    // A last field role=… is the role (it was never a valid tenant: a tenant has no "="); then the tenant as before.
    let roleText: string | undefined;
    const roleAt = secret.lastIndexOf(':');
    const roleField = roleAt >= 0 ? ROLE_FIELD.exec(secret.slice(roleAt + 1)) : null;
    if (roleField) {
      roleText = roleField[1] as string;
      secret = secret.slice(0, roleAt);
    }
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
    const role = roleText === undefined ? 'reader' : roleOf(roleText);
    if (!role) {
      issues.push({ file, line: l.no, column: col + first + 1 + roleAt + 1 + 'role='.length, message: ROLE_PROBLEM(roleText ?? '') });
      continue;
    }
    if (secret.startsWith('$scrypt$') ? !parseScrypt(secret) : secret.length < 8) {
      const message = secret.startsWith('$scrypt$') ? `malformed $scrypt$ hash, or its cost is not a power of two from ${MIN_SCRYPT_N} to ${MAX_SCRYPT_N} (make one with: fsrecd passwd NAME)` : 'a password is at least 8 characters';
      issues.push({ file, line: l.no, column: col + first + 1, message });
      continue;
    }
    if (into.users.has(name)) issues.push({ file, line: l.no, column: col, message: `user ${name} is listed twice` });
    into.users.set(name, { principal: { name, tenant, role }, secret, fingerprint: sha256(`user\0${name}\0${secret}\0${tenant ?? ''}${roleMark(role)}`) });
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
