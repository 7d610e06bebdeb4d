/**
 * Which `queues:` / `agents:` entry applies to a mod_callcenter name. A channel says `support@default`
 * (queue@domain); the YAML may say `support@default` or `support`. The rule, unambiguous by construction:
 *   1. the key equal to the whole name applies;
 *   2. else the bare key (the name before its `@`) applies, whatever the domain;
 *   3. else none.
 * So with both `support` and `support@default` in the YAML, `support@default` gets its own entry and
 * `support@other` the bare one. Keys and names compare without case and surrounding blanks; two YAML keys
 * that would be the same that way are refused by check-config (src/config/cc-keys.ts). Map lookups only.
 */
import { normalizeCcKey } from '../config/cc-keys';

export interface CcMatch<T> {
  rule: T;
  /** Which key matched: the whole name, or only the part before `@`. */
  by: 'exact' | 'bare';
}

/** The keys to try, most specific first: the whole name, then (if it has a domain) the bare name. */
export function ccLookupKeys(name: string): string[] {
  const whole = normalizeCcKey(name);
  if (whole === '') return [];
  const at = whole.indexOf('@');
  const bare = at > 0 ? whole.slice(0, at).trim() : '';
  return bare !== '' && bare !== whole ? [whole, bare] : [whole];
}

/** The rule for a queue or agent name (rules keyed by normalizeCcKey), or undefined. */
export function findCcRule<T>(rules: ReadonlyMap<string, T>, name: string | undefined): CcMatch<T> | undefined {
  if (name === undefined) return undefined;
  const [whole, bare] = ccLookupKeys(name);
  const exact = whole === undefined ? undefined : rules.get(whole);
  if (exact !== undefined) return { rule: exact, by: 'exact' };
  const loose = bare === undefined ? undefined : rules.get(bare);
  return loose !== undefined ? { rule: loose, by: 'bare' } : undefined;
}
