/** Does a stored object hold the local file's bytes? What the spool asks before it deletes the local copy. */
import { multipartEtag } from './checksum';
import type { StoredObject } from './target';

export type Verification =
  /** md5: the storage's own MD5 matched; multipart-etag: the server's multipart ETag matched the file's parts. */
  | { ok: true; by: 'md5' | 'multipart-etag' | 'size-and-claimed-md5' }
  | { ok: false; reason: string };

/**
 * Size always; then the strongest checksum there is: the storage's MD5, else the multipart ETag recomputed from
 * the local file, else (an ETag of no known form) only the MD5 the uploader claimed, reported as such.
 */
export async function verifyStored(stored: StoredObject | null, localPath: string, local: { size: number; md5: string }): Promise<Verification> {
  if (!stored) return { ok: false, reason: 'nothing stored' };
  if (stored.size !== local.size) return { ok: false, reason: `stored ${stored.size} bytes, local ${local.size}` };
  if (stored.md5 !== undefined) {
    return stored.md5 === local.md5 ? { ok: true, by: 'md5' } : { ok: false, reason: `stored md5 ${stored.md5}, local ${local.md5}` };
  }
  if (stored.multipart) {
    const expected = await multipartEtag(localPath, stored.multipart.partSize);
    return expected === stored.multipart.etag ? { ok: true, by: 'multipart-etag' } : { ok: false, reason: `stored multipart ETag ${stored.multipart.etag}, local parts give ${expected}` };
  }
  if (stored.claimedMd5 === local.md5) return { ok: true, by: 'size-and-claimed-md5' };
  return { ok: false, reason: `no checksum to compare (claimed md5 ${stored.claimedMd5 ?? 'none'}, local ${local.md5})` };
}
