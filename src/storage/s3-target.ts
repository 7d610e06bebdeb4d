/**
 * S3-compatible storage (AWS S3, MinIO, Ceph RGW) through the minio client: streamed uploads (multipart
 * above minio's part size), call metadata as x-amz-meta-* headers, a JSON metadata object beside each file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import type { S3StorageConfig } from '../config/types';
import { renderObjectKey } from '../naming/object-key';
import type { Logger } from '../log';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { RecordingMeta, RecordingResult } from '../model/recording';
import { etagKind, md5File, md5Stream, multipartEtag } from './checksum';
import { audioContentType } from './content-type';
import { idIn, type ObjectAtKey } from './no-replace';
import { PlacementError, placeWithoutReplacing, type LocalRecording } from './place';
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
    const local: LocalRecording = { id: meta.id, size, md5: md5 ?? (await md5File(localPath)) };
    const partSize = this.#client.calculatePartSize(size);
    // minio-js sends an object of up to one part in a single PUT, which can carry If-None-Match. A multipart
    // upload cannot through minio-js (the condition belongs on CompleteMultipartUpload, which it does not
    // expose): there the HEAD before it is the only guard, and a writer racing it can still win.
    const singlePut = size <= partSize;
    const json = Buffer.from(JSON.stringify({ ...meta, result, md5: local.md5 }, null, 1));
    try {
      const used = await placeWithoutReplacing(
        key,
        local,
        {
          look: async (k) => ({ object: await this.#objectAt(k, localPath, local), metadataId: await this.#metadataIdAt(k) }),
          md5Of: async (k) => md5Stream(await this.#client.getObject(this.cfg.bucket, k)),
          createAudio: (k) => {
            faults.at('upload.put-object');
            return this.#createIfAbsent(k, () => createReadStream(localPath), size, this.#audioHeaders(k, meta, local.md5, singlePut ? undefined : partSize), singlePut);
          },
          createMetadata: (k) => {
            faults.at('upload.put-metadata');
            return this.#createIfAbsent(`${k}.json`, () => json, json.length, { 'Content-Type': 'application/json' }, true);
          },
        },
        this.describe(),
      );
      return { key: used };
    } catch (err) {
      if (isSimulatedCrash(err) || err instanceof PlacementError) throw err;
      throw this.#explain(err);
    }
  }

  #audioHeaders(key: string, meta: RecordingMeta, md5: string, partSize: number | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': audioContentType(key),
      'X-Amz-Meta-Call-Uuid': headerValue(meta.callUuid),
      'X-Amz-Meta-Srcnum': headerValue(meta.srcnum),
      'X-Amz-Meta-Dstnum': headerValue(meta.dstnum),
      'X-Amz-Meta-Direction': headerValue(meta.direction),
      'X-Amz-Meta-Network': headerValue(meta.network),
      'X-Amz-Meta-Tenant': headerValue(meta.tenantUuid),
      'X-Amz-Meta-Reasons': headerValue(meta.reasons.join('; ')),
      // Which recording this is (a key that holds another one is never reused) and what was sent.
      'X-Amz-Meta-Fsrecd-Id': headerValue(meta.id),
      'X-Amz-Meta-Fsrecd-Md5': md5,
    };
    if (partSize !== undefined) headers['X-Amz-Meta-Fsrecd-Part-Size'] = String(partSize);
    if (meta.user) headers['X-Amz-Meta-User'] = headerValue(meta.user);
    if (meta.device) headers['X-Amz-Meta-Device'] = headerValue(meta.device);
    // Which conversation and which segment of it (the whole story, parties and transfers, is in <key>.json).
    headers['X-Amz-Meta-Conversation'] = headerValue(meta.conversationId ?? meta.callUuid);
    headers['X-Amz-Meta-Segment'] = String(meta.segment ?? 1);
    return headers;
  }

  /**
   * PUT only if nothing is at `key`: false when the server refuses because something is (412). The caller has
   * just looked (HEAD) and found nothing, so on a server that ignores If-None-Match only a writer racing
   * between that look and this PUT can be overwritten.
   */
  async #createIfAbsent(key: string, body: () => Readable | Buffer, size: number, headers: Record<string, string>, conditional: boolean): Promise<boolean> {
    const ifNoneMatch = conditional && this.#conditionalCreates;
    try {
      await this.#client.putObject(this.cfg.bucket, key, body(), size, ifNoneMatch ? { ...headers, 'If-None-Match': '*' } : headers);
      return true;
    } catch (err) {
      if (CREATE_REFUSED.has(errorCode(err))) return false;
      if (!ifNoneMatch || errorCode(err) !== 'NotImplemented') throw err;
      this.#conditionalCreates = false;
      this.log.warn('the S3 server does not implement If-None-Match on PUT; a HEAD before each create is the only guard', { target: this.describe() });
      return this.#createIfAbsent(key, body, size, headers, false);
    }
  }

  /** The object at `key` as the no-replace rule needs it (a multipart ETag is recomputed from the local file). */
  async #objectAt(key: string, localPath: string, local: LocalRecording): Promise<ObjectAtKey | undefined> {
    const s = await this.stat(key);
    if (!s) return undefined;
    const multipartEtagMatches = s.multipart && s.size === local.size ? (await multipartEtag(localPath, s.multipart.partSize)) === s.multipart.etag : undefined;
    return { size: s.size, md5: s.md5, multipartEtagMatches, recordingId: s.recordingId };
  }

  /** The id `<key>.json` names: undefined when there is none, '' when it names none; other errors throw. */
  async #metadataIdAt(key: string): Promise<string | undefined> {
    let stream: Readable;
    try {
      stream = await this.#client.getObject(this.cfg.bucket, `${key}.json`);
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

  async stat(key: string): Promise<StoredObject | null> {
    await this.#ensureBucket();
    try {
      const s = await this.#client.statObject(this.cfg.bucket, key);
      const kind = etagKind(s.etag);
      const meta = s.metaData as Record<string, unknown>;
      const claimedMd5 = decodedHeader(meta['fsrecd-md5']);
      const recordingId = decodedHeader(meta['fsrecd-id']);
      const stored: StoredObject = { size: s.size };
      // A bare-MD5 ETag is the MD5 the server computed (single part; not with SSE-KMS/SSE-C, see target.ts).
      if ('md5' in kind) stored.md5 = kind.md5;
      if ('multipart' in kind) stored.multipart = { etag: kind.multipart, partSize: Number(meta['fsrecd-part-size']) || this.#client.calculatePartSize(s.size) };
      if (claimedMd5) stored.claimedMd5 = claimedMd5;
      if (recordingId) stored.recordingId = recordingId;
      return stored;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'NotFound' || code === 'NoSuchKey') return null;
      throw this.#explain(err);
    }
  }

  async *list(): AsyncIterable<ListedObject> {
    await this.#ensureBucket();
    const stream = this.#client.listObjectsV2(this.cfg.bucket, '', true);
    try {
      for await (const o of stream as AsyncIterable<{ name?: string; size?: number; etag?: string; lastModified?: Date }>) {
        if (o.name) yield { key: o.name, size: o.size ?? 0, etag: o.etag, lastModified: o.lastModified };
      }
    } catch (err) {
      throw this.#explain(err);
    }
  }

  async readJson(key: string): Promise<unknown> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of await this.#client.getObject(this.cfg.bucket, key)) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async open(key: string, range?: ByteRange): Promise<Readable> {
    await this.#ensureBucket();
    try {
      return range ? await this.#client.getPartialObject(this.cfg.bucket, key, range.start, range.end - range.start + 1) : await this.#client.getObject(this.cfg.bucket, key);
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
