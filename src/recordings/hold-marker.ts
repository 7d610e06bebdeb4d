/**
 * The legal hold marker: a small JSON object `<key>.hold.json` beside a held recording, so the retention
 * enforcer of another node sharing the bucket (its own index knows nothing of this node's holds) and a
 * reindex see the hold. It ends in .json, so reindex (and an older fsrecd's) never takes it for a recording.
 */
import type { LegalHold } from './types';

const SUFFIX = '.hold.json';

export function holdMarkerKey(key: string): string {
  return `${key}${SUFFIX}`;
}

export function isHoldMarker(key: string): boolean {
  return key.endsWith(SUFFIX);
}

/** The recording id and hold a marker names, if it is one. */
export function holdFromMarker(v: unknown): { id: string; hold: LegalHold } | undefined {
  const m = v as Record<string, unknown> | null | undefined;
  if (!m || typeof m.id !== 'string' || typeof m.reason !== 'string' || typeof m.by !== 'string' || typeof m.at !== 'string') return undefined;
  return { id: m.id, hold: { reason: m.reason, by: m.by, at: m.at, objectLock: m.objectLock === true } };
}
