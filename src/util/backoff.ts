/**
 * Capped exponential backoff with full jitter, for every retry in fsrecd (ESL reconnects, uploads, journal
 * writes): a random wait up to min * 2^attempt, capped at max and never below min, so the retries of many
 * daemons (or many recordings) after one outage spread out instead of arriving together.
 */

/** The wait before retry number `attempt` (0 = the first retry). */
export function retryDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs, Math.floor(random() * ceiling));
}

/** The same, counting the attempts itself (one connection's reconnects). */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const delay = retryDelay(this.#attempt, this.minMs, this.maxMs, this.random);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return delay;
  }

  /** The longest wait: used after a refused password, where trying faster cannot help. */
  max(): number {
    return this.maxMs;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
