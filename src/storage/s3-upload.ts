/**
 * One file to S3 in one read: a single PUT up to one part, else a multipart upload, the checksums computed
 * from the very bytes sent (checksum.ts sendInParts). minio-js's putObject cannot do this: it turns
 * x-amz-checksum-* into user metadata, cannot send Content-MD5 with a stream, and sends no SSE-C key with
 * the parts of a multipart upload. So the requests go through the client's signed request path.
 *
 * What each request asks the server to check on receipt (it refuses the request otherwise):
 * - Content-MD5 on the PUT and on every part: the server computes the MD5 of what it received;
 * - x-amz-checksum-sha256 on a single PUT (AWS S3, MinIO; servers without it ignore the header): the server
 *   computes the SHA-256 and keeps it with the object (HEAD with x-amz-checksum-mode: ENABLED returns it);
 * - on plain HTTP the signature covers the payload's SHA-256 too (x-amz-content-sha256).
 */
import type { IncomingMessage } from 'node:http';
import type { Client } from 'minio';
import type { SseConfig } from '../config/sse';
import { etagKind, sendInParts, sha256FromBase64, type FileHashes, type PartDigests } from './checksum';
import { encryptionOf, etagIsUntrusted, sseReadHeaders, sseWriteHeaders } from './sse-headers';
import type { StoredObject } from './target';

export interface UploadRequest {
  bucket: string;
  key: string;
  path: string;
  size: number;
  partSize: number;
  /** Content-Type and the x-amz-meta-* headers (lower-case names). */
  headers: Record<string, string>;
  /** Headers only a single PUT can carry: they name the checksums, known before it is sent. */
  checksumHeaders: (h: { md5: string; sha256: string }) => Record<string, string>;
  sse: SseConfig | undefined;
  /** Send If-None-Match: * (single PUT only: minio-js cannot make CompleteMultipartUpload conditional). */
  ifNoneMatch: boolean;
}

/** What was sent (read once) and what the server answered about what it stored. */
export interface SentObject {
  hashes: FileHashes;
  /**
   * The stored object as the PUT (or CompleteMultipartUpload) reply describes it: the size the server
   * accepted, and the ETag as a checksum only where it is one (no SSE-KMS/SSE-C; see verify.ts).
   */
  reply: StoredObject;
}

/** The part of the client this needs (typed in minio's d.ts, marked internal there). */
type S3Requests = Pick<Client, 'makeRequestStreamAsync' | 'initiateNewMultipartUpload' | 'completeMultipartUpload' | 'abortMultipartUpload' | 'enableSHA256'>;

async function drained(res: IncomingMessage): Promise<IncomingMessage> {
  for await (const chunk of res) void chunk;
  return res;
}

export async function uploadFile(client: S3Requests, req: UploadRequest): Promise<SentObject> {
  return req.size <= req.partSize ? singlePut(client, req) : multipart(client, req);
}

/** The payload hash the signature needs: the SHA-256 on plain HTTP; nothing on HTTPS (UNSIGNED-PAYLOAD). */
function payloadHash(client: S3Requests, d: PartDigests): string {
  return client.enableSHA256 ? d.sha256.toString('hex') : '';
}

async function singlePut(client: S3Requests, req: UploadRequest): Promise<SentObject> {
  let res: IncomingMessage | undefined;
  const hashes = await sendInParts(req.path, req.size, req.partSize, async (body, _n, d) => {
    const headers: Record<string, string> = {
      ...req.headers,
      ...req.checksumHeaders({ md5: d.md5.toString('hex'), sha256: d.sha256.toString('hex') }),
      ...sseWriteHeaders(req.sse),
      'content-length': String(body.length),
      'content-md5': d.md5.toString('base64'),
      'x-amz-checksum-sha256': d.sha256.toString('base64'),
      'x-amz-sdk-checksum-algorithm': 'SHA256',
    };
    if (req.ifNoneMatch) headers['if-none-match'] = '*';
    res = await drained(await client.makeRequestStreamAsync({ method: 'PUT', bucketName: req.bucket, objectName: req.key, headers }, body, payloadHash(client, d), [200], ''));
  });
  const h = (res as IncomingMessage).headers as Record<string, unknown>;
  const reply: StoredObject = { size: hashes.size, encryption: encryptionOf(h) ?? sseName(req.sse) };
  const kind = etagKind(String(h.etag ?? ''));
  if ('md5' in kind && !etagIsUntrusted(req.sse) && reply.encryption !== 'SSE-KMS' && reply.encryption !== 'SSE-C') reply.md5 = kind.md5;
  const sha256 = sha256FromBase64(h['x-amz-checksum-sha256']);
  if (sha256) reply.sha256 = sha256;
  return { hashes, reply };
}

async function multipart(client: S3Requests, req: UploadRequest): Promise<SentObject> {
  const { bucket, key } = req;
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, { ...req.headers, ...sseWriteHeaders(req.sse) });
  const etags: Array<{ part: number; etag: string }> = [];
  try {
    const hashes = await sendInParts(req.path, req.size, req.partSize, async (body, n, d) => {
      const headers = { ...sseReadHeaders(req.sse), 'content-length': String(body.length), 'content-md5': d.md5.toString('base64') };
      const query = `partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`;
      const res = await drained(await client.makeRequestStreamAsync({ method: 'PUT', bucketName: bucket, objectName: key, query, headers }, body, payloadHash(client, d), [200], ''));
      etags.push({ part: n, etag: String(res.headers.etag ?? '').replace(/"/g, '') });
    });
    // durable-exempt: completes the upload whose start the caller numbered (upload.put-object)
    const done = await client.completeMultipartUpload(bucket, key, uploadId, etags);
    const reply: StoredObject = { size: hashes.size, encryption: sseName(req.sse) };
    const kind = etagKind(done.etag);
    if ('multipart' in kind && !etagIsUntrusted(req.sse)) reply.multipart = { etag: kind.multipart, partSize: req.partSize };
    return { hashes, reply };
  } catch (err) {
    // The parts would wait for the bucket's lifecycle rule; the retry starts a new upload anyway.
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw err;
  }
}

function sseName(sse: SseConfig | undefined): StoredObject['encryption'] {
  return sse === undefined ? undefined : sse.type === 's3' ? 'SSE-S3' : sse.type === 'kms' ? 'SSE-KMS' : 'SSE-C';
}
