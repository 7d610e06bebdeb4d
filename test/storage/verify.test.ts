import t from 'tap';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etagKind, md5File, multipartEtag, sendInParts } from '../../src/storage/checksum';
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

t.test('the rule when the ETag is no MD5 (SSE-KMS, SSE-C): a server SHA-256, else the claimed one read back', async (t) => {
  const path = join(tempDir(t, 'fsrecd-verify-'), 'a.wav');
  writeFileSync(path, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const other = createHash('sha256').update('other').digest('hex');
  // No sha256 given for the local file: verifyStored computes it from the file.
  const local = { size: bytes.length, md5: await md5File(path) };
  t.same(await verifyStored({ size: bytes.length, sha256, encryption: 'SSE-KMS' }, path, local), { ok: true, by: 'sha256' }, 'the server computed it');
  t.match(await verifyStored({ size: bytes.length, sha256: other, claimedSha256: sha256 }, path, local), { ok: false, reason: /stored sha256/ }, "the server's SHA-256 wins over a claim");
  t.same(await verifyStored({ size: bytes.length, claimedSha256: sha256, claimedMd5: local.md5, encryption: 'SSE-C' }, path, local), { ok: true, by: 'size-and-claimed-sha256' }, 'SHA-256 claim before the MD5 claim');
  t.match(await verifyStored({ size: bytes.length, claimedSha256: other, claimedMd5: local.md5 }, path, local), { ok: false, reason: /claimed sha256/ }, 'a claim that disagrees is a failure, not a fall-through');
  t.match(await verifyStored({ size: bytes.length + 1, sha256 }, path, local), { ok: false, reason: /bytes/ }, 'size first, always');
  t.match(await verifyStored({ size: bytes.length, encryption: 'SSE-KMS' }, path, local), { ok: false, reason: /SSE-KMS: the ETag is no MD5/ }, 'nothing to compare: says why');
  // The multipart ETag computed while sending is used as is (no second read of the file).
  const sentEtag = { etag: s3MultipartEtag(bytes, 1000), partSize: 1000 };
  t.same(await verifyStored({ size: bytes.length, multipart: sentEtag }, '/nonexistent/file', { ...local, sha256, multipartEtag: sentEtag }), { ok: true, by: 'multipart-etag' });
});

t.test('sendInParts reads a file once and gives what S3 would compute from the parts', async (t) => {
  const path = join(tempDir(t, 'fsrecd-verify-'), 'a.wav');
  writeFileSync(path, bytes);
  const parts: Buffer[] = [];
  const hashes = await sendInParts(path, bytes.length, 1000, async (part, n, d) => {
    t.equal(n, parts.length + 1, 'parts in order');
    t.same(d.md5, createHash('md5').update(part).digest(), "each part's Content-MD5");
    parts.push(Buffer.from(part));
  });
  t.same(parts.map((p) => p.length), [1000, 1000, 500]);
  t.ok(Buffer.concat(parts).equals(bytes), 'every byte, once');
  t.same(hashes, { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), sha256: createHash('sha256').update(bytes).digest('hex'), partSize: 1000, multipartEtag: s3MultipartEtag(bytes, 1000) });
  const one = await sendInParts(path, bytes.length, 8 << 20, async () => undefined);
  t.same(one, { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), sha256: createHash('sha256').update(bytes).digest('hex'), partSize: 8 << 20 }, 'one part: no multipart ETag');
  await t.rejects(sendInParts(path, bytes.length + 10, 1000, async () => undefined), /ended after 2500 bytes/, 'a file shorter than announced is an error, not a short upload');
  const empty = join(tempDir(t, 'fsrecd-verify-'), 'empty.wav');
  writeFileSync(empty, '');
  let sends = 0;
  t.equal((await sendInParts(empty, 0, 1000, async () => void sends++)).md5, createHash('md5').digest('hex'));
  t.equal(sends, 1, 'an empty file is one empty PUT');
});
