/**
 * /api/recordings: the JSON list and details, and the audio itself (inline with Range for the page's
 * player, or as an attachment with its file name). A tenant-scoped credential sees only its tenant: a
 * query for another tenant is refused, and another tenant's recording is "not found", like one that
 * never existed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log';
import type { RecordingIndex } from '../recordings/index-db';
import { downloadName, MediaUnavailable, mediaOf } from '../recordings/media';
import { isRecordingId, parseQuery, QueryError } from '../recordings/query';
import type { RecordingEntry } from '../recordings/types';
import type { StorageReader } from '../storage/target';
import { contentDisposition } from '../util/content-disposition';
import type { Principal } from './credentials';
import { parseRange } from './range';
import { BASE_HEADERS, sendError, sendJson } from './respond';

export interface RecordingsApi {
  index: RecordingIndex;
  store: StorageReader;
  log: Logger;
}

/** What the API shows of an entry: the server's own file paths are not a client's business. */
function view(e: RecordingEntry): Omit<RecordingEntry, 'localPath'> & { links: { audio: string; download: string } } {
  const { localPath: _hidden, ...rest } = e;
  const base = `/api/recordings/${encodeURIComponent(e.id)}`;
  return { ...rest, links: { audio: `${base}/audio`, download: `${base}/download` } };
}

function visible(e: RecordingEntry | undefined, who: Principal): e is RecordingEntry {
  return e !== undefined && (who.tenant === undefined || e.tenant === who.tenant);
}

/** Handles /api/recordings[/id[/audio|/download]]; `rest` is the path after /api/recordings. */
export async function handleRecordings(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, who: Principal, rest: string, search: URLSearchParams): Promise<void> {
  if (rest === '' || rest === '/') {
    let q;
    try {
      q = parseQuery(search.entries(), Date.now());
    } catch (err) {
      if (err instanceof QueryError) return sendError(res, 400, err.message);
      throw err;
    }
    if (who.tenant !== undefined) {
      if (q.tenant !== undefined && q.tenant !== who.tenant) return sendError(res, 403, `this credential sees tenant ${who.tenant} only`);
      q.tenant = who.tenant;
    }
    const page = api.index.query(q);
    return sendJson(res, 200, { recordings: page.recordings.map(view), next: page.next });
  }
  const parts = rest.slice(1).split('/');
  if (parts.length > 2) return sendError(res, 404, 'no such resource');
  let id: string;
  try {
    id = decodeURIComponent(parts[0] as string);
  } catch {
    return sendError(res, 400, 'malformed recording id');
  }
  if (!isRecordingId(id)) return sendError(res, 400, 'not a recording id');
  const entry = api.index.get(id);
  if (!visible(entry, who)) return sendError(res, 404, 'no such recording');
  const what = parts[1];
  if (what === undefined) return sendJson(res, 200, view(entry));
  if (what !== 'audio' && what !== 'download') return sendError(res, 404, 'no such resource');
  await sendMedia(api, req, res, entry, what === 'download');
}

async function sendMedia(api: RecordingsApi, req: IncomingMessage, res: ServerResponse, e: RecordingEntry, attachment: boolean): Promise<void> {
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
  res.writeHead(range ? 206 : 200, headers);
  // A player that seeks closes the previous request; that is not an error worth a log line.
  await pipeline(body, res).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') api.log.warn('audio stream ended early', { recording: e.id, error: String(err) });
  });
}
