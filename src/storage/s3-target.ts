/**
 * S3-compatible storage (AWS S3, MinIO, Ceph RGW) through the minio client: streamed uploads (multipart
 * above minio's part size), call metadata as x-amz-meta-* headers, a JSON metadata object beside each file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Client } from 'minio';
import nunjucks from 'nunjucks';
import type { S3StorageConfig } from '../config/types';
import type { Logger } from '../log';
import type { RecordingMeta, RecordingResult } from '../recorder/types';
import type { StorageTarget, StoredObject } from './target';

const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg', opus: 'audio/ogg', flac: 'audio/flac' };
const env = new nunjucks.Environment(null, { autoescape: false });
const PART_SIZE = 8 * 1024 * 1024;

/** Header-safe: ASCII printable, no CR/LF, bounded. */
function headerValue(v: unknown): string {
  return encodeURIComponent(String(v ?? '')).slice(0, 512);
}

export class S3Target implements StorageTarget {
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

  keyFor(meta: RecordingMeta): string {
    const fallback = meta.relativePath;
    if (!this.cfg.keyTemplate) return fallback;
    const k = env.renderString(this.cfg.keyTemplate, { ...meta, relative_path: meta.relativePath }).replace(/^\/+/, '');
    return k.split('/').some((s) => s === '..' || s === '.') || !k ? fallback : k;
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

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined): Promise<void> {
    await this.#ensureBucket();
    const size = (await stat(localPath)).size;
    const ext = key.split('.').pop() ?? '';
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
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
      const json = Buffer.from(JSON.stringify({ ...meta, result }, null, 1));
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
}
