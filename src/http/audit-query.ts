/**
 * GET /api/audit's parameters read into an AuditQuery, rejecting what it does not understand with a
 * message that names the parameter (as the recordings list does), so a typo never widens what is shown.
 * Pure: the tenant limit of the credential is applied by the route.
 */
import { AUDIT_ACTIONS, type AuditAction, type AuditQuery } from '../recordings/types';
import { isRecordingId, parseTime, QueryError } from '../recordings/query';

export const AUDIT_PARAMS = ['from', 'to', 'action', 'recording', 'actor', 'tenant', 'limit', 'before'] as const;
const DEFAULT_LIMIT = 50;

function text(param: string, v: string): string {
  if (v.length > 200) throw new QueryError(`${param}: at most 200 characters`);
  return v;
}

/** Empty values are ignored (an HTML form sends every field); unknown parameters are errors. */
export function parseAuditQuery(params: Iterable<[string, string]>, now: number): AuditQuery {
  const q: AuditQuery = { limit: DEFAULT_LIMIT };
  for (const [name, raw] of params) {
    const v = raw.trim();
    if (v === '') continue;
    switch (name as (typeof AUDIT_PARAMS)[number]) {
      case 'from':
        q.fromMs = parseTime(name, v, now);
        break;
      case 'to':
        q.toMs = parseTime(name, v, now);
        break;
      case 'action':
        if (!(AUDIT_ACTIONS as readonly string[]).includes(v)) throw new QueryError(`action: expected one of ${AUDIT_ACTIONS.join(', ')}, got ${JSON.stringify(v.slice(0, 60))}`);
        q.action = v as AuditAction;
        break;
      case 'recording':
        if (!isRecordingId(v)) throw new QueryError(`recording: not a recording id ${JSON.stringify(v.slice(0, 60))}`);
        q.recordingId = v;
        break;
      case 'actor':
        q.actor = text(name, v);
        break;
      case 'tenant':
        q.tenant = text(name, v);
        break;
      case 'limit': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new QueryError(`limit: expected a whole number from 1 to 1000, got ${JSON.stringify(v.slice(0, 60))}`);
        q.limit = n;
        break;
      }
      case 'before':
        // Opaque to this side: the service that handed it out checks it; only its size is bounded here.
        q.before = text(name, v);
        break;
      default:
        throw new QueryError(`unknown parameter ${JSON.stringify(name.slice(0, 60))} (known: ${AUDIT_PARAMS.join(', ')})`);
    }
  }
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs >= q.toMs) throw new QueryError('from must be before to');
  return q;
}
