/**
 * The S3 headers of storage.sse. SSE-S3 and SSE-KMS are named on the PUT (and on the multipart initiate)
 * only; SSE-C needs its key on every request that touches the bytes: PUT, each part, HEAD and GET.
 */
import type { SseConfig } from '../config/sse';

/** Headers that ask the server to encrypt what this request stores. */
export function sseWriteHeaders(sse: SseConfig | undefined): Record<string, string> {
  if (!sse) return {};
  if (sse.type === 's3') return { 'x-amz-server-side-encryption': 'AES256' };
  if (sse.type === 'kms') {
    const h: Record<string, string> = { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': sse.keyId };
    if (sse.context) h['x-amz-server-side-encryption-context'] = Buffer.from(JSON.stringify(sse.context)).toString('base64');
    return h;
  }
  return sseCustomerHeaders(sse);
}

/** Headers a HEAD, GET or part upload needs: the customer key for SSE-C, nothing otherwise. */
export function sseReadHeaders(sse: SseConfig | undefined): Record<string, string> {
  return sse?.type === 'c' ? sseCustomerHeaders(sse) : {};
}

function sseCustomerHeaders(sse: Extract<SseConfig, { type: 'c' }>): Record<string, string> {
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': sse.key.toString('base64'),
    'x-amz-server-side-encryption-customer-key-md5': sse.keyMd5,
  };
}

/**
 * With SSE-KMS and SSE-C an S3 ETag is not the MD5 of the bytes (single part or not), so it proves nothing
 * about them; with SSE-S3 (and none) a single-part ETag is the MD5 (AWS documents both).
 */
export function etagIsUntrusted(sse: SseConfig | undefined): boolean {
  return sse?.type === 'kms' || sse?.type === 'c';
}

/** The same judgement from what a server said about one object (its response headers). */
export function encryptionOf(headers: Record<string, unknown>): 'SSE-S3' | 'SSE-KMS' | 'SSE-C' | undefined {
  if (headers['x-amz-server-side-encryption-customer-algorithm'] !== undefined) return 'SSE-C';
  const v = String(headers['x-amz-server-side-encryption'] ?? '').toLowerCase();
  if (v.startsWith('aws:kms')) return 'SSE-KMS';
  if (v === 'aes256') return 'SSE-S3';
  return undefined;
}
