/** A source of uniform numbers in [0, 1), and the choices made from them. */
export abstract class Random {
  abstract next(): number;

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the names, each as likely as its weight (weights of 0 never win). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [name, w] of entries) {
      if (x < w) return name;
      x -= w;
    }
    return (entries.find(([, w]) => w > 0) as [K, number])[0];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
}

/**
 * A fixed number of draws taken from the run's PRNG for one step, whatever the step ends up needing: a step
 * whose choice depends on timing (which files the uploads already removed) cannot shift the steps after it.
 */
export class StepDraws extends Random {
  #i = 0;
  constructor(readonly values: readonly number[]) {
    super();
  }
  next(): number {
    const v = this.values[this.#i++ % this.values.length];
    return v as number;
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same steps, so a failing run replays. */
export class Prng extends Random {
  #state: number;

  constructor(readonly seed: number) {
    super();
    // Scrambled (splitmix32's finaliser), so neighbouring seeds do not start alike.
    let h = (seed ^ 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The next `n` draws, for one step. */
  draws(n: number): StepDraws {
    return new StepDraws(Array.from({ length: n }, () => this.next()));
  }
}
