/**
 * The webhook signature, in Stripe's scheme: `X-Fsrecd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with the hook's secret>`. The receiver recomputes it over the raw body, compares in
 * constant time, and refuses a timestamp outside its window (a captured request replayed later fails).
 * `verifySignature` is what a Node receiver runs (the README shows it); fsrecd's tests use it too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Fsrecd-Signature';
export const DELIVERY_HEADER = 'X-Fsrecd-Delivery';
/** The replay window the README recommends: 5 minutes either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type Verdict = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Checks a header against the raw body: the signature, then the timestamp against the window. */
export function verifySignature(header: string | undefined, body: string, secret: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): Verdict {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const k = item.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return { ok: false, reason: 'no timestamp' };
  const want = Buffer.from(hmacHex(secret, t, body), 'hex');
  // Several v1 values may come while a secret is being rotated; any match is enough.
  const match = (parts.get('v1') ?? []).some((v) => {
    const got = Buffer.from(v, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  });
  if (!match) return { ok: false, reason: 'signature does not match' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: `timestamp ${t} is outside the ${toleranceSeconds} s window` };
  return { ok: true, timestamp: t };
}
