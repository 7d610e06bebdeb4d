/**
 * The built daemon as systemd runs it: a separate process (`node dist/cli.js run`), against the simulator
 * and a real S3-compatible server. Calls, *26, *3, SIGHUP with a changed rule, SIGTERM, restart: every
 * recording stored exactly once, and no secret in the logs.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { startS3 } from '../helpers/s3-server';
import { waitFor } from '../helpers/wait-for';

const CLI = join(__dirname, '../../dist/cli.js');
const ESL_PW = 'Esl-Secret-7f3';
const S3_SECRET = 'S3RVER';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const phone = (n: string) => ({ number: n, device: n, domain: 'acme.example' });

t.test('separate process: calls, *26, *3, SIGHUP, SIGTERM, restart; stored exactly once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-proc-'));
  const s3 = await startS3(['recordings']);
  const sim = new FreeswitchSimulator({ password: ESL_PW });
  const eslPort = await sim.start();
  const httpPort = await freePort();
  let daemon: ChildProcess | undefined;
  let output = '';
  t.teardown(async () => {
    daemon?.kill('SIGKILL');
    await sim.stop();
    await s3.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'esl.secret'), `${ESL_PW}\n`);
  mkdirSync(join(dir, 'conf.d'));
  const config = (aliceRule: string): string => `
esl: {port: ${eslPort}, password_file: esl.secret, reconnect_min_ms: 50, reconnect_max_ms: 500}
spool_dir: spool
state_dir: state
http: {listen: "127.0.0.1:${httpPort}"}
accounts:
  acme.example:
    tenant_uuid: acme
    users:
      alice: {record: ${aliceRule}}
      bob: {}
    devices:
      "1000": {user: alice}
      "1001": {user: bob}
storage: {type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: recordings, path_style: true, access_key: S3RVER, secret_key_env: FSRECD_TEST_S3_SECRET}
upload: {retry_min_ms: 50, retry_max_ms: 500}
`;
  writeFileSync(join(dir, 'fsrecd.yml'), config('off'));
  const start = (): ChildProcess => {
    const p = spawn(process.execPath, [CLI, 'run', '--config', join(dir, 'fsrecd.yml')], { env: { ...process.env, FSRECD_TEST_S3_SECRET: S3_SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    return p;
  };
  const healthy = async (): Promise<boolean> => {
    try {
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status === 200;
    } catch {
      return false;
    }
  };
  /** A call; `recorded` waits for the recording to start before hanging up. */
  const call = async (from: string, to: string, recorded: boolean, during?: (c: Awaited<ReturnType<typeof sim.createCall>>) => Promise<void>): Promise<string> => {
    const c = await sim.createCall({ from: phone(from), to, bridgeTo: phone(to) });
    await c.answer();
    if (recorded) await waitFor(() => sim.recordingsOf(c.aUuid).length > 0, `${from} -> ${to} recorded`);
    if (during) await during(c);
    await c.hangup();
    return c.aUuid;
  };

  daemon = start();
  await waitFor(healthy, 'the daemon healthy', 20_000);

  // alice off: not recorded. bob *26 on: recorded.
  await call('1000', '1001', false);
  const toggle = await sim.createCall({ from: phone('1001'), to: '*26', park: true });
  await waitFor(() => !sim.channel(toggle.aUuid), '*26 handled');
  await call('1001', '1000', true);
  // *3 by alice on a call no rule records (1002 is nobody's): one on-demand file.
  await call('1000', '1002', false, async (c) => {
    await c.dtmf('a', '*3');
    await waitFor(() => sim.recordingsOf(c.aUuid).length === 1, 'on-demand started');
  });

  // SIGHUP after editing the rule: alice now recorded.
  writeFileSync(join(dir, 'fsrecd.yml'), config('on'));
  daemon.kill('SIGHUP');
  await waitFor(() => output.includes('configuration reloaded'), 'reloaded');
  await call('1000', '1002', true);

  // SIGTERM: exits cleanly; then a restart carries on (and the toggle is still there).
  const exited = new Promise<number | null>((r) => daemon?.once('exit', (code) => r(code)));
  daemon.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM exits 0');
  daemon = start();
  await waitFor(healthy, 'healthy again', 20_000);
  await call('1001', '1002', true);

  const client = new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: S3_SECRET, pathStyle: true });
  const objects = async (): Promise<string[]> => {
    const names: string[] = [];
    for await (const o of client.listObjectsV2('recordings', '', true)) names.push((o as { name: string }).name);
    return names.filter((n) => !n.endsWith('.json')).sort();
  };
  await waitFor(async () => (await objects()).length === 4, 'four recordings stored', 20_000);
  const stored = await objects();
  t.equal(new Set(stored).size, 4, 'each stored exactly once');
  // No key_template: every key is the node (FreeSWITCH-Hostname), then the path below the spool.
  t.ok(stored.every((n) => n.startsWith(`${sim.hostname}/`)), `every key starts with the node: ${stored.join(', ')}`);
  t.equal(stored.filter((n) => n.startsWith(`${sim.hostname}/auto-`)).length, 1, 'one on-demand');

  const exited2 = new Promise<number | null>((r) => daemon?.once('exit', (code) => r(code)));
  daemon.kill('SIGTERM');
  await exited2;
  t.notOk(output.includes(ESL_PW), 'the ESL password never appears in the logs');
  t.notOk(output.includes(`"${S3_SECRET}"`) || output.includes(`secret_key":"${S3_SECRET}`), 'the S3 secret never appears in the logs');
  t.ok(output.split('\n').filter(Boolean).every((l) => l.startsWith('{')), 'every log line is JSON');

  // The recordings CLI against the same index and bucket: list, get (MD5-verified), a presigned URL, reindex.
  // Not spawnSync: s3rver runs in this process and must keep answering while the CLI talks to it.
  const cli = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [CLI, ...args, '--config', join(dir, 'fsrecd.yml')], { env: { ...process.env, FSRECD_TEST_S3_SECRET: S3_SECRET } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const listed = await cli('recordings', 'list', '--json', '--state', 'stored');
  t.equal(listed.status, 0, listed.stderr);
  const recs = (JSON.parse(listed.stdout) as { recordings: { id: string; key: string; trigger: string }[] }).recordings;
  t.same(recs.map((r) => r.key).sort(), stored, 'the index lists what the bucket holds');
  t.equal(recs.filter((r) => r.trigger === 'on-demand').length, 1);
  const first = recs[0] as { id: string; key: string };
  const got = await cli('recordings', 'get', first.id, '-o', join(dir, 'got.wav'));
  t.equal(got.status, 0, got.stderr);
  t.match(got.stderr, /md5 [0-9a-f]{32} verified/);
  const url = await cli('recordings', 'url', first.id, '--expires', '120');
  t.equal(url.status, 0, url.stderr);
  const viaUrl = Buffer.from(await (await fetch(url.stdout.trim())).arrayBuffer());
  t.ok(viaUrl.equals(readFileSync(join(dir, 'got.wav'))), 'the presigned URL serves the same bytes');
  for (const f of ['recordings.sqlite', 'recordings.sqlite-wal', 'recordings.sqlite-shm']) rmSync(join(dir, 'state', f), { force: true });
  const re = await cli('recordings', 'reindex');
  t.equal(re.status, 0, re.stderr);
  t.match(re.stdout, /4 object\(s\), 4 recording\(s\) indexed \(0 without metadata\)/);
});
