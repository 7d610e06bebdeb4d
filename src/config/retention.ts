/**
 * The retention keys: `retention:` (default_days, interval, batch), `retention_days` on accounts, users and
 * queues, and storage.object_lock. A retention of 0, a negative or a fractional number of days is a located
 * error: deleting every recording at once, or at a time nobody meant, is not something to guess at.
 */
import type { Reader } from './reader';
import type { RetentionConfig } from './types';

/** 100 years: more is a typo, not a policy. */
const MAX_DAYS = 36_500;
const DEFAULT_INTERVAL_MS = 3_600_000;
const DEFAULT_BATCH = 1000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Days to keep, or undefined when the key is absent (inherit). */
export function readRetentionDays(r: Reader, path: string[], v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DAYS) {
    r.error(path, `a retention is a whole number of days from 1 to ${MAX_DAYS}, got ${JSON.stringify(v)} (leave the key out to inherit; with no rule anywhere recordings are kept forever)`);
    return undefined;
  }
  return v;
}

/** "1h", "30m", "90s", "1d", or a number of seconds; at least a second. */
export function parseInterval(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 7 * 86_400 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d{1,7})\s*([smhd]?)\s*$/.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] || 's'] as number);
  return ms >= 1000 && ms <= 7 * 86_400_000 ? ms : undefined;
}

export function readRetention(r: Reader, v: unknown): RetentionConfig {
  const o = r.map(['retention'], v, ['default_days', 'interval', 'batch']);
  let intervalMs = DEFAULT_INTERVAL_MS;
  if (o.interval !== undefined) {
    const ms = parseInterval(o.interval);
    if (ms === undefined) r.error(['retention', 'interval'], `how often to look for expired recordings: 1h, 30m, 90s, 1d or a number of seconds (at most 7 days), got ${JSON.stringify(o.interval)}`);
    else intervalMs = ms;
  }
  return {
    defaultDays: readRetentionDays(r, ['retention', 'default_days'], o.default_days),
    intervalMs,
    batch: r.integer(['retention', 'batch'], o.batch, DEFAULT_BATCH, 1, 100_000),
  };
}

export function readObjectLock(r: Reader, path: string[], v: unknown): 'auto' | 'require' | 'off' {
  return r.oneOf(path, v, ['auto', 'require', 'off'] as const, 'auto');
}
