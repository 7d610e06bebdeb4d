/**
 * Decides who a request is: a bearer token, basic-auth credentials, or the session cookie the web page
 * got by logging in with either. Credentials files are re-read when they change; a bad edit keeps the
 * last good set and says why in the log.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log';
import { emptyCredentials, parseTokens, parseUsers, sha256, verifyPassword, type CredentialIssue, type Credentials, type Principal } from './credentials';

export const SESSION_COOKIE = 'fsrecd_session';
const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 10_000;
/** A verified basic-auth pair is remembered this long: scrypt per request would make seeking audio crawl. */
const VERIFIED_MS = 5 * 60_000;

export interface AccessFiles {
  tokensFile?: string;
  usersFile?: string;
}

export interface LoginRequest {
  token?: string;
  user?: string;
  password?: string;
}

export class Access {
  #creds: Credentials = emptyCredentials();
  #stamp = '';
  #checkedAt = 0;
  readonly #sessions = new Map<string, { principal: Principal; expires: number }>();
  readonly #verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private files: AccessFiles,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#refresh(true);
  }

  /** After a config reload: other files may be named now. */
  setFiles(files: AccessFiles): void {
    this.files = files;
    this.#refresh(true);
  }

  /** True when nobody could ever log in: the API then says so instead of a bare 401. */
  get empty(): boolean {
    this.#refresh(false);
    return this.#creds.tokens.size === 0 && this.#creds.users.size === 0;
  }

  #refresh(force: boolean): void {
    const t = this.now();
    if (!force && t - this.#checkedAt < 1000) return;
    this.#checkedAt = t;
    const paths = [this.files.tokensFile, this.files.usersFile];
    const stamp = paths.map((p) => (p ? `${p}:${statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 'missing'}` : '')).join('|');
    if (!force && stamp === this.#stamp) return;
    this.#stamp = stamp;
    const next = emptyCredentials();
    const issues: CredentialIssue[] = [];
    try {
      if (this.files.tokensFile) parseTokens(readFileSync(this.files.tokensFile, 'utf8'), this.files.tokensFile, next, issues);
      if (this.files.usersFile) parseUsers(readFileSync(this.files.usersFile, 'utf8'), this.files.usersFile, next, issues);
    } catch (err) {
      this.log.error('credentials file unreadable; keeping the previous credentials', { error: String(err) });
      return;
    }
    if (issues.length) {
      for (const i of issues) this.log.error('credentials file has a mistake; keeping the previous credentials', { at: `${i.file}:${i.line}:${i.column}`, error: i.message });
      return;
    }
    this.#creds = next;
    this.#verified.clear();
    this.log.info('HTTP credentials loaded', { tokens: next.tokens.size, users: next.users.size });
  }

  #byToken(token: string): Principal | undefined {
    return this.#creds.tokens.get(sha256(token));
  }

  #byPassword(user: string, password: string): Principal | undefined {
    const cacheKey = sha256(`${user}\0${password}`);
    const hit = this.#verified.get(cacheKey);
    if (hit && hit.until > this.now()) return hit.principal;
    const entry = this.#creds.users.get(user);
    if (!entry || !verifyPassword(password, entry.secret)) return undefined;
    if (this.#verified.size > MAX_SESSIONS) this.#verified.clear();
    this.#verified.set(cacheKey, { principal: entry.principal, until: this.now() + VERIFIED_MS });
    return entry.principal;
  }

  authenticate(req: IncomingMessage): Principal | undefined {
    this.#refresh(false);
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer) return this.#byToken(bearer[1] as string);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    if (basic) {
      const pair = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const i = pair.indexOf(':');
      return i > 0 ? this.#byPassword(pair.slice(0, i), pair.slice(i + 1)) : undefined;
    }
    const sid = cookie(req.headers.cookie ?? '', SESSION_COOKIE);
    if (!sid) return undefined;
    const s = this.#sessions.get(sid);
    if (!s || s.expires <= this.now()) {
      this.#sessions.delete(sid);
      return undefined;
    }
    // A session outlives neither its credential's removal nor a change of its tenant.
    if (!this.#stillValid(s.principal)) return undefined;
    return s.principal;
  }

  #stillValid(p: Principal): boolean {
    for (const t of this.#creds.tokens.values()) if (t.name === p.name && t.tenant === p.tenant) return true;
    const u = this.#creds.users.get(p.name);
    return u !== undefined && u.principal.tenant === p.tenant;
  }

  /** Checks what the login form sent; on success a session id for the cookie. */
  login(req: LoginRequest): { sessionId: string; principal: Principal } | undefined {
    this.#refresh(false);
    const principal = req.token ? this.#byToken(req.token) : req.user && req.password ? this.#byPassword(req.user, req.password) : undefined;
    if (!principal) return undefined;
    if (this.#sessions.size >= MAX_SESSIONS) {
      const t = this.now();
      for (const [k, v] of this.#sessions) if (v.expires <= t) this.#sessions.delete(k);
      if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
    const sessionId = randomBytes(32).toString('base64url');
    this.#sessions.set(sessionId, { principal, expires: this.now() + SESSION_MS });
    return { sessionId, principal };
  }

  logout(req: IncomingMessage): void {
    const sid = cookie(req.headers.cookie ?? '', SESSION_COOKIE);
    if (sid) this.#sessions.delete(sid);
  }

  static sessionCookie(sessionId: string): string {
    return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
  }

  static clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function cookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
