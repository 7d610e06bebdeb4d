/**
 * A typed event bus: named events with typed arguments, between parts that never import each other
 * (zigbee2mqtt's eventBus shape). The event map is the caller's (src/bus.ts has the daemon's).
 *
 * Every listener is caught (docs/design.md section 9): a listener that throws, or returns a promise that
 * rejects, never reaches the emitter or the process (an unhandled rejection kills Node), and the listeners
 * after it still run. Each failure goes to the onError hook, which the daemon uses to count it and to log it
 * once per kind (`shouldLog`); without a hook the bus stays silent.
 */

/** Event name -> the listener's arguments. */
export type EventMap = { [name: string]: unknown[] };

/**
 * A listener may be async: the bus catches its rejection (return the promise; do not `void` it). Written as
 * a union so a plain listener whose body happens to yield a value (`(c) => set.delete(c.uuid)`) still fits.
 */
export type Listener<E extends EventMap, K extends keyof E> = ((...args: E[K]) => void) | ((...args: E[K]) => Promise<void>);

/** One listener failure, as handed to the onError hook. */
export interface ListenerFailure {
  /** The bus event whose listener failed, e.g. `recordStop`. */
  event: string;
  error: unknown;
  /** `sync` = the listener threw; `async` = the promise it returned rejected. */
  how: 'sync' | 'async';
  /** What the listener was given, bounded (≤ EXCERPT_MAX characters) and escaped: safe for one log line. */
  excerpt: string;
  /** Failures of this kind (event + error type + message) so far, this one included. */
  count: number;
  /** True for the first failure of a kind, and again once per relogAfterMs while it keeps happening. */
  shouldLog: boolean;
  /** Failures of this kind not logged since the last one that was. */
  suppressed: number;
}

export type FailureHandler = (failure: ListenerFailure) => void;

export interface BusOptions {
  onError?: FailureHandler;
  /** A kind already logged is logged again after this long (ms), with the count it suppressed. */
  relogAfterMs?: number;
  now?: () => number;
}

export const EXCERPT_MAX = 512;
/** Failure kinds remembered for rate limiting; past this, the oldest is forgotten (memory stays bounded). */
const KINDS_MAX = 1000;
/** Headers that say which event it was; a real event has ~200, and the excerpt has room for these. */
const EXCERPT_HEADERS = ['Unique-ID', 'Channel-Call-UUID', 'Record-File-Path', 'Event-Date-Timestamp', 'variable_record_completion_cause', 'variable_record_ms', 'variable_record_file_size', 'DTMF-Digit'];

/** Listeners of every event in one map: each is only ever called with its own event's arguments. */
type StoredListener = (...args: readonly unknown[]) => unknown;

interface KindState {
  count: number;
  loggedAt: number;
  suppressed: number;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** An ESL event, by its shape (this module knows no event socket). */
interface EventLike {
  name: string;
  get(header: string): string | undefined;
}

function isEslEvent(value: unknown): value is EventLike {
  return typeof value === 'object' && value !== null && typeof (value as EventLike).get === 'function' && typeof (value as EventLike).name === 'string';
}

function describe(value: unknown): string {
  if (isEslEvent(value)) {
    const parts = [`event=${JSON.stringify(clip(value.name, 64))}`];
    for (const h of EXCERPT_HEADERS) {
      const v = value.get(h);
      if (v !== undefined) parts.push(`${h}=${JSON.stringify(clip(v, 96))}`);
    }
    return parts.join(' ');
  }
  if (typeof value === 'object' && value !== null) {
    const o = value as { uuid?: unknown; legs?: unknown; callUuid?: unknown };
    if (typeof o.uuid === 'string') return `${o.legs instanceof Map ? 'call' : 'leg'}=${JSON.stringify(clip(o.uuid, 96))}`;
    if (Array.isArray(value)) return `[${value.length} items]`;
    return '{…}';
  }
  return JSON.stringify(typeof value === 'string' ? clip(value, 96) : value) ?? String(value);
}

/** A bounded, escaped one-line summary of a listener's arguments. */
export function excerptOf(args: readonly unknown[]): string {
  let text: string;
  try {
    text = args.map(describe).join(' ');
  } catch (err) {
    text = `(arguments could not be described: ${String(err)})`;
  }
  return clip(text, EXCERPT_MAX - 1);
}

function kindOf(event: string, error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return `${event}\u0000${name}\u0000${clip(message.split('\n', 1)[0] ?? '', 200)}`;
}

export class TypedBus<E extends EventMap> {
  readonly #listeners = new Map<PropertyKey, StoredListener[]>();
  readonly #kinds = new Map<string, KindState>();
  #onError: FailureHandler | undefined;
  readonly #relogAfterMs: number;
  readonly #now: () => number;
  #failures = 0;

  constructor(opts: BusOptions = {}) {
    this.#onError = opts.onError;
    this.#relogAfterMs = opts.relogAfterMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Sets (or replaces) the hook that hears of every listener failure. */
  onError(handler: FailureHandler): void {
    this.#onError = handler;
  }

  /** Listener failures since the bus was made. */
  get failureCount(): number {
    return this.#failures;
  }

  on<K extends keyof E>(name: K, listener: Listener<E, K>): void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener as unknown as StoredListener);
    this.#listeners.set(name, list);
  }

  /** Removes the most recently added registration of this listener (as EventEmitter does). */
  off<K extends keyof E>(name: K, listener: Listener<E, K>): void {
    const list = this.#listeners.get(name);
    if (!list) return;
    const at = list.lastIndexOf(listener as unknown as StoredListener);
    if (at >= 0) list.splice(at, 1);
  }

  /** Calls every listener in order; none of them can throw out of here, nor reject unhandled. */
  emit<K extends keyof E>(name: K, ...args: E[K]): void {
    const list = this.#listeners.get(name);
    if (!list || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        const result = listener(...args);
        if (typeof result === 'object' && result !== null && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (error: unknown) => this.#failed(name, error, 'async', args));
        }
      } catch (error) {
        this.#failed(name, error, 'sync', args);
      }
    }
  }

  #failed(event: keyof E, error: unknown, how: 'sync' | 'async', args: readonly unknown[]): void {
    this.#failures++;
    const key = kindOf(String(event), error);
    const now = this.#now();
    let kind = this.#kinds.get(key);
    let shouldLog = false;
    if (!kind) {
      if (this.#kinds.size >= KINDS_MAX) {
        const oldest = this.#kinds.keys().next().value;
        if (oldest !== undefined) this.#kinds.delete(oldest);
      }
      kind = { count: 0, loggedAt: now, suppressed: 0 };
      this.#kinds.set(key, kind);
      shouldLog = true;
    } else if (now - kind.loggedAt >= this.#relogAfterMs) {
      shouldLog = true;
    }
    kind.count++;
    const suppressed = kind.suppressed;
    if (shouldLog) {
      kind.loggedAt = now;
      kind.suppressed = 0;
    } else {
      kind.suppressed++;
    }
    const handler = this.#onError;
    if (!handler) return;
    try {
      handler({ event: String(event), error, how, excerpt: excerptOf(args), count: kind.count, shouldLog, suppressed: shouldLog ? suppressed : kind.suppressed });
    } catch {
      // The hook is the last line: a failing logger or metric must not turn one bad event into a crash.
    }
  }
}
