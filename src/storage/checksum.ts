/** Checksums the storage layer compares: a file's MD5, a stream's MD5, and the ETag S3 gives a multipart upload. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function md5Stream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function md5File(path: string): Promise<string> {
  return md5Stream(createReadStream(path));
}

/**
 * The ETag AWS S3 (and MinIO, Ceph) give an object uploaded in parts of `partSize` bytes: the MD5 of the
 * parts' binary MD5s, then `-<parts>`. The server computes it from the parts it received, so a match proves
 * the stored bytes are the local file's (given the same part size).
 */
export async function multipartEtag(path: string, partSize: number): Promise<string> {
  const partHashes: Buffer[] = [];
  let part = createHash('md5');
  let filled = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - filled, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      filled += take;
      offset += take;
      if (filled === partSize) {
        partHashes.push(part.digest());
        part = createHash('md5');
        filled = 0;
      }
    }
  }
  if (filled > 0 || partHashes.length === 0) partHashes.push(part.digest());
  return `${createHash('md5').update(Buffer.concat(partHashes)).digest('hex')}-${partHashes.length}`;
}

/** `abc…-3` is a multipart ETag; a bare 32-digit hex one is (for unencrypted single-part objects) the MD5. */
export function etagKind(etag: string): { md5: string } | { multipart: string } | { unknown: string } {
  const e = etag.replace(/"/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(e)) return { md5: e };
  if (/^[0-9a-f]{32}-\d+$/.test(e)) return { multipart: e };
  return { unknown: e };
}
