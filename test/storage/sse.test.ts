/**
 * storage.sse (issue #14 item 5) against the real S3 server with the fault proxy in front. s3rver does not
 * implement server-side encryption (it ignores the headers and stores the bytes as sent) nor checksums
 * (no x-amz-checksum-sha256 is kept or returned); so this checks what can be checked for real:
 * - the config: each type read, each mistake refused at file:line:column;
 * - the headers every request carries, as the proxy saw them (SSE on the PUT, the SSE-C key on PUT, HEAD
 *   and GET and never in a URL; Content-MD5 and x-amz-checksum-sha256 of the bytes sent);
 * - verification when the ETag is no MD5, as with SSE-KMS/SSE-C: the proxy replaces the ETag and adds what
 *   such a server would say (x-amz-server-side-encryption, a stored SHA-256 or none).
 */
import t, { type Test as Tap } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFromString } from '../../src/config/load';
import type { SseConfig } from '../../src/config/sse';
import type { S3StorageConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { Spool } from '../../src/spool/spool';
import { S3Target } from '../../src/storage/s3-target';
import { on, S3FaultProxy, type LoggedRequest } from '../helpers/s3-fault-proxy';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, defaultKeyOf, directClient, objectBytes, recordingMeta, s3Config, tempDir } from '../helpers/storage-fixtures';
import { waitFor } from '../helpers/wait-for';

const FILE = '/etc/fsrecd/fsrecd.yml';
const S3_BASE = 'storage:\n  type: s3\n  endpoint: 127.0.0.1\n  bucket: recordings\n  access_key: a\n  secret_key: b\n';

async function configErrors(yaml: string): Promise<string[]> {
  const r = await loadConfigFromString(yaml, FILE, {});
  return r.ok ? [] : r.errors.map(String);
}

async function sseOf(yaml: string): Promise<SseConfig | undefined> {
  const r = await loadConfigFromString(yaml, FILE, {});
  if (!r.ok) throw new Error(r.errors.map(String).join('\n'));
  return (r.config.storage as S3StorageConfig).sse;
}

t.test('storage.sse: each type is read; a bad block is refused at file:line:column', async (t) => {
  const dir = tempDir(t, 'fsrecd-sse-cfg-');
  const key = randomBytes(32);
  writeFileSync(join(dir, 'raw.key'), key);
  writeFileSync(join(dir, 'b64.key'), `${key.toString('base64')}\n`);
  writeFileSync(join(dir, 'short.key'), 'too short');
  t.same(await sseOf(`${S3_BASE}  sse: {type: s3}\n`), { type: 's3' });
  t.same(await sseOf(`${S3_BASE}  sse:\n    type: kms\n    key_id: arn:aws:kms:eu-west-1:1:key/k1\n    context: {tenant: acme}\n`), { type: 'kms', keyId: 'arn:aws:kms:eu-west-1:1:key/k1', context: { tenant: 'acme' } });
  const raw = await sseOf(`${S3_BASE}  sse: {type: c, key_file: ${join(dir, 'raw.key')}}\n`);
  const b64 = await sseOf(`${S3_BASE}  sse: {type: c, key_file: ${join(dir, 'b64.key')}}\n`);
  t.ok(raw?.type === 'c' && raw.key.equals(key), '32 raw bytes');
  t.ok(b64?.type === 'c' && b64.key.equals(key), '44 characters of base64 (a newline after them is fine)');
  t.equal(raw?.type === 'c' ? raw.keyMd5 : '', createHash('md5').update(key).digest('base64'), 'the key MD5 S3 wants beside it');
  t.equal(await sseOf(S3_BASE), undefined, 'none: the bucket default');

  t.same(await configErrors(`${S3_BASE}  sse:\n    type: c\n    key_file: ${join(dir, 'short.key')}\n`), [
    `${FILE}:9:15: storage.sse.key_file: ${join(dir, 'short.key')} must hold a 256-bit key: 32 raw bytes or 44 characters of base64, got 9 bytes`,
  ]);
  t.match(await configErrors(`${S3_BASE}  sse:\n    type: c\n    key_file: ${join(dir, 'missing.key')}\n`), [/fsrecd\.yml:9:15: storage\.sse\.key_file: .*missing\.key cannot be read: ENOENT/]);
  t.same(await configErrors(`${S3_BASE}  sse:\n    type: kms\n`), [`${FILE}:8:5: storage.sse.key_id: sse type kms needs key_id (the KMS key id or ARN)`]);
  t.match(await configErrors(`${S3_BASE}  sse:\n    type: aes\n`), [/fsrecd\.yml:8:11: storage\.sse\.type: expected one of s3, kms, c, got/]);
  t.match(await configErrors(`${S3_BASE}  sse:\n    type: s3\n    key_id: x\n`), [/fsrecd\.yml:9:5: storage\.sse\.key_id: unknown key/]);
  t.match(await configErrors(`${S3_BASE}  sse:\n    key_id: x\n`), [/fsrecd\.yml:\d+:\d+: storage\.sse\.type: storage\.sse needs a type/]);
});

async function rig(t: Tap, sse: SseConfig | undefined, keepLocalDays = 0) {
  const s3 = await startS3([BUCKET]);
  const proxy = await S3FaultProxy.start(s3.port);
  t.teardown(async () => {
    await proxy.close();
    await s3.remove();
  });
  const cfg: S3StorageConfig = { ...s3Config(proxy.port), sse };
  const dir = tempDir(t, 'fsrecd-sse-');
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 2, retryMinMs: 20, retryMaxMs: 100, keepLocalDays, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 600_000, healthMaxBacklog: 500 }, target: new S3Target(cfg, silentLogger()), log: silentLogger(), metrics: new Metrics() });
  await spool.start();
  t.teardown(() => spool.stop(100));
  const record = async (id: string, bytes: Buffer) => {
    const m = recordingMeta(spoolDir, id, `acme/${id}.wav`);
    await spool.started(m);
    writeFileSync(m.path, bytes);
    await spool.finished(m, { endedAt: '2026-11-24T10:00:05.000Z', durationMs: 5000, completionCause: 'success-silence' });
    return m;
  };
  return { s3, proxy, spool, record, target: new S3Target(cfg, silentLogger()), direct: directClient(s3.port) };
}

/** Where record('a') is stored: the fixture's node, then acme/a.wav. */
const A_KEY = defaultKeyOf('acme/a.wav');

const sent = (proxy: S3FaultProxy, method: string, key: string): LoggedRequest[] => proxy.requests.filter((r) => r.method === method && r.key === key);

t.test('SSE-KMS: the PUT names the key and its context; Content-MD5 and x-amz-checksum-sha256 are those of the bytes', async (t) => {
  const { proxy, spool, record } = await rig(t, { type: 'kms', keyId: 'k1', context: { tenant: 'acme' } });
  const bytes = randomBytes(70_000);
  await record('a', bytes);
  await waitFor(() => spool.status().stored === 1, 'stored');
  const [put] = sent(proxy, 'PUT', A_KEY);
  t.equal(put?.headers['x-amz-server-side-encryption'], 'aws:kms');
  t.equal(put?.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'k1');
  t.same(JSON.parse(Buffer.from(String(put?.headers['x-amz-server-side-encryption-context']), 'base64').toString()), { tenant: 'acme' });
  t.equal(put?.headers['content-md5'], createHash('md5').update(bytes).digest('base64'), 'the server checks the bytes it receives');
  t.equal(put?.headers['x-amz-checksum-sha256'], createHash('sha256').update(bytes).digest('base64'), 'and keeps a SHA-256 of them where it can');
  t.equal(put?.headers['x-amz-meta-fsrecd-sha256'], createHash('sha256').update(bytes).digest('hex'), 'the SHA-256 fsrecd claims, read back when the server keeps none');
  // S3 encrypts bytes, not x-amz-meta-* headers: under SSE the caller's numbers must not ride on the object.
  t.notOk(put?.headers['x-amz-meta-fsrecd-meta'], 'no metadata in the (unencrypted) headers');
  const personal = Object.entries(put?.headers ?? {}).filter(([k, v]) => k.startsWith('x-amz-meta-') && /1001|1002|srcnum|dstnum|user|device|reasons/.test(`${k}=${String(v)}`));
  t.same(personal, [], 'no number, user, device or reason in any header');
  const [json] = sent(proxy, 'PUT', `${A_KEY}.json`);
  t.equal(json?.headers['x-amz-server-side-encryption'], 'aws:kms', 'the metadata object is written, encrypted like the audio');
  // s3rver ignores SSE: its ETag is the MD5, yet with SSE-KMS configured the ETag is not taken as one.
  t.equal(spool.journal.entries.get('a')?.verifiedBy, 'size-and-claimed-sha256', 'verified by size and the SHA-256 read back (s3rver keeps no checksum)');
});

t.test('SSE-S3: AES256 on the PUT; its ETag is still the MD5', async (t) => {
  const { proxy, spool, record } = await rig(t, { type: 's3' });
  await record('a', randomBytes(1000));
  await waitFor(() => spool.status().stored === 1, 'stored');
  t.equal(sent(proxy, 'PUT', A_KEY)[0]?.headers['x-amz-server-side-encryption'], 'AES256');
  t.equal(spool.journal.entries.get('a')?.verifiedBy, 'md5');
});

t.test('SSE-C: the customer key goes with the PUT, the HEAD and the GET, and never in a URL', async (t) => {
  const key = randomBytes(32);
  const sse: SseConfig = { type: 'c', keyFile: '/etc/fsrecd/sse-c.key', key, keyMd5: createHash('md5').update(key).digest('base64') };
  const { proxy, spool, record, target } = await rig(t, sse);
  const bytes = randomBytes(5000);
  await record('a', bytes);
  await waitFor(() => spool.status().stored === 1, 'stored');
  const read = Buffer.concat(await (await target.open(A_KEY)).toArray());
  t.ok(read.equals(bytes), 'read back through the target');
  for (const [method, what] of [['PUT', 'the upload'], ['HEAD', 'the verifying HEAD'], ['GET', 'a download']] as const) {
    const r = sent(proxy, method, A_KEY).at(-1);
    t.equal(r?.headers['x-amz-server-side-encryption-customer-algorithm'], 'AES256', `${what}: algorithm`);
    t.equal(r?.headers['x-amz-server-side-encryption-customer-key'], key.toString('base64'), `${what}: key`);
    t.equal(r?.headers['x-amz-server-side-encryption-customer-key-md5'], sse.keyMd5, `${what}: key MD5`);
  }
  t.notOk(proxy.requests.some((r) => r.query.includes(encodeURIComponent(key.toString('base64'))) || r.query.includes(key.toString('base64'))), 'the key is in no query string (minio getObject would put it there)');
  t.equal(spool.journal.entries.get('a')?.verifiedBy, 'size-and-claimed-sha256');
});

t.test('an ETag that is not the MD5 (as SSE-KMS gives): verified by the SHA-256 the server kept, refused when it disagrees', async (t) => {
  const { proxy, spool, record } = await rig(t, { type: 'kms', keyId: 'k1' });
  const bytes = randomBytes(20_000);
  const kmsLike = (sha256: string) => (h: Record<string, string | string[] | undefined>) => {
    h.etag = `"${randomBytes(16).toString('hex')}"`;
    h['x-amz-server-side-encryption'] = 'aws:kms';
    h['x-amz-checksum-sha256'] = sha256;
  };
  const right = createHash('sha256').update(bytes).digest('base64');
  const wrong = createHash('sha256').update('other bytes').digest('base64');
  const lie = proxy.add((r) => r.key === A_KEY && (r.method === 'PUT' || r.method === 'HEAD'), { kind: 'reply-headers', edit: kmsLike(wrong) }, Number.POSITIVE_INFINITY);
  const m = await record('a', bytes);
  await waitFor(() => lie.hits >= 4, 'verifications against a SHA-256 that disagrees');
  t.equal(spool.status().stored, 0, 'not stored while the server\'s SHA-256 disagrees');
  t.ok(existsSync(m.path), 'the local copy stays');
  t.match(spool.status().lastError, /stored sha256 .* local /);
  proxy.clear();
  proxy.add((r) => r.key === A_KEY && (r.method === 'PUT' || r.method === 'HEAD'), { kind: 'reply-headers', edit: kmsLike(right) }, Number.POSITIVE_INFINITY);
  spool.retryNow();
  await waitFor(() => spool.status().stored === 1, 'stored once the SHA-256 agrees');
  t.equal(spool.journal.entries.get('a')?.verifiedBy, 'sha256', 'by the checksum the server computed, not the random ETag');
  await waitFor(() => !existsSync(m.path), 'then the local copy goes (keep_local_days: 0)');
});

t.test('without SSE an ETag that is not the MD5 of the bytes never verifies', async (t) => {
  const { proxy, spool, record, direct } = await rig(t, undefined);
  // The read-back asks a listing first (then a HEAD where the listed ETag is not the MD5 sent): both lie.
  proxy.add(on.list(), { kind: 'wrong-etag' }, Number.POSITIVE_INFINITY);
  const lie = proxy.add((r) => r.key === A_KEY && r.method === 'HEAD', { kind: 'reply-headers', edit: (h) => (h.etag = `"${randomBytes(16).toString('hex')}"`) }, Number.POSITIVE_INFINITY);
  const m = await record('a', Buffer.from('the audio of a'));
  await waitFor(() => lie.hits >= 3, 'several verifications');
  t.equal(spool.status().stored, 0);
  t.ok(existsSync(m.path), 'the local copy stays');
  t.same(await objectBytes(direct, A_KEY), Buffer.from('the audio of a'), 'the object itself is there once');
});
