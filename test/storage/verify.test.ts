import t from 'tap';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etagKind, md5File, multipartEtag } from '../../src/storage/checksum';
import { verifyStored } from '../../src/storage/verify';
import { tempDir } from '../helpers/storage-fixtures';

const bytes = Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 7) % 251));

/** S3's multipart ETag, from its definition: MD5 of the concatenated binary MD5s of the parts, "-", parts. */
function s3MultipartEtag(data: Buffer, partSize: number): string {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += partSize) parts.push(createHash('md5').update(data.subarray(off, off + partSize)).digest());
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}

t.test('multipart ETag of a file, as S3 computes it from the parts', async (t) => {
  const path = join(tempDir(t, 'fsrecd-verify-'), 'a.wav');
  writeFileSync(path, bytes);
  t.equal(await multipartEtag(path, 1000), s3MultipartEtag(bytes, 1000), 'three parts, the last short');
  t.equal(await multipartEtag(path, 500), s3MultipartEtag(bytes, 500), 'five full parts');
  t.match(await multipartEtag(path, 1000), /-3$/);
  t.same(etagKind('"5d41402abc4b2a76b9719d911017c592"'), { md5: '5d41402abc4b2a76b9719d911017c592' });
  t.same(etagKind('"5d41402abc4b2a76b9719d911017c592-3"'), { multipart: '5d41402abc4b2a76b9719d911017c592-3' });
  t.same(etagKind('"abc"'), { unknown: 'abc' });
});

t.test('verifyStored uses the strongest checksum there is and says which', async (t) => {
  const path = join(tempDir(t, 'fsrecd-verify-'), 'a.wav');
  writeFileSync(path, bytes);
  const local = { size: bytes.length, md5: await md5File(path) };
  t.same(await verifyStored(null, path, local), { ok: false, reason: 'nothing stored' });
  t.match(await verifyStored({ size: 10, md5: local.md5 }, path, local), { ok: false, reason: /10 bytes/ });
  t.same(await verifyStored({ size: bytes.length, md5: local.md5 }, path, local), { ok: true, by: 'md5' });
  t.match(await verifyStored({ size: bytes.length, md5: 'f'.repeat(32), claimedMd5: local.md5 }, path, local), { ok: false }, "the server's MD5 wins over a claim");
  t.same(await verifyStored({ size: bytes.length, multipart: { etag: s3MultipartEtag(bytes, 1000), partSize: 1000 } }, path, local), { ok: true, by: 'multipart-etag' });
  t.match(await verifyStored({ size: bytes.length, multipart: { etag: s3MultipartEtag(Buffer.alloc(2500), 1000), partSize: 1000 } }, path, local), { ok: false, reason: /multipart ETag/ });
  t.same(await verifyStored({ size: bytes.length, claimedMd5: local.md5 }, path, local), { ok: true, by: 'size-and-claimed-md5' });
  t.match(await verifyStored({ size: bytes.length }, path, local), { ok: false, reason: /no checksum/ });
});
