/**
 * The daemon's HTTP listener (loopback by default): /healthz for anyone; everything else (Prometheus
 * /metrics, the recordings API and web page) for a token, basic-auth user or logged-in session only.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { HttpTlsConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { Access, type LoginRequest } from './access';
import { parseListen } from '../config/listen';
import type { Principal } from '../config/credentials-file';
import { loginRequestProblem } from './login-origin';
import { loadPage } from './page';
import { handleConversations, handleRecordings, type RecordingsApi } from './recordings-routes';
import { handleLifecycle, isLifecycleRoute, isLifecycleWrite } from './lifecycle-routes';
import { BASE_HEADERS, sendError, sendJson } from './respond';
import { TlsFiles } from './tls';
import { IndexUnavailableError } from '../recordings/reachable-index';

export interface Health {
  eslConnected: boolean;
  backlogFiles: number;
  oldestAgeSeconds: number;
  /** What the spool says an operator must look at (journal writes failing, a full disk). */
  problems?: string[];
}

export interface HttpOptions {
  listen: string;
  metrics: Metrics;
  health: () => Health;
  /** /healthz turns 503 when more files than this wait for storage. */
  maxBacklogFiles: number;
  log: Logger;
  access: Access;
  recordings: RecordingsApi;
  metricsWithoutAuth: () => boolean;
  /** HTTPS with these files, re-read when they change (src/http/tls.ts); absent: plain HTTP. */
  tls?: HttpTlsConfig;
}

const MAX_LOGIN_BODY = 8192;

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_LOGIN_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The login JSON's string fields token, user and password; undefined when the body is not a JSON object. */
function loginFields(body: string): LoginRequest | undefined {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const field = (k: string): string | undefined => {
    const v = (o as Record<string, unknown>)[k];
    return typeof v === 'string' ? v : undefined;
  };
  return { token: field('token'), user: field('user'), password: field('password') };
}

const retryAfter = (seconds: number): Record<string, string> => ({ 'Retry-After': String(seconds) });
const TOO_MANY = 'too many failed logins: try again later';

export async function startHttp(opts: HttpOptions): Promise<Server> {
  const { host, port } = parseListen(opts.listen);
  const page = loadPage();
  const challenge = { 'WWW-Authenticate': 'Bearer realm="fsrecd", Basic realm="fsrecd", charset="UTF-8"' };
  const unauthorized = (res: ServerResponse): void =>
    sendError(res, 401, opts.access.empty ? 'no credentials are configured: set http.tokens_file or http.users_file (see README, "Recordings")' : 'a token or user credentials are needed', challenge);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fsrecd.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/healthz' && method === 'GET') {
      const h = opts.health();
      const reasons: string[] = [];
      if (!h.eslConnected) reasons.push('FreeSWITCH event socket not connected');
      if (h.backlogFiles > opts.maxBacklogFiles) reasons.push(`${h.backlogFiles} recordings waiting for storage (over ${opts.maxBacklogFiles})`);
      reasons.push(...(h.problems ?? []));
      return sendJson(res, reasons.length ? 503 : 200, { ok: reasons.length === 0, reasons, ...h });
    }
    if (path === '/login' && method === 'POST') {
      const problem = loginRequestProblem(req.headers);
      if (problem) {
        req.resume();
        return sendError(res, 403, problem);
      }
      const body = await readBody(req);
      if (body === undefined) return sendError(res, 413, 'login body too large');
      const fields = loginFields(body);
      if (!fields) return sendError(res, 400, 'login body must be a JSON object: {"token": ...} or {"user": ..., "password": ...}');
      const session = await opts.access.login(fields, req.socket.remoteAddress);
      if (session.kind === 'throttled') return sendError(res, 429, `${TOO_MANY} (in ${session.retryAfterSeconds} s)`, retryAfter(session.retryAfterSeconds));
      if (session.kind === 'refused') {
        opts.log.warn('HTTP login refused', { from: req.socket.remoteAddress });
        return sendError(res, 401, 'wrong token, user or password');
      }
      opts.log.info('HTTP login', { who: session.principal.name, tenant: session.principal.tenant ?? '*' });
      return sendJson(res, 200, whoami(session.principal), { 'Set-Cookie': `${Access.sessionCookie(session.sessionId)}${opts.tls ? '; Secure' : ''}` });
    }
    if (path === '/logout' && method === 'POST') {
      opts.access.logout(req);
      return sendJson(res, 200, { ok: true }, { 'Set-Cookie': Access.clearedCookie() });
    }
    if (method !== 'GET' && method !== 'HEAD' && !isLifecycleWrite(method, path)) return sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    if (path === '/metrics' && opts.metricsWithoutAuth()) return void res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(opts.metrics.render());

    const verdict = await opts.access.authenticate(req);
    const who = verdict.kind === 'ok' ? verdict.principal : undefined;
    if (path === '/' || path === '/index.html') {
      // Without a credential the page is only its login form (it holds no data); the status still says 401.
      res.writeHead(who ? 200 : 401, { ...BASE_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': page.csp }).end(method === 'HEAD' ? undefined : page.html);
      return;
    }
    if (verdict.kind === 'throttled') return sendError(res, 429, `${TOO_MANY} (in ${verdict.retryAfterSeconds} s)`, retryAfter(verdict.retryAfterSeconds));
    if (!who) return unauthorized(res);
    if (path === '/metrics') {
      if (who.tenant !== undefined) return sendError(res, 403, 'metrics cover every tenant: a tenant-scoped credential cannot read them');
      return void res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(opts.metrics.render());
    }
    if (path === '/api/whoami') return sendJson(res, 200, whoami(who));
    if (isLifecycleRoute(method, path)) return handleLifecycle(opts.recordings, req, res, who, path, url.searchParams);
    if (path === '/api/recordings' || path.startsWith('/api/recordings/')) {
      return handleRecordings(opts.recordings, req, res, who, path.slice('/api/recordings'.length), url.searchParams);
    }
    if (path === '/api/conversations' || path.startsWith('/api/conversations/')) {
      return handleConversations(opts.recordings, res, who, path.slice('/api/conversations'.length), url.searchParams);
    }
    return sendError(res, 404, 'no such resource');
  };

  const listener: RequestListener = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The shared index being away is an outage the index's own log lines report; each refused read is a warning.
      if (err instanceof IndexUnavailableError) opts.log.warn('HTTP request refused (503): the recordings index is not reachable', { path: (req.url ?? '').split('?')[0], error: err.message });
      else opts.log.error('HTTP request failed', { path: (req.url ?? '').split('?')[0], error: String(err) });
      // A reply cut short (headers already sent) can only be ended.
      if (res.headersSent) res.destroy();
      else if (err instanceof IndexUnavailableError) sendError(res, 503, `${err.message}; recording goes on, try again shortly`);
      else sendError(res, 500, 'internal error (see the daemon log)');
    });
  };
  let server: Server;
  if (opts.tls) {
    const { files, options } = await TlsFiles.open(opts.tls, opts.log, opts.metrics);
    const https = createHttpsServer(options, listener);
    files.watch(https);
    server = https;
  } else server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  opts.log.info('HTTP listener up', { listen: opts.listen, tls: opts.tls ? { certFile: opts.tls.certFile, clientCertificates: opts.tls.caFile !== undefined } : false, paths: ['/', '/api/recordings', '/metrics', '/healthz'], credentials: opts.access.empty ? 'none configured: only /healthz answers' : 'configured' });
  return server;
}

function whoami(p: Principal): { name: string; tenant: string | null } {
  return { name: p.name, tenant: p.tenant ?? null };
}
