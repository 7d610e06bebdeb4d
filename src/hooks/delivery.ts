/**
 * One delivery: one recording's description for one hook, as the hooks journal holds it, and the pure
 * decisions about it: which recordings a hook wants, what an attempt's result means, when to try again.
 */
import { createHash } from 'node:crypto';
import type { HookConfig } from '../config/hooks';
import { retryDelay } from '../util/backoff';
import type { RecordingDescription } from './payload';

/**
 * pending: to be delivered (now or at nextAttemptAt). failed: refused for good or out of time; kept and
 * shown until `fsrecd hooks retry`. delivered: kept as a small record so a restart does not deliver again
 * what it finds stored in the journal (removed once the journal forgets the recording).
 */
export type DeliveryState = 'pending' | 'failed' | 'delivered';

export interface Delivery {
  id: string;
  hook: string;
  event: 'stored';
  recordingId: string;
  state: DeliveryState;
  createdAt: string;
  /** The max_age_hours window runs from here: the creation, or the last `fsrecd hooks retry`. */
  windowFrom: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  /** When it became delivered or failed. */
  settledAt?: string;
  recording: RecordingDescription;
}

/** The same for a hook, event and recording whoever computes it: a restart recreating it finds the same file. */
export function deliveryId(hook: string, event: string, recordingId: string): string {
  return createHash('sha256').update(`${hook}\0${event}\0${recordingId}`).digest('hex').slice(0, 32);
}

export function wants(hook: HookConfig, event: 'stored', tenant: string): boolean {
  return hook.events.includes(event) && (hook.tenants === undefined || hook.tenants.includes(tenant));
}

/** What one attempt came to. */
export type AttemptResult =
  | { kind: 'delivered'; detail: string }
  /** Try again later (a network error, a timeout, 5xx, 408, 429, a command's non-zero exit). */
  | { kind: 'retry'; detail: string; retryAfterMs?: number }
  /** Trying again cannot help (4xx, a redirect): failed at once, until an operator retries it. */
  | { kind: 'refused'; detail: string };

/** An HTTP status: 2xx delivered; 408, 429 and 5xx retried; a redirect and any other 4xx refused. */
export function classifyStatus(status: number, retryAfter?: string | null): AttemptResult {
  if (status >= 200 && status < 300) return { kind: 'delivered', detail: `HTTP ${status}` };
  if (status === 408 || status === 429 || status >= 500) {
    const seconds = retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
    return { kind: 'retry', detail: `HTTP ${status}`, retryAfterMs: seconds === undefined ? undefined : seconds * 1000 };
  }
  if (status >= 300 && status < 400) return { kind: 'refused', detail: `HTTP ${status}: fsrecd does not follow redirects (a signed body must not go elsewhere); configure the final URL` };
  return { kind: 'refused', detail: `HTTP ${status}: the receiver refused the delivery` };
}

/** After a failed attempt: when to try next, or undefined when the window is over (then it is failed). */
export function nextAttempt(d: Delivery, hook: HookConfig, result: AttemptResult, now: number, random: () => number = Math.random): number | undefined {
  if (result.kind !== 'retry') return undefined;
  const wait = Math.min(Math.max(retryDelay(Math.max(0, d.attempts - 1), hook.retryMinMs, hook.retryMaxMs, random), result.retryAfterMs ?? 0), hook.retryMaxMs);
  const deadline = (Date.parse(d.windowFrom) || now) + hook.maxAgeMs;
  return now >= deadline ? undefined : Math.min(now + wait, deadline);
}
