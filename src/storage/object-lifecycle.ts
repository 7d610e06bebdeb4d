/**
 * What the recording lifecycle (src/lifecycle/) needs of a storage target beyond storing and reading:
 * removing an object for good, the bucket's S3 Object Lock and an object's legal hold, and small JSON
 * objects of its own (the retention lease, hold markers). Kept apart from the targets' upload path.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Client } from 'minio';
import { LocalTarget } from './local-target';
import { S3Target } from './s3-target';
import type { RecordingStore } from './target';

export interface ObjectLockSupport {
  /** The bucket has S3 Object Lock: a legal hold on an object stops anyone deleting it. */
  enabled: boolean;
  /** Why not, or what the bucket said (for check-config and the hold's message). */
  detail: string;
}

export interface StoredJson {
  value: unknown;
  /** Changes with every write of the object (an ETag; a local file's mtime and inode). */
  version: string;
}

export interface ObjectLifecycle {
  describe(): string;
  /** Removes the object (every version where the bucket keeps versions); false when nothing was there. */
  remove(key: string): Promise<boolean>;
  objectLock(): Promise<ObjectLockSupport>;
  /** Sets or clears the S3 Object Lock legal hold of the object (only where objectLock() says enabled). */
  setLegalHold(key: string, on: boolean): Promise<void>;
  /** Writes a small JSON object, replacing what is there. */
  putJson(key: string, value: unknown): Promise<void>;
  /** Creates a small JSON object only if nothing is at `key` (If-None-Match: * / an exclusive link); false if something was. */
  createJson(key: string, value: unknown): Promise<boolean>;
  readJson(key: string): Promise<StoredJson | undefined>;
}

/** The lifecycle side of the store the configuration names. */
export function objectLifecycleOf(store: RecordingStore): ObjectLifecycle {
  // The target's own stat: it sends what the bucket needs to answer a HEAD (an SSE-C key, say).
  if (store instanceof S3Target) return new S3ObjectLifecycle(store.lifecycleAccess(), (key) => store.stat(key));
  if (store instanceof LocalTarget) return new LocalObjectLifecycle(store.dir, store.describe());
  throw new Error(`${store.describe()}: this storage target cannot delete recordings`);
}

const errorCode = (err: unknown): string => String((err as { code?: unknown }).code ?? '');
const NOT_FOUND = new Set(['NotFound', 'NoSuchKey']);

class S3ObjectLifecycle implements ObjectLifecycle {
  #versioned: Promise<boolean> | undefined;

  constructor(
    private readonly s3: { client: Client; bucket: string; describe: string },
    private readonly stat: (key: string) => Promise<unknown>,
  ) {}

  describe(): string {
    return this.s3.describe;
  }

  async remove(key: string): Promise<boolean> {
    const { client, bucket } = this.s3;
    const existed = (await this.stat(key)) !== null;
    if (await this.#isVersioned()) {
      // A plain DELETE in a versioned bucket (every Object Lock bucket is one) only adds a delete marker and
      // keeps the recording as an older version: each version goes by its id.
      const versions: string[] = [];
      for await (const o of client.listObjects(bucket, key, false, { IncludeVersion: true }) as AsyncIterable<{ name?: string; versionId?: string | null }>) {
        if (o.name === key && o.versionId) versions.push(o.versionId);
      }
      for (const versionId of versions) await client.removeObject(bucket, key, { versionId }); // durable-exempt: numbered by the caller (lifecycle.remove-object / remove-metadata)
      return existed || versions.length > 0;
    }
    if (existed) await client.removeObject(bucket, key); // durable-exempt: numbered by the caller (lifecycle.remove-object / remove-metadata)
    return existed;
  }

  #isVersioned(): Promise<boolean> {
    this.#versioned ??= this.s3.client.getBucketVersioning(this.s3.bucket).then(
      (v) => /Enabled|Suspended/.test(String((v as { Status?: unknown } | undefined)?.Status ?? '')),
      () => false,
    );
    return this.#versioned;
  }

  async objectLock(): Promise<ObjectLockSupport> {
    try {
      const info = (await this.s3.client.getObjectLockConfig(this.s3.bucket)) as { objectLockEnabled?: string } | undefined;
      if (info?.objectLockEnabled === 'Enabled') return { enabled: true, detail: `bucket ${this.s3.bucket} has S3 Object Lock` };
      return { enabled: false, detail: `bucket ${this.s3.bucket} has no S3 Object Lock` };
    } catch (err) {
      const code = errorCode(err);
      // AWS and MinIO answer ObjectLockConfigurationNotFoundError; servers without the feature NotImplemented.
      if (/ObjectLockConfigurationNotFound|NotImplemented|InvalidRequest|MethodNotAllowed/.test(code)) return { enabled: false, detail: `bucket ${this.s3.bucket} has no S3 Object Lock (${code})` };
      throw err;
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    // minio-js 8.0.7's setObjectLegalHold leaves the object name and the ?legal-hold query out of its request
    // (it PUTs to the bucket): the same request is made here as S3 documents it.
    const body = `<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${on ? 'ON' : 'OFF'}</Status></LegalHold>`;
    const md5 = createHash('md5').update(body).digest('base64');
    await this.s3.client.makeRequestAsyncOmit({ method: 'PUT', bucketName: this.s3.bucket, objectName: key, query: 'legal-hold', headers: { 'Content-MD5': md5 } }, body, [200, 204]);
  }

  async putJson(key: string, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value));
    await this.s3.client.putObject(this.s3.bucket, key, body, body.length, { 'Content-Type': 'application/json' }); // durable-exempt: a hold marker or the lease, rewritten whole
  }

  async createJson(key: string, value: unknown): Promise<boolean> {
    const body = Buffer.from(JSON.stringify(value));
    try {
      await this.s3.client.putObject(this.s3.bucket, key, body, body.length, { 'Content-Type': 'application/json', 'If-None-Match': '*' }); // durable-exempt: the lease, created only if absent
      return true;
    } catch (err) {
      if (errorCode(err) === 'PreconditionFailed' || errorCode(err) === 'ConditionalRequestConflict') return false;
      throw err;
    }
  }

  async readJson(key: string): Promise<StoredJson | undefined> {
    let version: string;
    try {
      version = (await this.s3.client.statObject(this.s3.bucket, key)).etag;
    } catch (err) {
      if (NOT_FOUND.has(errorCode(err))) return undefined;
      throw err;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of await this.s3.client.getObject(this.s3.bucket, key)) chunks.push(c as Buffer);
      return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, version };
    } catch (err) {
      if (NOT_FOUND.has(errorCode(err))) return undefined;
      if (err instanceof SyntaxError) return { value: undefined, version };
      throw err;
    }
  }
}

class LocalObjectLifecycle implements ObjectLifecycle {
  constructor(
    private readonly dir: string,
    private readonly description: string,
  ) {}

  describe(): string {
    return this.description;
  }

  #path(key: string): string {
    const p = resolve(this.dir, key);
    const rel = relative(this.dir, p);
    if (!rel || rel.startsWith('..')) throw new Error(`object key escapes the storage directory: ${key}`);
    return p;
  }

  async remove(key: string): Promise<boolean> {
    return unlink(this.#path(key)).then( // durable-exempt: the deletion asked for; the index's tombstone follows it
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
  }

  async objectLock(): Promise<ObjectLockSupport> {
    return { enabled: false, detail: `${this.description} is a directory: no S3 Object Lock` };
  }

  async setLegalHold(): Promise<void> {
    throw new Error(`${this.description} has no S3 Object Lock`);
  }

  async putJson(key: string, value: unknown): Promise<void> {
    const p = this.#path(key);
    await mkdir(dirname(p), { recursive: true, mode: 0o750 });
    const tmp = `${p}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(value), { mode: 0o640 }); // durable-exempt: the temp of a hold marker or lease
    await rename(tmp, p); // durable-exempt: a hold marker or lease, rewritten whole
  }

  async createJson(key: string, value: unknown): Promise<boolean> {
    const p = this.#path(key);
    await mkdir(dirname(p), { recursive: true, mode: 0o750 });
    const tmp = `${p}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(value), { mode: 0o640 }); // durable-exempt: the temp of a lease object
    try {
      // link refuses an existing name: the exclusive create a directory offers.
      await link(tmp, p); // durable-exempt: a lease object, not a recording
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true }); // durable-exempt: our own temp name
    }
  }

  async readJson(key: string): Promise<StoredJson | undefined> {
    const p = this.#path(key);
    const st = await stat(p).catch(() => undefined);
    if (!st) return undefined;
    const text = await readFile(p, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      value = undefined;
    }
    return { value, version: `${st.ino}:${st.mtimeMs}:${st.size}` };
  }
}
