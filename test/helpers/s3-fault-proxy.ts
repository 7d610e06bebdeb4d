/**
 * A programmable fault proxy on 127.0.0.1 in front of the real S3 server (s3rver behind its shim, see
 * s3-server.ts): requests go through byte for byte, signatures intact, except the ones a fault plan picks.
 * Faults: 500/503 runs (S3 XML error bodies), slow replies, a connection cut mid-request or mid-response,
 * a rewritten ETag, a 200 for a PUT that never reaches the server (the object is then missing), NoSuchBucket
 * for everything, and a hook that runs just before a request is forwarded (another writer racing us).
 * It also watches for the one thing storage must never do: a create that replaces an object already there.
 * `honourIfNoneMatch` makes the server behave like AWS S3 and MinIO (s3rver ignores the header): a PUT with
 * `If-None-Match: *` on an existing key gets 412 PreconditionFailed, decided atomically per key.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  bucket: string;
  /** The object key, decoded ('' for bucket requests). */
  key: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export type Fault =
  /** An S3 error: 500 InternalError or 503 SlowDown, XML body (none for HEAD). Nothing is forwarded. */
  | { kind: 'error'; status: 500 | 503 }
  /** Forwarded; the reply is held back this long. */
  | { kind: 'delay'; ms: number }
  /** Half the request body arrives, then the connection is cut; the server gets nothing (as S3 keeps nothing). */
  | { kind: 'reset-request' }
  /** Forwarded in full; the reply is cut after half its body (before anything when it has none). */
  | { kind: 'reset-response' }
  /**
   * Forwarded; the reply's ETag is replaced by a wrong one (counts only replies that have an ETag); in a
   * listing, every listed ETag.
   */
  | { kind: 'wrong-etag' }
  /** 200 with a plausible ETag, the body read and thrown away: the client believes it stored the object. */
  | { kind: 'fake-ok' }
  /** 404 NoSuchBucket: the bucket is gone. */
  | { kind: 'no-such-bucket' }
  /** Runs `run` (e.g. another client writing the same key straight to the server), then forwards. */
  | { kind: 'before'; run: (req: ProxiedRequest) => Promise<void> }
  /**
   * Forwarded; `edit` changes the reply's headers (lower-case names) before they go back: a server that
   * returns what s3rver does not (x-amz-checksum-sha256, x-amz-server-side-encryption) or an ETag that is
   * not the MD5 (SSE-KMS, SSE-C).
   */
  | { kind: 'reply-headers'; edit: (headers: Record<string, string | string[] | undefined>, req: ProxiedRequest) => void };

export interface FaultRule {
  readonly fault: Fault;
  /** Requests this rule acted on so far. */
  hits: number;
}

interface ActiveRule extends FaultRule {
  match: (req: ProxiedRequest) => boolean;
  times: number;
}

export interface LoggedRequest {
  method: string;
  key: string;
  query: string;
  fault?: Fault['kind'];
  /** The request's headers as the proxy received them (what the client sent). */
  headers: IncomingHttpHeaders;
}

/** Matchers for rules. */
export const on = {
  any: (): ((r: ProxiedRequest) => boolean) => () => true,
  /** A PUT that creates an object (not a part of a multipart upload). */
  objectPut: (key?: string) => (r: ProxiedRequest) => r.method === 'PUT' && r.key !== '' && !r.query.has('partNumber') && (key === undefined || r.key === key),
  head: (key?: string) => (r: ProxiedRequest) => r.method === 'HEAD' && r.key !== '' && (key === undefined || r.key === key),
  get: (key?: string) => (r: ProxiedRequest) => r.method === 'GET' && r.key !== '' && (key === undefined || r.key === key),
  /** A listing of the bucket (the batched look before a create and read-back after it). */
  list: () => (r: ProxiedRequest) => r.method === 'GET' && r.key === '' && r.query.has('prefix'),
};

/** A request that creates (or replaces) an object: a single PUT, or the POST that completes a multipart upload. */
function createsObject(r: ProxiedRequest): boolean {
  return r.key !== '' && ((r.method === 'PUT' && !r.query.has('partNumber') && !r.headers['x-amz-copy-source']) || (r.method === 'POST' && r.query.has('uploadId')));
}

function s3Error(code: string, status: number, r: ProxiedRequest): { status: number; body: string } {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>${code}</Code><Message>${code} (injected by the fault proxy)</Message><BucketName>${r.bucket}</BucketName>` +
    `<Key>${r.key}</Key><Resource>/${r.bucket}/${r.key}</Resource><RequestId>fault-proxy</RequestId></Error>`;
  return { status, body };
}

const WRONG_ETAG = '"00000000000000000000000000000bad"';

export class S3FaultProxy {
  readonly requests: LoggedRequest[] = [];
  /** Keys whose existing object a forwarded create replaced: must stay empty. */
  readonly overwrites: string[] = [];
  honourIfNoneMatch = false;
  readonly #rules: ActiveRule[] = [];
  readonly #keyLocks = new Map<string, Promise<void>>();
  readonly #server: http.Server;

  private constructor(private readonly upstreamPort: number) {
    this.#server = http.createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));
  }

  static async start(upstreamPort: number): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(upstreamPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Acts on the next `times` requests `match` picks (Infinity: until clear()). */
  add(match: (r: ProxiedRequest) => boolean, fault: Fault, times = 1): FaultRule {
    const rule: ActiveRule = { match, fault, times, hits: 0 };
    this.#rules.push(rule);
    return rule;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** Requests seen so far that `match` picks. */
  count(match: (r: LoggedRequest) => boolean): number {
    return this.requests.filter(match).length;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #take(r: ProxiedRequest): ActiveRule | undefined {
    const rule = this.#rules.find((x) => x.hits < x.times && x.match(r));
    if (rule) rule.hits++;
    return rule;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const r: ProxiedRequest = { method: req.method ?? 'GET', bucket, key: decodeURIComponent(rest.join('/')), query: url.searchParams, headers: req.headers };
    const rule = this.#take(r);
    this.requests.push({ method: r.method, key: r.key, query: url.search, fault: rule?.fault.kind, headers: req.headers });
    const fault = rule?.fault;
    if (fault?.kind === 'error') return this.#answer(req, res, r, s3Error(fault.status === 503 ? 'SlowDown' : 'InternalError', fault.status, r));
    if (fault?.kind === 'no-such-bucket') return this.#answer(req, res, r, s3Error('NoSuchBucket', 404, r));
    if (fault?.kind === 'fake-ok') return this.#fakeOk(req, res);
    if (fault?.kind === 'before') await fault.run(r);
    if (!createsObject(r)) {
      await this.#forward(req, res, r, rule);
      return;
    }
    // Creates of one key go one at a time, so "was something there?" and the create are one step.
    const lockKey = `${r.bucket}/${r.key}`;
    const prev = this.#keyLocks.get(lockKey) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#keyLocks.set(lockKey, prev.then(() => mine));
    await prev;
    try {
      const existed = await this.#exists(r);
      if (existed && this.honourIfNoneMatch && r.method === 'PUT' && r.headers['if-none-match'] === '*') {
        return await this.#answer(req, res, r, s3Error('PreconditionFailed', 412, r));
      }
      const status = await this.#forward(req, res, r, rule);
      if (existed && status !== undefined && status >= 200 && status < 300) this.overwrites.push(r.key);
    } finally {
      release();
    }
  }

  /** HEAD straight to the server (s3rver answers anonymous requests). */
  #exists(r: ProxiedRequest): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const head = http.request({ host: '127.0.0.1', port: this.upstreamPort, method: 'HEAD', path: `/${r.bucket}/${encodeURIComponent(r.key).replace(/%2F/g, '/')}` }, (up) => {
        up.resume();
        resolve(up.statusCode === 200);
      });
      head.on('error', reject);
      head.end();
    });
  }

  /** Reads the request body, then answers (as a server would after reading it). */
  async #answer(req: IncomingMessage, res: ServerResponse, r: ProxiedRequest, reply: { status: number; body: string }): Promise<void> {
    for await (const chunk of req) void chunk;
    res.writeHead(reply.status, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'fault-proxy' });
    res.end(r.method === 'HEAD' ? undefined : reply.body);
  }

  async #fakeOk(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hash = createHash('md5');
    for await (const chunk of req) hash.update(chunk as Buffer);
    res.writeHead(200, { ETag: `"${hash.digest('hex')}"`, 'Content-Length': '0' });
    res.end();
  }

  /** Forwards the request; resolves with the status the server gave (undefined when the exchange was cut). */
  #forward(req: IncomingMessage, res: ServerResponse, r: ProxiedRequest, rule: ActiveRule | undefined): Promise<number | undefined> {
    if (rule?.fault.kind === 'reset-request') return this.#cutRequest(req);
    return new Promise((resolve) => {
      const upstream = http.request({ host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
        void this.#reply(up, res, r, rule).then(() => resolve(up.statusCode), () => resolve(undefined));
      });
      upstream.on('error', () => {
        if (!res.headersSent && !res.destroyed) res.writeHead(502).end();
        resolve(undefined);
      });
      req.pipe(upstream);
    });
  }

  /**
   * Reads half the declared body, then cuts the connection. Nothing reaches the server: S3 discards a PUT
   * whose body ends short of its Content-Length (s3rver would store the truncated bytes and later serve a
   * body shorter than its length, which is not what any real server does).
   */
  #cutRequest(req: IncomingMessage): Promise<undefined> {
    const half = Math.floor(Number(req.headers['content-length'] ?? 0) / 2);
    return new Promise((resolve) => {
      let got = 0;
      const cut = (): void => {
        req.socket.destroy();
        resolve(undefined);
      };
      if (half === 0) return cut();
      req.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= half) cut();
      });
    });
  }

  async #reply(up: IncomingMessage, res: ServerResponse, r: ProxiedRequest, rule: ActiveRule | undefined): Promise<void> {
    const fault = rule?.fault;
    const headers = { ...up.headers };
    if (fault?.kind === 'wrong-etag' && r.key === '' && r.method === 'GET') {
      const chunks: Buffer[] = [];
      for await (const chunk of up) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const lied = body.replace(/<ETag>[^<]*<\/ETag>/g, `<ETag>${WRONG_ETAG.replace(/"/g, '&quot;')}</ETag>`);
      if (lied === body && rule) rule.hits--; // nothing listed: this reply does not count
      delete headers['content-length'];
      res.writeHead(up.statusCode ?? 502, headers);
      res.end(lied);
      return;
    }
    if (fault?.kind === 'wrong-etag') {
      if (headers.etag) headers.etag = WRONG_ETAG;
      else if (rule) rule.hits--; // nothing to rewrite: this reply does not count
    }
    if (fault?.kind === 'reply-headers') fault.edit(headers, r);
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === 'reset-response') {
      const body: Buffer[] = [];
      for await (const chunk of up) body.push(chunk as Buffer);
      const all = Buffer.concat(body);
      if (all.length === 0 || r.method === 'HEAD') {
        res.socket?.destroy();
        return;
      }
      res.writeHead(up.statusCode ?? 502, headers);
      res.write(all.subarray(0, Math.floor(all.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.writeHead(up.statusCode ?? 502, headers);
    for await (const chunk of up) res.write(chunk);
    res.end();
  }
}
