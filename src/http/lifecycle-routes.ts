/**
 * The routes that change a recording or read its trail, for admin credentials only: DELETE
 * /api/recordings/:id, POST and DELETE /api/recordings/:id/hold (each with a reason), and GET /api/audit.
 * And GET /api/me, which tells the page what the credential may do. Scoped like every recordings route:
 * another tenant's recording is "not found"; a tenant admin's audit trail is its tenant's. The lifecycle
 * service decides and audits each act; its refusals are answered with their own status and message.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../config/credentials-file';
import { LifecycleError } from '../lifecycle/types';
import { QueryError } from '../recordings/query';
import { actorOf } from './actor';
import { parseAuditQuery } from '../recordings/audit-query';
import { crossSiteWriteProblem } from './login-origin';
import { readReason } from './reason';
import { recordingIdOf, visible } from './recording-scope';
import { view, type RecordingsApi } from './recordings-routes';
import { sendError, sendJson } from './respond';

type Act = 'delete' | 'hold' | 'release';

/** DELETE /api/recordings/<id>, POST|DELETE /api/recordings/<id>/hold: which act a request is, if any. */
function actOf(method: string, path: string): { act: Act; segment: string } | undefined {
  const m = /^\/api\/recordings\/([^/]+)(\/hold)?$/.exec(path);
  if (!m) return undefined;
  const segment = m[1] as string;
  if (!m[2]) return method === 'DELETE' ? { act: 'delete', segment } : undefined;
  if (method === 'POST') return { act: 'hold', segment };
  if (method === 'DELETE') return { act: 'release', segment };
  return undefined;
}

/** True for the requests handleLifecycle answers that are not GET or HEAD (the listener lets them through). */
export function isLifecycleWrite(method: string, path: string): boolean {
  return actOf(method, path) !== undefined;
}

/** True for the paths handleLifecycle answers. */
export function isLifecycleRoute(method: string, path: string): boolean {
  return path === '/api/me' || path === '/api/audit' || isLifecycleWrite(method, path);
}

const NEEDS_ADMIN: Record<Act | 'audit', string> = {
  delete: 'deleting a recording',
  hold: 'a legal hold',
  release: 'releasing a legal hold',
  audit: 'the audit trail',
};

/** A reader asking to change something is refused here, before the service is asked; the log keeps the attempt. */
function refuseReader(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, who: Principal, what: Act | 'audit'): void {
  api.log.warn('HTTP request refused: needs an admin credential', { what, path: (req.url ?? '').split('?')[0], who: who.name, tenant: who.tenant ?? '*', from: actorOf(who, req).from });
  sendError(res, 403, `${NEEDS_ADMIN[what]} needs an admin credential; ${who.name} is a ${who.role} (role=admin in the tokens or users file)`);
}

/** A reader's attempt is always refused ('forbidden'); anything else from the service is a fault and goes up. */
function sendRefusalIfUnexpected(err: unknown): void {
  if (!(err instanceof LifecycleError)) throw err;
}

/** The service's refusal as the API answers it; anything else is not the client's doing and goes up. */
function sendRefusal(res: ServerResponse, err: unknown): void {
  if (err instanceof LifecycleError) return sendError(res, err.status, err.message);
  throw err;
}

export async function handleLifecycle(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, who: Principal, path: string, search: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  if (path === '/api/me') {
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    return sendJson(res, 200, { name: who.name, tenant: who.tenant ?? null, role: who.role });
  }
  if (path === '/api/audit') {
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    return audit(api, req, res, who, search);
  }
  const route = actOf(method, path);
  if (!route) return sendError(res, 404, 'no such resource');
  req.on('error', () => undefined);
  if (who.role !== 'admin') {
    req.resume();
    // The service refuses a reader before anything else and audits the attempt: a reader trying to delete
    // or hold is a fact the trail must keep, not only the log.
    const target = recordingIdOf(route.segment);
    if (!('problem' in target)) await api.lifecycle[route.act](target.id, actorOf(who, req), '').catch((err: unknown) => void sendRefusalIfUnexpected(err));
    return refuseReader(api, req, res, who, route.act);
  }
  const crossSite = crossSiteWriteProblem(req.headers);
  if (crossSite) {
    req.resume();
    return sendError(res, 403, crossSite);
  }
  const parsed = recordingIdOf(route.segment);
  if ('problem' in parsed) {
    req.resume();
    return sendError(res, 400, parsed.problem);
  }
  const reason = await readReason(req, search);
  if (!reason.ok) return sendError(res, reason.status, reason.message);
  const entry = await api.index.get(parsed.id);
  if (!visible(entry, who)) return sendError(res, 404, 'no such recording');
  const actor = actorOf(who, req);
  try {
    if (route.act === 'delete') await api.lifecycle.delete(entry.id, actor, reason.reason);
    else if (route.act === 'hold') await api.lifecycle.hold(entry.id, actor, reason.reason);
    else await api.lifecycle.release(entry.id, actor, reason.reason);
  } catch (err) {
    return sendRefusal(res, err);
  }
  // The recording as it is now: state 'deleted' with its tombstone, or with or without its hold.
  const now = (await api.index.get(entry.id)) ?? entry;
  sendJson(res, 200, await view(api, now, who));
}

async function audit(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, who: Principal, search: URLSearchParams): Promise<void> {
  if (who.role !== 'admin') return refuseReader(api, req, res, who, 'audit');
  let q;
  try {
    q = parseAuditQuery(search.entries(), Date.now());
  } catch (err) {
    if (err instanceof QueryError) return sendError(res, 400, err.message);
    throw err;
  }
  if (who.tenant !== undefined) {
    if (q.tenant !== undefined && q.tenant !== who.tenant) return sendError(res, 403, `this credential sees tenant ${who.tenant} only`);
    q.tenant = who.tenant;
  }
  try {
    sendJson(res, 200, await api.lifecycle.audit(q, actorOf(who, req)));
  } catch (err) {
    sendRefusal(res, err);
  }
}
