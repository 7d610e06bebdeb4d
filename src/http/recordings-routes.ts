/**
 * /api/recordings: the JSON list and details, the audio itself (inline with Range for the page's
 * player, or as an attachment with its file name), and a presigned URL where storage has them; each
 * play, download and URL is recorded in the audit trail. A deleted recording's audio is 410 Gone with
 * its tombstone. /api/conversations: the same recordings grouped by
 * conversation (the segments a transfer, pickup or park splits a call into), and one conversation's
 * segments in order. A tenant-scoped credential sees only its tenant: a query for another tenant is
 * refused, and another tenant's recording or conversation is "not found", like one that never existed;
 * of a conversation that crossed tenants it sees its own segments only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log';
import type { RecordingIndex } from '../recordings/index-store';
import { downloadName, MediaUnavailable, mediaOf } from '../recordings/media';
import { isRecordingId, parseQuery, QueryError } from '../recordings/query';
import { partiesOf, summarizeConversation } from '../recordings/conversation';
import type { ConversationSummary, PartyInfo, RecordingEntry, RecordingQuery } from '../recordings/types';
import type { TransferKind } from '../model/recording';
import type { StorageReader } from '../storage/target';
import { contentDisposition } from '../util/content-disposition';
import type { Principal } from '../config/credentials-file';
import type { Lifecycle } from '../lifecycle/types';
import { actorOf } from './actor';
import { parseRange } from './range';
import { recordingIdOf, visible } from './recording-scope';
import { BASE_HEADERS, sendError, sendJson } from './respond';

export interface RecordingsApi {
  index: RecordingIndex;
  store: StorageReader;
  log: Logger;
  /** Deletes, holds and the audit trail; every play, download and URL issued is recorded through it. */
  lifecycle: Lifecycle;
  /** How long a presigned URL stays valid (http.url_expiry_seconds, re-read on reload). */
  urlExpirySeconds: () => number;
}

type RecordingView = Omit<RecordingEntry, 'localPath' | 'transferFrom' | 'parties'> & {
  parties: PartyInfo[];
  /** recordingId only when the caller may see that recording (a transfer from another tenant keeps its kind). */
  transferFrom?: { kind: TransferKind; recordingId?: string };
  links: { audio: string; download: string; conversation: string };
};

type ConversationView = Omit<ConversationSummary, 'segments'> & { segments: RecordingView[]; links: { self: string } };

const conversationLink = (id: string): string => `/api/conversations/${encodeURIComponent(id)}`;

/**
 * What the API shows of an entry: the server's own file paths are not a client's business. Parties are
 * always there (derived from the numbers for recordings made before segments carried them).
 */
export async function view(api: RecordingsApi, e: RecordingEntry, who: Principal): Promise<RecordingView> {
  const { localPath: _hidden, transferFrom, ...rest } = e;
  const base = `/api/recordings/${encodeURIComponent(e.id)}`;
  const out: RecordingView = { ...rest, parties: partiesOf(e), links: { audio: `${base}/audio`, download: `${base}/download`, conversation: conversationLink(e.conversationId) } };
  if (transferFrom) out.transferFrom = visible(await api.index.get(transferFrom.recordingId), who) ? transferFrom : { kind: transferFrom.kind };
  return out;
}

async function conversationView(api: RecordingsApi, c: ConversationSummary, who: Principal): Promise<ConversationView> {
  return { ...c, segments: await Promise.all(c.segments.map((e) => view(api, e, who))), links: { self: conversationLink(c.conversationId) } };
}

/** The query string as a query, limited to the credential's tenant; undefined when an answer was sent. */
function scopedQuery(res: ServerResponse, who: Principal, search: URLSearchParams): RecordingQuery | undefined {
  let q;
  try {
    q = parseQuery(search.entries(), Date.now());
  } catch (err) {
    if (err instanceof QueryError) return void sendError(res, 400, err.message);
    throw err;
  }
  if (who.tenant !== undefined) {
    if (q.tenant !== undefined && q.tenant !== who.tenant) return void sendError(res, 403, `this credential sees tenant ${who.tenant} only`);
    q.tenant = who.tenant;
  }
  return q;
}

/**
 * /api/conversations[/id]: the list takes every /api/recordings filter and lists a conversation when any
 * of its segments matches; a row is the conversation's visible segments in order, with their sums.
 */
export async function handleConversations(api: RecordingsApi, res: ServerResponse, who: Principal, rest: string, search: URLSearchParams): Promise<void> {
  if (rest === '' || rest === '/') {
    const q = scopedQuery(res, who, search);
    if (!q) return;
    const page = await api.index.conversations(q);
    return sendJson(res, 200, { conversations: await Promise.all(page.conversations.map((c) => conversationView(api, c, who))), next: page.next });
  }
  const parts = rest.slice(1).split('/');
  if (parts.length > 1) return sendError(res, 404, 'no such resource');
  let id: string;
  try {
    id = decodeURIComponent(parts[0] as string);
  } catch {
    return sendError(res, 400, 'malformed conversation id');
  }
  if (!isRecordingId(id)) return sendError(res, 400, 'not a conversation id');
  const segments = await api.index.segmentsOf(id, who.tenant);
  if (segments.length === 0) return sendError(res, 404, 'no such conversation');
  sendJson(res, 200, await conversationView(api, summarizeConversation(id, segments), who));
}

/** Handles GET /api/recordings[/id[/audio|/download|/url]]; `rest` is the path after /api/recordings. */
export async function handleRecordings(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, who: Principal, rest: string, search: URLSearchParams): Promise<void> {
  if (rest === '' || rest === '/') {
    const q = scopedQuery(res, who, search);
    if (!q) return;
    const page = await api.index.query(q);
    return sendJson(res, 200, { recordings: await Promise.all(page.recordings.map((e) => view(api, e, who))), next: page.next });
  }
  const parts = rest.slice(1).split('/');
  if (parts.length > 2) return sendError(res, 404, 'no such resource');
  const parsed = recordingIdOf(parts[0] as string);
  if ('problem' in parsed) return sendError(res, 400, parsed.problem);
  const entry = await api.index.get(parsed.id);
  if (!visible(entry, who)) return sendError(res, 404, 'no such recording');
  const what = parts[1];
  if (what === undefined) return sendJson(res, 200, await view(api, entry, who));
  if (what === 'hold') return sendError(res, 405, 'a hold is set with POST and released with DELETE (admins only)', { Allow: 'POST, DELETE' });
  if (what !== 'audio' && what !== 'download' && what !== 'url') return sendError(res, 404, 'no such resource');
  if (entry.state === 'deleted') return sendGone(res, entry);
  if (what === 'url') return sendUrl(api, req, res, entry, who);
  await sendMedia(api, req, res, entry, who, what === 'download');
}

/** 410: the recording was here and is gone for good; the tombstone says who removed it, when and why. */
function sendGone(res: ServerResponse, e: RecordingEntry): void {
  const t = e.deleted;
  const message = t ? `recording deleted ${t.deletedAt} by ${t.deletedBy} (${t.cause}): ${t.reason}` : 'recording deleted';
  sendJson(res, 410, { error: message, deleted: t ?? null });
}

async function sendUrl(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, e: RecordingEntry, who: Principal): Promise<void> {
  if (e.state !== 'stored') return sendError(res, 409, `recording ${e.id} is ${e.state}, not in storage yet: use its download link`);
  const seconds = api.urlExpirySeconds();
  let url;
  try {
    url = await api.store.presign(e.key, seconds, downloadName(e));
  } catch (err) {
    return sendError(res, 502, `storage did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!url) return sendError(res, 409, `${api.store.describe()} has no presigned URLs: use /api/recordings/${e.id}/download`);
  await api.lifecycle.recordAccess('url', e, actorOf(who, req));
  sendJson(res, 200, { url, expiresInSeconds: seconds, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() });
}

async function sendMedia(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, e: RecordingEntry, who: Principal, attachment: boolean): Promise<void> {
  let media;
  try {
    media = await mediaOf(e, api.store);
  } catch (err) {
    if (err instanceof MediaUnavailable) return sendError(res, 409, err.message);
    api.log.error('recording unavailable from storage', { recording: e.id, error: String(err) });
    return sendError(res, 502, `storage did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const range = parseRange(req.headers.range, media.size);
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    // Recordings are private: the browser may keep them for seeking, nothing in between may.
    'Cache-Control': 'private, max-age=0',
    'Content-Type': media.contentType,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(attachment ? 'attachment' : 'inline', downloadName(e)),
  };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${media.size}` }).end();
    return;
  }
  const length = range ? range.end - range.start + 1 : media.size;
  headers['Content-Length'] = String(length);
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${media.size}`;
  if (req.method === 'HEAD' || length === 0) {
    res.writeHead(range ? 206 : 200, headers).end();
    return;
  }
  let body;
  try {
    body = await media.open(range);
  } catch (err) {
    return sendError(res, 502, `storage did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  // A player asks for a recording in many Range requests (the first from byte 0, then one per seek or
  // buffer refill): one play or download is the request that starts at byte 0, with or without a Range.
  if (!range || range.start === 0) await api.lifecycle.recordAccess(attachment ? 'download' : 'play', e, actorOf(who, req));
  res.writeHead(range ? 206 : 200, headers);
  // A player that seeks closes the previous request; that is not an error worth a log line.
  await pipeline(body, res).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') api.log.warn('audio stream ended early', { recording: e.id, error: String(err) });
  });
}
