/**
 * S3-compatible storage (AWS S3, MinIO, Ceph RGW) through the minio client: each file read once and sent in
 * one PUT (in parts above the part size, s3-upload.ts), call metadata as x-amz-meta-* headers (the whole of
 * it as x-amz-meta-fsrecd-meta when it fits, else in a JSON metadata object `<key>.json` beside the file);
 * storage.sse. The look before a create and the read-back after it ask a batched listing first
 * (key-listing.ts): one ListObjectsV2 for the keys of a directory in flight together, a HEAD only where the
 * listing cannot settle it.
 */
import type { IncomingMessage } from 'node:http';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import type { S3StorageConfig } from '../config/types';
import { renderObjectKey } from '../naming/object-key';
import type { Logger } from '../log';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { RecordingMeta, RecordingResult } from '../model/recording';
import { etagKind, hashFile, md5File, md5Stream, multipartEtag, sha256FromBase64 } from './checksum';
import { audioContentType } from './content-type';
import { compareKeys, KeyListings, type ListPage } from './key-listing';
import { idIn, type ObjectAtKey } from './no-replace';
import { META_HEADER, metadataHeader, metadataJson, parseMetadataHeader } from './object-metadata';
import { PlacementError, placeWithoutReplacing, type LocalRecording } from './place';
import { uploadFile, type SentObject } from './s3-upload';
import { encryptionOf, etagIsUntrusted, sseReadHeaders, sseWriteHeaders } from './sse-headers';
import { contentDisposition } from '../util/content-disposition';
import type { ByteRange, ListedObject, PutResult, RecordingStore, StoredObject } from './target';

const PART_SIZE = 8 * 1024 * 1024;

/** Header-safe: ASCII printable, no CR/LF, bounded. */
function headerValue(v: unknown): string {
  return encodeURIComponent(String(v ?? '')).slice(0, 512);
}

/** S3 error codes that say "something is already there" to a create with If-None-Match: * (AWS, MinIO). */
const CREATE_REFUSED = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

function errorCode(err: unknown): string {
  return String((err as { code?: unknown }).code ?? '');
}

function sseLabel(type: 's3' | 'kms' | 'c'): StoredObject['encryption'] {
  return type === 's3' ? 'SSE-S3' : type === 'kms' ? 'SSE-KMS' : 'SSE-C';
}

function decodedHeader(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export class S3Target implements RecordingStore {
  readonly #client: Client;
  #bucketChecked = false;
  /** Cleared if the server answers NotImplemented to If-None-Match: the HEAD before each create still guards. */
  #conditionalCreates = true;
  readonly #listings: KeyListings;

  constructor(
    private readonly cfg: S3StorageConfig,
    private readonly log: Logger,
  ) {
    this.#client = new Client({
      endPoint: cfg.endpoint,
      port: cfg.port,
      useSSL: cfg.useSsl,
      region: cfg.region,
      pathStyle: cfg.pathStyle,
      accessKey: cfg.accessKey.reveal(),
      secretKey: cfg.secretKey.reveal(),
      // minio-js holds one part in memory per upload (a whole object up to this size): 8 MB bounds memory
      // at about concurrency × 8 MB × 2 whatever the recording's length; longer recordings go up in parts.
      partSize: PART_SIZE,
      // The spool retries with its own backoff; minio's retries would also print non-JSON lines to stderr.
      retryOptions: { disableRetry: true },
    });
    this.#listings = new KeyListings(async (q) => this.#listPage(q.prefix, q.startAfter, q.maxKeys));
  }

  /** Listings made so far by the batched presence checks and read-backs (tests and the benchmark count them). */
  get listings(): number {
    return this.#listings.listings;
  }

  /**
   * One page of a listing from a marker (ListObjects: AWS, MinIO and Ceph all take it; its marker is
   * ListObjectsV2's start-after, and paging needs no continuation token, which s3rver cannot make on Node 20).
   */
  async #listPage(prefix: string, startAfter: string, maxKeys: number): Promise<ListPage> {
    const res = await this.#client.listObjectsQuery(this.cfg.bucket, prefix, startAfter, { Delimiter: '', MaxKeys: maxKeys });
    const entries = (res.objects as Array<{ name?: string; size?: number; etag?: string }>).flatMap((o) => (o.name ? [{ key: o.name, size: Number(o.size ?? 0), etag: String(o.etag ?? '') }] : []));
    return { entries, truncated: res.isTruncated === true };
  }

  describe(): string {
    return `s3 bucket ${this.cfg.bucket} at ${this.cfg.useSsl ? 'https' : 'http'}://${this.cfg.endpoint}${this.cfg.port ? `:${this.cfg.port}` : ''}`;
  }

  /**
   * key_template rendered by the naming layer (checked template, cleaned variables, at most 1,000 bytes);
   * never throws: a template that fails gives the relative path (check-config reports such templates).
   */
  keyFor(meta: RecordingMeta): string {
    return renderObjectKey(this.cfg.keyTemplate, meta).key;
  }

  async #ensureBucket(): Promise<void> {
    if (this.#bucketChecked) return;
    const exists = await this.#client.bucketExists(this.cfg.bucket).catch((err: unknown) => {
      throw this.#explain(err);
    });
    if (!exists) {
      if (!this.cfg.createBucket) throw new Error(`bucket ${this.cfg.bucket} does not exist at ${this.describe()} (set storage.create_bucket: true or create it)`);
      await this.#client.makeBucket(this.cfg.bucket, this.cfg.region);
      this.log.info('bucket created', { bucket: this.cfg.bucket });
    }
    this.#bucketChecked = true;
  }

  #explain(err: unknown): Error {
    const code = (err as { code?: string }).code ?? '';
    const msg = err instanceof Error ? err.message : String(err);
    if (/AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|403/.test(`${code} ${msg}`)) {
      return new Error(`access refused by ${this.describe()} (${code || msg}): check storage.access_key / secret_key and the bucket policy`);
    }
    if (/NoSuchBucket/.test(`${code} ${msg}`)) return new Error(`bucket ${this.cfg.bucket} does not exist at ${this.describe()}`);
    return new Error(`${this.describe()}: ${msg}`);
  }

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string, faults: Faults = NO_FAULTS): Promise<PutResult> {
    await this.#ensureBucket();
    const size = (await stat(localPath)).size;
    const partSize = this.#client.calculatePartSize(size);
    // minio-js's CompleteMultipartUpload cannot carry If-None-Match: a multipart upload is always looked at
    // first, and a writer racing that look can still win (README, Guarantees).
    const singlePut = size <= partSize;
    let sent: SentObject | undefined;
    let md5Known: Promise<string> | undefined = md5 === undefined ? undefined : Promise.resolve(md5);
    const local: LocalRecording = { id: meta.id, size, md5: () => (md5Known ??= md5File(localPath)) };
    let metadataBody: Buffer | undefined;
    /** Keys whose object carries the whole metadata (x-amz-meta-fsrecd-meta): no `<key>.json` is written. */
    const metadataOnObject = new Set<string>();
    try {
      const used = await placeWithoutReplacing(
        key,
        local,
        {
          look: async (k) => {
            // One listing for the keys of this directory looked at together (the common answer: nothing there).
            const [listedObject, listedJson] = await Promise.all([this.#listings.lookup(k), this.#listings.lookup(`${k}.json`)]);
            if (listedObject === null && listedJson === null) return {};
            const [object, metadataId] = await Promise.all([this.#objectAt(k, localPath, local), listedJson === null ? undefined : this.#metadataIdAt(k)]);
            if (object?.carriesMetadata) metadataOnObject.add(k);
            return { object, metadataId };
          },
          md5Of: async (k) => md5Stream(await this.#get(k)),
          createAudio: async (k) => {
            faults.at('upload.put-object');
            const created = await this.#createAudio(k, localPath, size, partSize, meta, result, singlePut);
            if (!created) return false;
            sent = created.sent;
            if (created.metadataOnObject) metadataOnObject.add(k);
            md5Known = Promise.resolve(sent.hashes.md5);
            metadataBody = Buffer.from(metadataJson(meta, result, sent.hashes));
            return true;
          },
          createMetadata: async (k) => {
            // Numbered even when nothing follows: a crash here is one after the object, before verification.
            faults.at('upload.put-metadata');
            // The object carries the metadata (reindex reads it with a HEAD): a .json would only repeat it.
            if (metadataOnObject.has(k)) return true;
            metadataBody ??= Buffer.from(metadataJson(meta, result, { md5: await local.md5(), sha256: (await hashFile(localPath)).sha256 }));
            const body = metadataBody;
            return this.#createIfAbsent(`${k}.json`, body, { 'Content-Type': 'application/json', ...sseWriteHeaders(this.cfg.sse) }, true);
          },
        },
        this.describe(),
        { createFirst: singlePut && this.cfg.trustIfNoneMatch === true && this.#conditionalCreates },
      );
      if (sent) {
        const { hashes, reply } = sent;
        const out: PutResult = { key: used, md5: hashes.md5, sha256: hashes.sha256, reply };
        if (hashes.multipartEtag) out.multipartEtag = { etag: hashes.multipartEtag, partSize: hashes.partSize };
        return out;
      }
      // The key already held these bytes (an earlier run): nothing was sent, so the file is read to compare.
      const sums = await hashFile(localPath);
      return { key: used, md5: sums.md5, sha256: sums.sha256 };
    } catch (err) {
      if (isSimulatedCrash(err) || err instanceof PlacementError) throw err;
      throw this.#explain(err);
    }
  }

  /** Creates the audio object (undefined: something is at the key and the server refused, 412). */
  async #createAudio(key: string, localPath: string, size: number, partSize: number, meta: RecordingMeta, result: RecordingResult | undefined, singlePut: boolean): Promise<{ sent: SentObject; metadataOnObject: boolean } | undefined> {
    const headers = this.#audioHeaders(key, meta, singlePut ? undefined : partSize);
    let metadataOnObject = false;
    const checksumHeaders = (sums: { md5: string; sha256: string }): Record<string, string> => {
      const h: Record<string, string> = { 'x-amz-meta-fsrecd-md5': sums.md5, 'x-amz-meta-fsrecd-sha256': sums.sha256 };
      // S3 encrypts an object's bytes, never its x-amz-meta-* headers: with storage.sse the caller's numbers and
      // names go only into the `.json`, which is encrypted like the audio.
      const packed = this.cfg.sse ? undefined : metadataHeader(metadataJson(meta, result, sums), { ...headers, ...h });
      if (packed) h[META_HEADER] = packed;
      metadataOnObject = packed !== undefined;
      return h;
    };
    const ifNoneMatch = singlePut && this.#conditionalCreates;
    const req = { bucket: this.cfg.bucket, key, path: localPath, size, partSize, headers, checksumHeaders, sse: this.cfg.sse, ifNoneMatch };
    try {
      const sent = await uploadFile(this.#client, req);
      return { sent, metadataOnObject };
    } catch (err) {
      if (CREATE_REFUSED.has(errorCode(err))) return undefined;
      if (!ifNoneMatch || errorCode(err) !== 'NotImplemented') throw err;
      this.#conditionalCreates = false;
      this.log.warn('the S3 server does not implement If-None-Match on PUT; a HEAD before each create is the only guard', { target: this.describe() });
      const sent = await uploadFile(this.#client, { ...req, ifNoneMatch: false });
      return { sent, metadataOnObject };
    }
  }

  /** Lower-case header names: the signature and the server see them as sent. */
  #audioHeaders(key: string, meta: RecordingMeta, partSize: number | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': audioContentType(key),
      'x-amz-meta-call-uuid': headerValue(meta.callUuid),
      'x-amz-meta-direction': headerValue(meta.direction),
      'x-amz-meta-network': headerValue(meta.network),
      'x-amz-meta-tenant': headerValue(meta.tenantUuid),
      // Which recording this is (a key that holds another one is never reused).
      'x-amz-meta-fsrecd-id': headerValue(meta.id),
    };
    if (partSize !== undefined) headers['x-amz-meta-fsrecd-part-size'] = String(partSize);
    // Personal data (numbers, users, devices, why it was recorded) stays out of the headers under storage.sse:
    // S3 does not encrypt them.
    if (!this.cfg.sse) {
      headers['x-amz-meta-srcnum'] = headerValue(meta.srcnum);
      headers['x-amz-meta-dstnum'] = headerValue(meta.dstnum);
      headers['x-amz-meta-reasons'] = headerValue(meta.reasons.join('; '));
      if (meta.user) headers['x-amz-meta-user'] = headerValue(meta.user);
      if (meta.device) headers['x-amz-meta-device'] = headerValue(meta.device);
    }
    // Which conversation and which segment of it (the whole story, parties and transfers, is in fsrecd-meta).
    headers['x-amz-meta-conversation'] = headerValue(meta.conversationId ?? meta.callUuid);
    headers['x-amz-meta-segment'] = String(meta.segment ?? 1);
    return headers;
  }

  /**
   * PUT only if nothing is at `key`: false when the server refuses because something is (412). The caller has
   * just looked (HEAD) and found nothing, so on a server that ignores If-None-Match only a writer racing
   * between that look and this PUT can be overwritten.
   */
  async #createIfAbsent(key: string, body: Buffer, headers: Record<string, string>, conditional: boolean): Promise<boolean> {
    const ifNoneMatch = conditional && this.#conditionalCreates;
    try {
      await this.#client.putObject(this.cfg.bucket, key, body, body.length, ifNoneMatch ? { ...headers, 'If-None-Match': '*' } : headers);
      return true;
    } catch (err) {
      if (CREATE_REFUSED.has(errorCode(err))) return false;
      if (!ifNoneMatch || errorCode(err) !== 'NotImplemented') throw err;
      this.#conditionalCreates = false;
      this.log.warn('the S3 server does not implement If-None-Match on PUT; a HEAD before each create is the only guard', { target: this.describe() });
      return this.#createIfAbsent(key, body, headers, false);
    }
  }

  /** The object at `key` as the no-replace rule needs it (a multipart ETag is recomputed from the local file). */
  async #objectAt(key: string, localPath: string, local: LocalRecording): Promise<(ObjectAtKey & { carriesMetadata: boolean }) | undefined> {
    const s = await this.#head(key);
    if (!s) return undefined;
    const multipartEtagMatches = s.stored.multipart && s.stored.size === local.size ? (await multipartEtag(localPath, s.stored.multipart.partSize)) === s.stored.multipart.etag : undefined;
    return { size: s.stored.size, md5: s.stored.md5, multipartEtagMatches, recordingId: s.stored.recordingId, carriesMetadata: s.metadata !== undefined };
  }

  /** The id `<key>.json` names: undefined when there is none, '' when it names none; other errors throw. */
  async #metadataIdAt(key: string): Promise<string | undefined> {
    let stream: Readable;
    try {
      stream = await this.#get(`${key}.json`);
    } catch (err) {
      if (errorCode(err) === 'NoSuchKey' || errorCode(err) === 'NotFound') return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    try {
      return idIn(JSON.parse(Buffer.concat(chunks).toString('utf8'))) ?? '';
    } catch {
      return '';
    }
  }

  /** GET with the SSE-C key when there is one (minio's getObject would put it in the query string). */
  async #get(key: string, range?: ByteRange): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...sseReadHeaders(this.cfg.sse) };
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    return this.#client.makeRequestAsync({ method: 'GET', bucketName: this.cfg.bucket, objectName: key, headers }, '', range ? [200, 206] : [200]);
  }

  /**
   * HEAD with the SSE-C key and x-amz-checksum-mode: ENABLED (the server then returns the SHA-256 it kept);
   * minio's statObject sends neither. Null when nothing is there.
   */
  async #head(key: string): Promise<{ stored: StoredObject; metadata: unknown } | null> {
    let res: IncomingMessage;
    try {
      res = await this.#client.makeRequestAsync({ method: 'HEAD', bucketName: this.cfg.bucket, objectName: key, headers: { ...sseReadHeaders(this.cfg.sse), 'x-amz-checksum-mode': 'ENABLED' } });
      for await (const chunk of res) void chunk;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'NotFound' || code === 'NoSuchKey') return null;
      throw err;
    }
    const h = res.headers as Record<string, unknown>;
    const kind = etagKind(String(h.etag ?? ''));
    const stored: StoredObject = { size: Number(h['content-length']) };
    const encryption = encryptionOf(h) ?? (this.cfg.sse ? sseLabel(this.cfg.sse.type) : undefined);
    if (encryption) stored.encryption = encryption;
    // With SSE-KMS/SSE-C (reported, or configured: a server may not say) the ETag is no MD5 (verify.ts).
    const etagTrusted = !etagIsUntrusted(this.cfg.sse) && encryption !== 'SSE-KMS' && encryption !== 'SSE-C';
    if (etagTrusted && 'md5' in kind) stored.md5 = kind.md5;
    if (etagTrusted && 'multipart' in kind) stored.multipart = { etag: kind.multipart, partSize: Number(h['x-amz-meta-fsrecd-part-size']) || this.#client.calculatePartSize(stored.size) };
    const sha256 = sha256FromBase64(h['x-amz-checksum-sha256']);
    if (sha256) stored.sha256 = sha256;
    const claimedMd5 = decodedHeader(h['x-amz-meta-fsrecd-md5']);
    const claimedSha256 = decodedHeader(h['x-amz-meta-fsrecd-sha256']);
    const recordingId = decodedHeader(h['x-amz-meta-fsrecd-id']);
    if (claimedMd5) stored.claimedMd5 = claimedMd5;
    if (claimedSha256) stored.claimedSha256 = claimedSha256;
    if (recordingId) stored.recordingId = recordingId;
    const metadata = parseMetadataHeader(h[META_HEADER]);
    return { stored, metadata };
  }

  /**
   * With `expect` (the MD5 computed while sending), a batched listing answers first: its size and an ETag that
   * is that very MD5, without SSE-KMS/SSE-C configured, is rule 1 of verify.ts (the server's MD5 of what it
   * holds). Anything else — not listed, another ETag (an encrypting server's, a multipart one), a listing that
   * could not tell — is asked with a HEAD as without `expect`.
   */
  async stat(key: string, expect?: { md5: string }): Promise<StoredObject | null> {
    await this.#ensureBucket();
    try {
      if (expect && !etagIsUntrusted(this.cfg.sse)) {
        const listed = await this.#listings.lookup(key);
        const kind = listed ? etagKind(listed.etag) : undefined;
        if (listed && kind && 'md5' in kind && kind.md5 === expect.md5) {
          const stored: StoredObject = { size: listed.size, md5: kind.md5 };
          if (this.cfg.sse) stored.encryption = sseLabel(this.cfg.sse.type);
          return stored;
        }
      }
      const s = await this.#head(key);
      if (!s) return null;
      // A multipart upload cannot name its SHA-256 in its headers (they go first): its metadata object can.
      if (s.stored.claimedSha256 === undefined && s.stored.multipart === undefined && s.stored.md5 === undefined && s.stored.sha256 === undefined) {
        const sha256 = ((s.metadata ?? (await this.readJson(`${key}.json`))) as { sha256?: unknown } | undefined)?.sha256;
        if (typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256)) s.stored.claimedSha256 = sha256;
      }
      return s.stored;
    } catch (err) {
      throw this.#explain(err);
    }
  }

  /**
   * Every object in key order, each told whether `<key>.json` exists (metadataObject): the listing is sorted,
   * so an object is held back only until the listing has passed where its `.json` would be.
   */
  async *list(): AsyncIterable<ListedObject> {
    await this.#ensureBucket();
    const stream = this.#client.listObjectsV2(this.cfg.bucket, '', true);
    const held = new MetadataLookahead();
    try {
      for await (const o of stream as AsyncIterable<{ name?: string; size?: number; etag?: string; lastModified?: Date }>) {
        if (o.name) yield* held.add({ key: o.name, size: o.size ?? 0, etag: o.etag, lastModified: o.lastModified });
      }
    } catch (err) {
      throw this.#explain(err);
    }
    yield* held.end();
  }

  /** The metadata the object itself carries (x-amz-meta-fsrecd-meta, one HEAD); undefined when none or no object. */
  async readObjectMetadata(key: string): Promise<unknown> {
    try {
      return (await this.#head(key))?.metadata;
    } catch {
      return undefined;
    }
  }

  /** `<key>.json` parsed (GET with the SSE-C key where there is one); undefined when missing or not JSON. */
  async readJson(key: string): Promise<unknown> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of await this.#get(key)) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async open(key: string, range?: ByteRange): Promise<Readable> {
    await this.#ensureBucket();
    try {
      return await this.#get(key, range);
    } catch (err) {
      throw this.#explain(err);
    }
  }

  async presign(key: string, seconds: number, downloadName: string): Promise<string> {
    await this.#ensureBucket();
    return this.#client.presignedGetObject(this.cfg.bucket, key, seconds, {
      'response-content-disposition': contentDisposition('attachment', downloadName),
    });
  }

  /** The client and bucket, for deletes and legal holds (src/storage/object-lifecycle.ts keeps that code apart). */
  lifecycleAccess(): { client: Client; bucket: string; describe: string } {
    return { client: this.#client, bucket: this.cfg.bucket, describe: this.describe() };
  }
}

/**
 * Holds listed objects until the (sorted) listing tells whether `<key>.json` exists: it is listed, or a key
 * after where it would be is. Only keys that extend a held key with bytes below '.' sort between the two,
 * so few are ever held.
 */
class MetadataLookahead {
  readonly #held: ListedObject[] = [];

  *add(o: ListedObject): Iterable<ListedObject> {
    if (o.key.endsWith('.json')) {
      const owner = this.#held.find((h) => `${h.key}.json` === o.key);
      if (owner) owner.metadataObject = true;
    }
    while (this.#held.length > 0) {
      const first = this.#held[0] as ListedObject;
      if (first.metadataObject !== true && compareKeys(o.key, `${first.key}.json`) <= 0) break;
      first.metadataObject ??= false;
      yield this.#held.shift() as ListedObject;
    }
    this.#held.push(o);
  }

  *end(): Iterable<ListedObject> {
    for (const h of this.#held.splice(0)) yield { ...h, metadataObject: h.metadataObject ?? false };
  }
}
