/**
 * storage.sse: S3 server-side encryption, read and checked at load (every mistake located in the YAML, or
 * in the key file for SSE-C). The key of SSE-C is read here once, so a bad key file stops check-config and
 * the start, not the first upload.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Reader } from './reader';

/** SSE-S3 (AES256, keys managed by the server), SSE-KMS (a KMS key), SSE-C (a key fsrecd holds and sends). */
export type SseConfig =
  | { type: 's3' }
  | { type: 'kms'; keyId: string; context?: Record<string, string> }
  | { type: 'c'; keyFile: string; key: Buffer; keyMd5: string };

const TYPES = ['s3', 'kms', 'c'] as const;

/** 32 raw bytes, or their base64 (44 characters, surrounding whitespace ignored). */
export function parseSseCKey(bytes: Buffer): Buffer | string {
  if (bytes.length === 32) return bytes;
  const text = bytes.toString('latin1').trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32) return key;
  }
  return `must hold a 256-bit key: 32 raw bytes or 44 characters of base64, got ${bytes.length} bytes${text.length !== bytes.length ? ` (${text.length} after trimming)` : ''}`;
}

export function readSse(r: Reader, p: string[], v: unknown, baseDir: string): SseConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const type = r.oneOf([...p, 'type'], (v as Record<string, unknown>).type, TYPES, 's3');
  if ((v as Record<string, unknown>).type === undefined) r.error([...p, 'type'], `storage.sse needs a type: ${TYPES.join(', ')} (SSE-S3, SSE-KMS, SSE-C)`);
  if (type === 's3') {
    r.map(p, v, ['type']);
    return { type: 's3' };
  }
  if (type === 'kms') {
    const o = r.map(p, v, ['type', 'key_id', 'context']);
    const keyId = r.str([...p, 'key_id'], o.key_id, '');
    if (!keyId) r.error([...p, 'key_id'], 'sse type kms needs key_id (the KMS key id or ARN)');
    const context = readContext(r, [...p, 'context'], o.context);
    return context ? { type: 'kms', keyId, context } : { type: 'kms', keyId };
  }
  const o = r.map(p, v, ['type', 'key_file']);
  const keyFile = r.str([...p, 'key_file'], o.key_file, '');
  if (!keyFile) {
    r.error([...p, 'key_file'], 'sse type c needs key_file (a file holding the 256-bit customer key)');
    return { type: 'c', keyFile, key: Buffer.alloc(32), keyMd5: '' };
  }
  const file = resolve(baseDir, keyFile);
  let key: Buffer | string;
  try {
    key = parseSseCKey(readFileSync(file));
  } catch (err) {
    key = `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
  if (typeof key === 'string') {
    r.error([...p, 'key_file'], `${file} ${key}`);
    return { type: 'c', keyFile: file, key: Buffer.alloc(32), keyMd5: '' };
  }
  return { type: 'c', keyFile: file, key, keyMd5: createHash('md5').update(key).digest('base64') };
}

function readContext(r: Reader, p: string[], v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    r.error(p, 'expected a mapping of strings (the KMS encryption context)');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = r.str([...p, k], val, '');
  return out;
}
