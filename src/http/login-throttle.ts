/**
 * Failed password checks, counted per key ("address 192.0.2.7", "user ops") in a fixed window that
 * opens at a key's first failure. Once a key has used its budget, every password check for it is
 * refused until the window ends — the right password too, or guessing would simply go on. A check
 * is charged before its (slow) hash runs, so a burst of parallel guesses cannot all slip through
 * before the first one fails, and refunded when it succeeds: good logins cost nothing.
 *
 * Pure bookkeeping: the clock is passed in, nothing is logged here (the verdict says when to log).
 */

export interface ThrottleRule {
  /** Failures allowed per window; the next check is refused. */
  limit: number;
  windowMs: number;
}

export interface ThrottleLimits {
  perAddress: ThrottleRule;
  perUser: ThrottleRule;
  /** Keys remembered per kind; past this, finished windows and keys under their limit go first. */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = {
  perAddress: { limit: 20, windowMs: 5 * 60_000 },
  perUser: { limit: 5, windowMs: 5 * 60_000 },
  maxKeys: 10_000,
};

interface Window {
  start: number;
  failures: number;
  /** The refusal of this window has been reported (logged) once already. */
  reported: boolean;
}

export type ThrottleVerdict =
  /** Call refund() when the password turns out right. */
  | { allowed: true; refund: () => void }
  | { allowed: false; retryAfterMs: number; key: string; firstRefusal: boolean };

/** One kind of key (addresses or user names) with its rule, bounded in size. */
class KeyTable {
  readonly #windows = new Map<string, Window>();

  constructor(
    readonly rule: ThrottleRule,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.#windows.size;
  }

  /** The key's window if one is still open at `now`. */
  open(key: string, now: number): Window | undefined {
    const w = this.#windows.get(key);
    if (w && now - w.start >= this.rule.windowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  charge(key: string, now: number): Window {
    let w = this.open(key, now);
    if (!w) {
      if (this.#windows.size >= this.maxKeys) this.#evict(now);
      w = { start: now, failures: 0, reported: false };
      this.#windows.set(key, w);
    }
    w.failures++;
    return w;
  }

  refund(key: string, start: number): void {
    const w = this.#windows.get(key);
    // Only the window that was charged: a newer one never saw this check.
    if (w && w.start === start) {
      w.failures--;
      if (w.failures <= 0) this.#windows.delete(key);
    }
  }

  /**
   * A spray of random names or addresses must neither grow memory nor push a locked key out: finished
   * windows and keys under their limit are dropped first, then (only when every key is locked) the
   * oldest locked ones.
   */
  #evict(now: number): void {
    for (const [k, w] of this.#windows) {
      if (now - w.start >= this.rule.windowMs || w.failures < this.rule.limit) this.#windows.delete(k);
    }
    for (const k of this.#windows.keys()) {
      if (this.#windows.size < this.maxKeys) break;
      this.#windows.delete(k);
    }
  }
}

export class LoginThrottle {
  readonly #addresses: KeyTable;
  readonly #users: KeyTable;

  constructor(limits: ThrottleLimits = DEFAULT_THROTTLE) {
    this.#addresses = new KeyTable(limits.perAddress, limits.maxKeys);
    this.#users = new KeyTable(limits.perUser, limits.maxKeys);
  }

  /** Keys currently remembered (addresses, users): for tests of the bound. */
  get sizes(): { addresses: number; users: number } {
    return { addresses: this.#addresses.size, users: this.#users.size };
  }

  /** Admits a password check from `address` for `user` (charging both), or says how long to wait. */
  admit(address: string, user: string, now: number): ThrottleVerdict {
    const keys = [
      { table: this.#addresses, key: `address ${address}` },
      { table: this.#users, key: `user ${user}` },
    ];
    for (const { table, key } of keys) {
      const w = table.open(key, now);
      if (w && w.failures >= table.rule.limit) {
        const firstRefusal = !w.reported;
        w.reported = true;
        return { allowed: false, retryAfterMs: w.start + table.rule.windowMs - now, key, firstRefusal };
      }
    }
    const charged = keys.map(({ table, key }) => ({ table, key, start: table.charge(key, now).start }));
    return { allowed: true, refund: () => charged.forEach(({ table, key, start }) => table.refund(key, start)) };
  }
}
