/** Checksums the storage layer compares: a file's MD5, a stream's MD5, and the ETag S3 gives a multipart upload. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

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

/** What one read of a file gave: its checksums, computed from the very bytes that were sent. */
export interface FileHashes {
  size: number;
  md5: string;
  sha256: string;
  /** The multipart ETag for `partSize` (S3's form), when the file went up in parts. */
  multipartEtag?: string;
  partSize: number;
}

/**
 * Reads the first `size` bytes of a file once, in parts of `partSize` bytes (the last may be shorter; an
 * empty file is one empty part), hashing every byte as it goes: the whole file's MD5 and SHA-256 and each
 * part's MD5. Each part is handed to `send`, and its buffer is read into again once that send has
 * finished, so memory is two parts whatever the file's length: `send` must not keep the part after it
 * resolves. A file shorter than `size` is an error (the caller checks afterwards that it did not change).
 */
export async function sendInParts(path: string, size: number, partSize: number, send: (part: Buffer, n: number, digests: PartDigests) => Promise<void>): Promise<FileHashes> {
  // One part: the part's digests are the file's (each byte is hashed once per algorithm, as a bare PUT does).
  const whole = size > partSize ? { md5: createHash('md5'), sha256: createHash('sha256') } : undefined;
  const parts: PartDigests[] = [];
  const fh = await open(path, 'r');
  // A file in several parts goes through two buffers, used in turn (one being sent, the next read into the
  // other): a new 8 MB buffer per part made a 200 MB upload allocate 25 of them, which glibc kept as heap
  // after they were freed (the daemon's RSS grew by the file's size, not by two parts).
  const buffers = whole ? [Buffer.allocUnsafe(partSize), Buffer.allocUnsafe(partSize)] : undefined;
  let turn = 0;
  const read = (offset: number): Promise<Buffer> => {
    const length = Math.min(partSize, size - offset);
    const into = buffers ? (buffers[turn++ % 2] as Buffer).subarray(0, length) : Buffer.allocUnsafe(length);
    return readPart(fh, offset, into);
  };
  let next: Promise<Buffer> | undefined = read(0);
  try {
    let offset = 0;
    for (let n = 1; next; n++) {
      const part = await next;
      next = undefined;
      whole?.md5.update(part);
      whole?.sha256.update(part);
      const digests = { md5: createHash('md5').update(part).digest(), sha256: createHash('sha256').update(part).digest() };
      parts.push(digests);
      offset += part.length;
      // The next part is read while this one is sent: two parts in memory at most, the disk and the
      // network busy at once.
      if (offset < size) next = read(offset);
      await send(part, n, digests);
    }
  } finally {
    await next?.catch(() => undefined);
    await fh.close();
  }
  const first = parts[0] as PartDigests;
  if (!whole) return { size, md5: first.md5.toString('hex'), sha256: first.sha256.toString('hex'), partSize };
  const multipartEtag = `${createHash('md5').update(Buffer.concat(parts.map((p) => p.md5))).digest('hex')}-${parts.length}`;
  return { size, md5: whole.md5.digest('hex'), sha256: whole.sha256.digest('hex'), partSize, multipartEtag };
}

/** One part's binary digests: Content-MD5 and the payload hash of its request. */
export interface PartDigests {
  md5: Buffer;
  sha256: Buffer;
}

/** Exactly `length` bytes at `position`. */
/** Fills `buf` from `position`; the part sent is `buf` itself (reused once its send has finished). */
async function readPart(fh: FileHandle, position: number, buf: Buffer): Promise<Buffer> {
  const length = buf.length;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`the file ended after ${position + filled} bytes, ${length - filled} short of what was to be sent (it changed while it was read)`);
    filled += bytesRead;
  }
  return buf;
}

/** MD5 and SHA-256 of a file in one read (when nothing was sent: an object already stored by an earlier run). */
export async function hashFile(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/** S3 sends checksums base64; fsrecd compares and journals hex. Undefined for anything that is not one. */
export function sha256FromBase64(v: unknown): string | undefined {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(v.trim())) return undefined;
  return Buffer.from(v.trim(), 'base64').toString('hex');
}
