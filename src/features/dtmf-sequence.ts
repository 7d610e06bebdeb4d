/**
 * Recognises feature codes (*3, *4…) in a leg's DTMF stream. Pure: time comes from the events' own
 * timestamps, so the inter-digit timeout needs no timers and tests are exact.
 */
interface LegDigits {
  digits: string;
  lastAtMs: number;
}

export class DtmfSequenceMatcher {
  readonly #legs = new Map<string, LegDigits>();

  constructor(
    private codes: readonly string[],
    private timeoutMs: number,
  ) {}

  reconfigure(codes: readonly string[], timeoutMs: number): void {
    this.codes = codes;
    this.timeoutMs = timeoutMs;
    this.#legs.clear();
  }

  /**
   * Feeds one digit; returns the code it completes, if any. A digit that continues no code resets the
   * sequence (and may start a new one, as a second `*` does); so does a gap longer than the timeout.
   */
  feed(legUuid: string, digit: string, atMs: number): string | undefined {
    const state = this.#legs.get(legUuid);
    const continuing = state && atMs - state.lastAtMs <= this.timeoutMs ? state.digits + digit : undefined;
    for (const candidate of continuing !== undefined ? [continuing, digit] : [digit]) {
      if (this.codes.includes(candidate)) {
        this.#legs.delete(legUuid);
        return candidate;
      }
      if (this.codes.some((code) => code.startsWith(candidate))) {
        this.#legs.set(legUuid, { digits: candidate, lastAtMs: atMs });
        return undefined;
      }
    }
    this.#legs.delete(legUuid);
    return undefined;
  }

  forget(legUuid: string): void {
    this.#legs.delete(legUuid);
  }

  get trackedLegs(): number {
    return this.#legs.size;
  }
}
