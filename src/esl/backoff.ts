/** Capped exponential backoff with full jitter: reconnect storms from many daemons spread out. */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.max(this.minMs, Math.floor(this.random() * ceiling));
  }

  /** The longest wait: used after a refused password, where trying faster cannot help. */
  max(): number {
    return this.maxMs;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
