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
import type { RecordingMeta, RecordingResult } from '../recorder/types';
import { audioContentType } from './content-type';
import { contentDisposition } from '../util/content-disposition';
import type { ByteRange, ListedObject, RecordingStore, StoredObject } from './target';

const PART_SIZE = 8 * 1024 * 1024;

/** Header-safe: ASCII printable, no CR/LF, bounded. */
function headerValue(v: unknown): string {
  return encodeURIComponent(String(v ?? '')).slice(0, 512);
}

export class S3Target implements RecordingStore {
  readonly #client: Client;
  #bucketChecked = false;

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

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string): Promise<void> {
    await this.#ensureBucket();
    const size = (await stat(localPath)).size;
    const headers: Record<string, string> = {
      'Content-Type': audioContentType(key),
      'X-Amz-Meta-Call-Uuid': headerValue(meta.callUuid),
      'X-Amz-Meta-Srcnum': headerValue(meta.srcnum),
      'X-Amz-Meta-Dstnum': headerValue(meta.dstnum),
      'X-Amz-Meta-Direction': headerValue(meta.direction),
      'X-Amz-Meta-Network': headerValue(meta.network),
      'X-Amz-Meta-Tenant': headerValue(meta.tenantUuid),
      'X-Amz-Meta-Reasons': headerValue(meta.reasons.join('; ')),
    };
    if (meta.user) headers['X-Amz-Meta-User'] = headerValue(meta.user);
    if (meta.device) headers['X-Amz-Meta-Device'] = headerValue(meta.device);
    try {
      await this.#client.putObject(this.cfg.bucket, key, createReadStream(localPath), size, headers);
      const json = Buffer.from(JSON.stringify({ ...meta, result, md5 }, null, 1));
      await this.#client.putObject(this.cfg.bucket, `${key}.json`, json, json.length, { 'Content-Type': 'application/json' });
    } catch (err) {
      throw this.#explain(err);
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    await this.#ensureBucket();
    try {
      const s = await this.#client.statObject(this.cfg.bucket, key);
      // A single-part upload's ETag is the MD5 of the object; a multipart one's is not (it has a -N suffix).
      const etag = s.etag.replace(/"/g, '');
      return { size: s.size, md5: /^[0-9a-f]{32}$/.test(etag) ? etag : undefined };
    } catch (err) {
      const code = (err as { code?: string }).code;
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
}
