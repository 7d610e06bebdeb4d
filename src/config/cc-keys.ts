/**
 * The keys of `queues:` and `agents:` (mod_callcenter). mod_callcenter names a queue `support@default`
 * (queue@domain, as callcenter.conf.xml configures it) and an agent `1001@default`; the YAML may say either
 * the full name or the bare one. How a channel's name is matched against these keys is
 * src/policy/cc-lookup.ts; this file decides what a key is and refuses two keys that would be one.
 */
import type { Reader } from './reader';

/** How keys and channel names are compared: surrounding blanks dropped, case folded. */
export function normalizeCcKey(key: string): string {
  return key.trim().toLowerCase();
}

/** Why a YAML key cannot name a queue or agent, or undefined when it can: `name` or `name@domain`. */
export function ccKeyProblem(key: string): string | undefined {
  const k = key.trim();
  if (k === '') return 'an empty name';
  const parts = k.split('@');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) return 'expected "name" or "name@domain" (one @, text on both sides)';
  return undefined;
}

/**
 * The entries keyed by their normalised key, for lookups. A key that is not `name` or `name@domain`, or
 * two keys that are the same once normalised (`Support` and `support `), are located errors at the key:
 * which one a call would match would otherwise depend on the order of the file.
 */
export function indexCcEntries<T>(r: Reader, path: readonly string[], entries: Map<string, T>, what: 'queue' | 'agent'): Map<string, T> {
  const out = new Map<string, T>();
  const firstKey = new Map<string, string>();
  for (const [key, value] of entries) {
    const problem = ccKeyProblem(key);
    if (problem) {
      r.keyError([...path, key], `not a ${what} name: ${problem}`);
      continue;
    }
    const norm = normalizeCcKey(key);
    const earlier = firstKey.get(norm);
    if (earlier !== undefined) {
      r.keyError([...path, key], `the same ${what} as "${earlier}" (keys are compared without case and surrounding blanks): keep one`);
      continue;
    }
    firstKey.set(norm, key);
    out.set(norm, value);
  }
  return out;
}
