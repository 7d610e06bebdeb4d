/**
 * Leg fields with few distinct values (contexts, domains, node names, gateways, devices, queues) held once
 * per value instead of once per leg: every header value read is a fresh string, and 10,000 live calls
 * otherwise keep 20,000 copies of "default". The pool only grows to POOL_MAX values (then a value is kept
 * as it is), so odd input cannot make it grow without bound.
 */
const POOL_MAX = 4096;
/** Longer values are rare repeats (and the pool's bound is in values, not bytes). */
const VALUE_MAX = 128;
const pool = new Map<string, string>();

export function sharedText(value: string): string;
export function sharedText(value: string | undefined): string | undefined;
export function sharedText(value: string | undefined): string | undefined {
  if (value === undefined || value.length > VALUE_MAX) return value;
  const known = pool.get(value);
  if (known !== undefined) return known;
  if (pool.size < POOL_MAX) pool.set(value, value);
  return value;
}
