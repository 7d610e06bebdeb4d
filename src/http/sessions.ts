/**
 * The page's login sessions, in memory (a restart logs everyone out). A session remembers which
 * credential opened it and that credential's fingerprint at the time; whoever asks for a session
 * passes what the credential looks like now, so a revoked token, a removed user or a changed password
 * ends every session it opened.
 */
import { randomBytes } from 'node:crypto';

/** Which credential a session came from: a token (by its hash) or a user (by name). */
export type CredentialRef = { kind: 'token'; hash: string } | { kind: 'user'; name: string };

export interface Session {
  ref: CredentialRef;
  fingerprint: string;
  expires: number;
}

/** The credential's current fingerprint, or undefined when it is gone. */
export type CurrentFingerprint = (ref: CredentialRef) => string | undefined;

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly ttlMs: number,
    private readonly maxSessions: number,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  open(ref: CredentialRef, fingerprint: string, now: number): string {
    if (this.#sessions.size >= this.maxSessions) {
      for (const [id, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(id);
      // Still full: the oldest session goes (Map order is creation order).
      if (this.#sessions.size >= this.maxSessions) this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { ref, fingerprint, expires: now + this.ttlMs });
    return id;
  }

  /** The live session `id` whose credential is unchanged; an expired or orphaned one is dropped. */
  get(id: string, now: number, current: CurrentFingerprint): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= now || current(s.ref) !== s.fingerprint) {
      this.#sessions.delete(id);
      return undefined;
    }
    return s;
  }

  drop(id: string): void {
    this.#sessions.delete(id);
  }

  /** After the credentials files changed: the sessions of changed or removed credentials end now. */
  dropOrphans(current: CurrentFingerprint): number {
    let dropped = 0;
    for (const [id, s] of this.#sessions) {
      if (current(s.ref) !== s.fingerprint) {
        this.#sessions.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
}
