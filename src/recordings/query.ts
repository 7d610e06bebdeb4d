/**
 * Reads a recordings query from strings (CLI flags or URL parameters), rejecting anything it does not
 * understand with a message that names the parameter, so a typo never silently widens a search.
 */
import type { RecordingQuery, RecordingState, Trigger } from './types';

export const QUERY_PARAMS = ['from', 'to', 'direction', 'network', 'q', 'user', 'device', 'tenant', 'node', 'reason', 'trigger', 'state', 'conversation', 'queue', 'agent', 'limit', 'before'] as const;
export type QueryParam = (typeof QUERY_PARAMS)[number];

const STATES: readonly RecordingState[] = ['recording', 'finished', 'uploading', 'stored', 'failed', 'discarded', 'lost', 'deleted'];
const TRIGGERS: readonly Trigger[] = ['rule', 'on-demand', 'adopted'];
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class QueryError extends Error {}

/**
 * An ISO date or date-time (a date alone is midnight UTC; a time without a zone is UTC), or an age such as
 * 30m, 12h, 7d, 2w counted back from now.
 */
export function parseTime(param: string, v: string, now: number): number {
  const age = /^(\d{1,6})([mhdw])$/.exec(v.trim());
  if (age) return now - Number(age[1]) * (UNITS[age[2] as string] as number);
  const s = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) {
    throw new QueryError(`${param}: expected a date (2026-11-24), a date-time (2026-11-24T08:30) or an age (30m, 12h, 7d), got ${JSON.stringify(v)}`);
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) && s.length > 10;
  const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : hasZone ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new QueryError(`${param}: not a valid date ${JSON.stringify(v)}`);
  return ms;
}

/** One of `allowed`, else a QueryError naming the parameter (the recordings list and the audit trail share these). */
export function oneOf<T extends string>(param: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new QueryError(`${param}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v.slice(0, 60))}`);
  return v as T;
}

export function pageLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new QueryError(`limit: expected a whole number from 1 to 1000, got ${JSON.stringify(v.slice(0, 60))}`);
  return n;
}

export function text(param: string, v: string): string {
  if (v.length > 200) throw new QueryError(`${param}: at most 200 characters`);
  return v;
}

/** Empty values are ignored (an HTML form sends every field). Unknown parameters are errors. */
export function parseQuery(params: Iterable<[string, string]>, now: number, defaultLimit = 50): RecordingQuery {
  const q: RecordingQuery = { limit: defaultLimit };
  for (const [name, raw] of params) {
    const v = raw.trim();
    if (v === '') continue;
    switch (name as QueryParam) {
      case 'from':
        q.fromMs = parseTime(name, v, now);
        break;
      case 'to':
        q.toMs = parseTime(name, v, now);
        break;
      case 'direction':
        q.direction = oneOf(name, v, ['inbound', 'outbound'] as const);
        break;
      case 'network':
        q.network = oneOf(name, v, ['internal', 'external'] as const);
        break;
      case 'q':
        q.text = text(name, v);
        break;
      case 'user':
        q.user = text(name, v);
        break;
      case 'device':
        q.device = text(name, v);
        break;
      case 'tenant':
        q.tenant = text(name, v);
        break;
      case 'node':
        q.node = text(name, v);
        break;
      case 'reason':
        q.reason = text(name, v);
        break;
      case 'conversation':
        if (!isRecordingId(v)) throw new QueryError(`conversation: not a conversation id ${JSON.stringify(v.slice(0, 60))}`);
        q.conversation = v;
        break;
      case 'queue':
        q.queue = text(name, v);
        break;
      case 'agent':
        q.agent = text(name, v);
        break;
      case 'trigger':
        q.trigger = oneOf(name, v, TRIGGERS);
        break;
      case 'state':
        q.state = oneOf(name, v, STATES);
        break;
      case 'limit':
        q.limit = pageLimit(v);
        break;
      case 'before':
        if (!/^\d{1,15}:\d{1,15}$/.test(v)) throw new QueryError('before: not a cursor this server handed out');
        q.before = v;
        break;
      default:
        throw new QueryError(`unknown parameter ${JSON.stringify(name)} (known: ${QUERY_PARAMS.join(', ')})`);
    }
  }
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs >= q.toMs) throw new QueryError('from must be before to');
  return q;
}

/**
 * Recording ids as the index hands them out: no slashes, no dots at the start, nothing to traverse with.
 * Conversation ids (a call uuid) have the same shape and are checked the same way.
 */
export function isRecordingId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(id) && !id.includes('..');
}
