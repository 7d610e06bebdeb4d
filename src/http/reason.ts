/**
 * The reason a delete, hold or release must give: a JSON body {"reason": "..."} or ?reason=... (a client
 * that cannot send a body with DELETE uses the query). Reading only; the service decides what a reason must be.
 */
import type { IncomingMessage } from 'node:http';

const MAX_BODY = 8192;
const MAX_REASON = 1000;
const HOW = 'send {"reason": "..."} as JSON, or ?reason=...';

export type ReasonResult = { ok: true; reason: string } | { ok: false; status: number; message: string };

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    // Read to the end anyway (bounded by the socket): an unread body would stall a keep-alive connection.
    if (size <= MAX_BODY) chunks.push(c as Buffer);
  }
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8');
}

/** The body's "reason" if it has one, else the query's; an answer to send when neither is usable. */
export async function readReason(req: IncomingMessage, search: URLSearchParams): Promise<ReasonResult> {
  const body = await readBody(req);
  if (body === undefined) return { ok: false, status: 413, message: `body too large (at most ${MAX_BODY} bytes)` };
  let reason = search.get('reason') ?? undefined;
  if (body.trim() !== '') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return { ok: false, status: 415, message: `the body must be JSON (Content-Type: application/json): ${HOW}` };
    let o: unknown;
    try {
      o = JSON.parse(body);
    } catch {
      return { ok: false, status: 400, message: `the body is not JSON: ${HOW}` };
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) return { ok: false, status: 400, message: `the body must be a JSON object: ${HOW}` };
    const v = (o as Record<string, unknown>).reason;
    if (v !== undefined && typeof v !== 'string') return { ok: false, status: 400, message: 'reason: expected a string' };
    if (v !== undefined) reason = v;
  }
  const trimmed = (reason ?? '').trim();
  if (trimmed === '') return { ok: false, status: 400, message: `a reason is required: ${HOW}` };
  if (trimmed.length > MAX_REASON) return { ok: false, status: 400, message: `reason: at most ${MAX_REASON} characters` };
  return { ok: true, reason: trimmed };
}
