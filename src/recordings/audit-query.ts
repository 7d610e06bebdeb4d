/**
 * GET /api/audit's parameters read into an AuditQuery, rejecting what it does not understand with a
 * message that names the parameter (as the recordings list does), so a typo never widens what is shown.
 * Pure: the tenant limit of the credential is applied by the route.
 */
import { AUDIT_ACTIONS, type AuditAction, type AuditQuery } from './types';
import { isRecordingId, oneOf, pageLimit, parseTime, QueryError, text } from './query';

export const AUDIT_PARAMS = ['from', 'to', 'action', 'recording', 'actor', 'tenant', 'limit', 'before'] as const;
const DEFAULT_LIMIT = 50;

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
        q.action = oneOf<AuditAction>(name, v, AUDIT_ACTIONS);
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
      case 'limit':
        q.limit = pageLimit(v);
        break;
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
