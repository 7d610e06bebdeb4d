/**
 * Does a stored object hold the local file's bytes? What the spool asks before it journals "stored" (and so
 * before the local copy may go). The rule, strongest proof first; size must match in every case:
 *
 * 1. md5: an MD5 the storage computed from the bytes it holds (a local file; an S3 single-part ETag that is
 *    a bare MD5, which the target reports only without SSE-KMS/SSE-C, where the ETag is not the MD5).
 * 2. sha256: the SHA-256 the server computed on receipt and kept (S3 `x-amz-checksum-sha256`, where the
 *    server supports it: AWS S3, MinIO).
 * 3. multipart-etag: the server's multipart ETag, recomputed from the local file's parts (no SSE-KMS/C).
 * 4. size-and-claimed-sha256 / size-and-claimed-md5: only the checksum fsrecd itself attached to the object
 *    (x-amz-meta-fsrecd-sha256 / -md5, or the `.json`) and read back. This proves the object is the one
 *    fsrecd sent for this file, with the right length; it does not prove the server kept those bytes
 *    intact (the server checked them on receipt against Content-MD5, but says nothing about that later).
 *    It is what remains with SSE-KMS or SSE-C on a server without checksums; the reason says so.
 * An ETag of no known form, or a stored checksum that disagrees, never passes: the local copy stays.
 */
import { hashFile, multipartEtag } from './checksum';
import type { StoredObject } from './target';

export type VerifiedBy = 'md5' | 'sha256' | 'multipart-etag' | 'size-and-claimed-sha256' | 'size-and-claimed-md5';

export type Verification = { ok: true; by: VerifiedBy } | { ok: false; reason: string };

/** The local file as the upload read it; what is missing is computed from the file (one more read). */
export interface LocalFacts {
  size: number;
  md5: string;
  sha256?: string;
  multipartEtag?: { etag: string; partSize: number };
}

export async function verifyStored(stored: StoredObject | null, localPath: string, local: LocalFacts): Promise<Verification> {
  if (!stored) return { ok: false, reason: 'nothing stored' };
  if (stored.size !== local.size) return { ok: false, reason: `stored ${stored.size} bytes, local ${local.size}` };
  if (stored.md5 !== undefined) {
    return stored.md5 === local.md5 ? { ok: true, by: 'md5' } : { ok: false, reason: `stored md5 ${stored.md5}, local ${local.md5}` };
  }
  const sha256 = async (): Promise<string> => local.sha256 ?? (await hashFile(localPath)).sha256;
  if (stored.sha256 !== undefined) {
    const mine = await sha256();
    return stored.sha256 === mine ? { ok: true, by: 'sha256' } : { ok: false, reason: `stored sha256 ${stored.sha256}, local ${mine}` };
  }
  if (stored.multipart) {
    const { etag, partSize } = stored.multipart;
    const expected = local.multipartEtag?.partSize === partSize ? local.multipartEtag.etag : await multipartEtag(localPath, partSize);
    return expected === etag ? { ok: true, by: 'multipart-etag' } : { ok: false, reason: `stored multipart ETag ${etag}, local parts give ${expected}` };
  }
  if (stored.claimedSha256 !== undefined) {
    const mine = await sha256();
    return stored.claimedSha256 === mine ? { ok: true, by: 'size-and-claimed-sha256' } : { ok: false, reason: `claimed sha256 ${stored.claimedSha256}, local ${mine}` };
  }
  if (stored.claimedMd5 === local.md5) return { ok: true, by: 'size-and-claimed-md5' };
  return { ok: false, reason: `no checksum to compare (${stored.encryption ? `${stored.encryption}: the ETag is no MD5; ` : ''}claimed md5 ${stored.claimedMd5 ?? 'none'}, local ${local.md5})` };
}
