/**
 * The metadata `fsrecd recordings reindex` rebuilds the index from (the recording's meta, its result and
 * checksums), carried on the S3 object itself as `x-amz-meta-fsrecd-meta` (base64 JSON) as well as in
 * `<key>.json`: one HEAD of the object tells what it is, and an encrypted object's SHA-256 claim is there
 * (S3Target.stat). Reindex reads the `.json` as before. S3 allows 2 KB of user metadata per object (AWS;
 * keys and values counted): metadata that does not fit (many parties, long names) is in the `.json` only.
 */

/** AWS's limit on the user metadata of one object, in bytes of keys and values (x-amz-meta- not counted). */
export const USER_METADATA_LIMIT = 2048;

export const META_HEADER = 'x-amz-meta-fsrecd-meta';

export function metadataJson(meta: object, result: unknown, sums: { md5: string; sha256: string }): string {
  return JSON.stringify({ ...meta, result, md5: sums.md5, sha256: sums.sha256 });
}

/** The headers' user metadata size, as S3 counts it. */
export function userMetadataBytes(headers: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('x-amz-meta-')) n += Buffer.byteLength(lower.slice('x-amz-meta-'.length)) + Buffer.byteLength(v);
  }
  return n;
}

/** The metadata as one header value, or undefined when the object's metadata would pass S3's limit with it. */
export function metadataHeader(json: string, otherHeaders: Record<string, string>): string | undefined {
  const value = Buffer.from(json).toString('base64');
  const total = userMetadataBytes(otherHeaders) + Buffer.byteLength(META_HEADER.slice('x-amz-meta-'.length)) + value.length;
  return total <= USER_METADATA_LIMIT ? value : undefined;
}

/** The metadata a header carries, parsed; undefined when there is none or it is not ours. */
export function parseMetadataHeader(v: unknown): unknown {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
