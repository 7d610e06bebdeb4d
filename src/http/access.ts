/**
 * Decides who a request is: a bearer token, basic-auth credentials, or the session cookie the web page
 * got by logging in with either. Credentials files are re-read when they change; a bad edit keeps the
 * last good set and says why in the log. A session lasts only while the credential that opened it is
 * unchanged. Password checks run off the event loop and are throttled per client address and user name;
 * token checks are not (a token is 20+ random characters, looked up by its hash, no scrypt to exhaust).
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log';
import { throttleAddress } from './client-address';
import { emptyCredentials, parseTokens, parseUsers, sha256, type CredentialIssue, type Credentials, type Principal, type UserEntry } from '../config/credentials-file';
import { LoginThrottle, DEFAULT_THROTTLE, type ThrottleLimits } from './login-throttle';
import { decoyCost, PasswordCheck, scryptHasher, type Hasher } from './password-check';
import { SessionStore, type CredentialRef } from './sessions';

export const SESSION_COOKIE = 'fsrecd_session';
const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 10_000;
/** A verified basic-auth pair is remembered this long: scrypt per request would make seeking audio crawl. */
const VERIFIED_MS = 5 * 60_000;
/** User names are at most 64 characters; a longer one is counted by its start (it cannot exist anyway). */
const THROTTLE_NAME_LENGTH = 100;

export interface AccessFiles {
  tokensFile?: string;
  usersFile?: string;
}

export interface AccessOptions {
  now?: () => number;
  /** The password hash function (scrypt in the thread pool); tests count and time its calls. */
  hasher?: Hasher;
  throttle?: ThrottleLimits;
}

export interface LoginRequest {
  token?: string;
  user?: string;
  password?: string;
}

export type Verdict = { kind: 'ok'; principal: Principal } | { kind: 'refused' } | { kind: 'throttled'; retryAfterSeconds: number };
export type LoginVerdict = { kind: 'ok'; principal: Principal; sessionId: string } | { kind: 'refused' } | { kind: 'throttled'; retryAfterSeconds: number };

/** A credential that checked out, with what it looked like then (the session keeps both). */
interface Match {
  ref: CredentialRef;
  principal: Principal;
  fingerprint: string;
}

type Checked = { kind: 'ok'; match: Match } | { kind: 'refused' } | { kind: 'throttled'; retryAfterSeconds: number };

const REFUSED = { kind: 'refused' } as const;

export class Access {
  #creds: Credentials = emptyCredentials();
  #decoyN = 0;
  #stamp = '';
  #checkedAt = 0;
  readonly #sessions = new SessionStore(SESSION_MS, MAX_SESSIONS);
  /** sha256(user \0 password) -> the entry it matched, so a client sending basic auth each request pays scrypt once. */
  readonly #verified = new Map<string, { fingerprint: string; until: number }>();
  /** Checks under way, so parallel requests with the same pair share one scrypt and one charge. */
  readonly #inflight = new Map<string, Promise<UserEntry | undefined>>();
  readonly #now: () => number;
  readonly #passwords: PasswordCheck;
  readonly #throttle: LoginThrottle;

  constructor(
    private files: AccessFiles,
    private readonly log: Logger,
    opts: AccessOptions = {},
  ) {
    this.#now = opts.now ?? Date.now;
    this.#passwords = new PasswordCheck(opts.hasher ?? scryptHasher);
    this.#throttle = new LoginThrottle(opts.throttle ?? DEFAULT_THROTTLE);
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

  /** Live sessions, for tests that a revoked credential's sessions are gone. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  #refresh(force: boolean): void {
    const t = this.#now();
    if (!force && t - this.#checkedAt < 1000) return;
    this.#checkedAt = t;
    const paths = [this.files.tokensFile, this.files.usersFile];
    const stamp = paths.map((p) => (p ? `${p}:${fileStamp(p)}` : '')).join('|');
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
    this.#decoyN = decoyCost(next.users.values());
    this.#verified.clear();
    const ended = this.#sessions.dropOrphans((ref) => this.#current(ref)?.fingerprint);
    this.log.info('HTTP credentials loaded', { tokens: next.tokens.size, users: next.users.size, sessionsEnded: ended });
  }

  /** The credential as the files say now, or undefined when it is gone. */
  #current(ref: CredentialRef): { principal: Principal; fingerprint: string } | undefined {
    return ref.kind === 'token' ? this.#creds.tokens.get(ref.hash) : this.#creds.users.get(ref.name);
  }

  #byToken(token: string): Match | undefined {
    const hash = sha256(token);
    const e = this.#creds.tokens.get(hash);
    return e && { ref: { kind: 'token', hash }, principal: e.principal, fingerprint: e.fingerprint };
  }

  async #byPassword(user: string, password: string, from: string | undefined): Promise<Checked> {
    const now = this.#now();
    const admitted = this.#throttle.admit(throttleAddress(from), user.slice(0, THROTTLE_NAME_LENGTH), now);
    if (!admitted.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000));
      if (admitted.firstRefusal) this.log.warn('HTTP password checks throttled after repeated failures', { for: admitted.key, from: from ?? 'unknown', retryAfterSeconds });
      return { kind: 'throttled', retryAfterSeconds };
    }
    const cacheKey = sha256(`${user}\0${password}`);
    const hit = this.#verified.get(cacheKey);
    const entry = this.#creds.users.get(user);
    if (hit && hit.until > now && entry?.fingerprint === hit.fingerprint) {
      admitted.refund();
      return { kind: 'ok', match: userMatch(entry) };
    }
    let check = this.#inflight.get(cacheKey);
    if (check) {
      // The same guess is already being checked and charged: this copy costs nothing more.
      admitted.refund();
    } else {
      check = this.#passwords.verify(entry, password, this.#decoyN).then((ok) => (ok ? entry : undefined));
      this.#inflight.set(cacheKey, check);
      void check.finally(() => this.#inflight.delete(cacheKey)).catch(() => undefined);
    }
    const matched = await check;
    if (!matched) return REFUSED;
    admitted.refund();
    if (this.#verified.size >= MAX_SESSIONS) this.#verified.clear();
    this.#verified.set(cacheKey, { fingerprint: matched.fingerprint, until: this.#now() + VERIFIED_MS });
    return { kind: 'ok', match: userMatch(matched) };
  }

  /** Who sent this request; `kind: 'throttled'` when its password may not be checked now. */
  async authenticate(req: IncomingMessage): Promise<Verdict> {
    this.#refresh(false);
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer) return verdict(this.#byToken(bearer[1] as string));
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    if (basic) {
      const pair = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const i = pair.indexOf(':');
      if (i <= 0) return REFUSED;
      const checked = await this.#byPassword(pair.slice(0, i), pair.slice(i + 1), req.socket?.remoteAddress);
      return checked.kind === 'ok' ? { kind: 'ok', principal: checked.match.principal } : checked;
    }
    const sid = cookie(req.headers.cookie ?? '', SESSION_COOKIE);
    if (!sid) return REFUSED;
    const s = this.#sessions.get(sid, this.#now(), (ref) => this.#current(ref)?.fingerprint);
    const now = s && this.#current(s.ref);
    return now ? { kind: 'ok', principal: now.principal } : REFUSED;
  }

  /** Checks what the login form sent (from the client address `from`); on success a session id for the cookie. */
  async login(req: LoginRequest, from: string | undefined): Promise<LoginVerdict> {
    this.#refresh(false);
    let checked: Checked = REFUSED;
    if (req.token) {
      const m = this.#byToken(req.token);
      if (m) checked = { kind: 'ok', match: m };
    } else if (req.user && req.password) {
      checked = await this.#byPassword(req.user, req.password, from);
    }
    if (checked.kind !== 'ok') return checked;
    const { ref, principal, fingerprint } = checked.match;
    return { kind: 'ok', principal, sessionId: this.#sessions.open(ref, fingerprint, this.#now()) };
  }

  logout(req: IncomingMessage): void {
    const sid = cookie(req.headers.cookie ?? '', SESSION_COOKIE);
    if (sid) this.#sessions.drop(sid);
  }

  static sessionCookie(sessionId: string): string {
    return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
  }

  static clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function userMatch(e: UserEntry): Match {
  return { ref: { kind: 'user', name: e.principal.name }, principal: e.principal, fingerprint: e.fingerprint };
}

function verdict(m: Match | undefined): Verdict {
  return m ? { kind: 'ok', principal: m.principal } : REFUSED;
}

/** Changes whenever a file is edited in place or replaced (mtime alone can miss two edits in one tick). */
function fileStamp(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.mtimeMs}:${st.size}:${st.ino}` : 'missing';
}

function cookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
