/**
 * GET /api/recordings/<id>/url against the running daemon storing in a real S3-compatible server (s3rver on
 * 127.0.0.1): a presigned URL that fetches the stored bytes, issued to readers of the recording's tenant,
 * "not found" for another tenant, and each one issued is in the audit trail.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFsrecd } from '../../src/app';
import { loadConfigFromString } from '../../src/config/load';
import { silentLogger } from '../../src/log';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { startS3 } from '../helpers/s3-server';
import { bearer, PHONE } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { auditOf, listAll, type Rec } from './lifecycle-fixture';

const READER = 'reader-token-0123456789abcdef';
const OTHER_READER = 'other-reader-token-0123456789';
const ADMIN = 'admin-token-0123456789abcdefgh';

t.test('a presigned URL from S3 storage, tenant-scoped and audited', async (t) => {
  const s3 = await startS3(['recordings']);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-url-'));
  const sim = new FreeswitchSimulator({ password: 'Test-Pw-1' });
  const eslPort = await sim.start();
  writeFileSync(join(dir, 'tokens'), `${READER} acme.example\n${OTHER_READER} other.example\n${ADMIN} role=admin\n`, { mode: 0o600 });
  const loaded = await loadConfigFromString(
    `
esl: {host: 127.0.0.1, port: ${eslPort}, password: Test-Pw-1, reconnect_min_ms: 20, reconnect_max_ms: 200}
spool_dir: ${dir}/spool
state_dir: ${dir}/state
storage: {type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: recordings, path_style: true, access_key: S3RVER, secret_key: S3RVER}
http: {listen: "127.0.0.1:0", tokens_file: ${dir}/tokens, url_expiry_seconds: 120}
upload: {retry_min_ms: 20, retry_max_ms: 200}
accounts:
  acme.example:
    record_account: {inbound: on, outbound: on}
`,
    'url.yml',
  );
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const app = await startFsrecd({ config: loaded.config, log: silentLogger() });
  t.teardown(async () => {
    await app.stop(1000);
    await sim.stop();
    await s3.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(() => app.esl.connected, 'connected');
  const call = await sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => sim.recordingsOf(call.aUuid).length === 1, 'recording');
  await call.hangup('a');
  await waitFor(async () => (await app.index.counts()).byState.stored === 1, 'stored in S3 and indexed');
  const base = `http://127.0.0.1:${app.httpAddress()?.port}`;

  const rec = (await listAll(base, READER))[0] as Rec;
  const stored = Buffer.from(await (await fetch(`${base}${rec.links.download}`, bearer(READER))).arrayBuffer());
  t.ok(stored.length > 44, 'the recording downloads through the API');

  const issued = await fetch(`${base}/api/recordings/${rec.id}/url`, bearer(READER));
  t.equal(issued.status, 200);
  const body = (await issued.json()) as { url: string; expiresInSeconds: number; expiresAt: string };
  t.equal(body.expiresInSeconds, 120, 'valid for http.url_expiry_seconds');
  t.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 120_000)) < 10_000, `expires at ${body.expiresAt}`);
  t.match(body.url, new RegExp(`^http://127\\.0\\.0\\.1:${s3.port}/recordings/`), 'a URL of the bucket itself');
  const viaUrl = await fetch(body.url);
  t.equal(viaUrl.status, 200);
  t.ok(Buffer.from(await viaUrl.arrayBuffer()).equals(stored), 'the presigned URL fetches the stored recording, no credential needed');

  const theirs = await fetch(`${base}/api/recordings/${rec.id}/url`, bearer(OTHER_READER));
  t.equal(theirs.status, 404, 'another tenant\'s reader: not found');
  t.equal((await fetch(`${base}/api/recordings/${rec.id}/url`)).status, 401, 'no credential');

  const trail = await auditOf(base, ADMIN);
  t.same(
    trail.map((e) => [e.action, e.recordingId, e.actor, e.tenant, e.from]),
    [
      ['url', rec.id, 'token on line 1', 'acme.example', '127.0.0.1'],
      ['download', rec.id, 'token on line 1', 'acme.example', '127.0.0.1'],
    ],
    'the URL issued is audited (the refused one is not: nothing was issued)',
  );
});
