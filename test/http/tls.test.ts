import t from 'tap';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startFsrecd, type Fsrecd } from '../../src/app';
import { loadConfigFromString } from '../../src/config/load';
import { createLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { waitFor } from '../helpers/wait-for';
import { getTls, makeCa, makePair, type Pair } from './tls-fixture';

/** Replaces a file the way a renewal does: a new file renamed over the old one. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

async function daemonWithTls(t: { teardown(fn: () => unknown): void }, dir: string, tlsYaml: string): Promise<{ app: Fsrecd; port: number; log: string[]; metrics: Metrics }> {
  const sim = new FreeswitchSimulator({ password: 'Test-Pw-1' });
  const eslPort = await sim.start();
  writeFileSync(join(dir, 'tokens'), 'admin-token-0123456789abcdef\n', { mode: 0o600 });
  const loaded = await loadConfigFromString(
    `esl: {port: ${eslPort}, password: Test-Pw-1}\nspool_dir: ${dir}/spool\nstate_dir: ${dir}/state\nstorage: {type: local, dir: ${dir}/stored}\n` +
      `http: {listen: "127.0.0.1:0", tokens_file: ${dir}/tokens, tls: ${tlsYaml}}\n`,
    'tls.yml',
  );
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const log: string[] = [];
  const stream = new PassThrough();
  stream.setEncoding('utf8');
  stream.on('data', (line: string) => log.push(line));
  const metrics = new Metrics();
  const app = await startFsrecd({ config: loaded.config, log: createLogger('info', stream), metrics });
  t.teardown(async () => {
    await app.stop(1000);
    await sim.stop();
  });
  return { app, port: app.httpAddress()?.port ?? 0, log, metrics };
}

t.test('the listener serves TLS, takes a renewed certificate, and keeps the old pair when the new one is broken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir);
  const ca = join(dir, 'ca.pem');
  const first = makePair(dir, 'first', 0x11);
  const renewed = makePair(dir, 'renewed', 0x22);
  const other = makePair(dir, 'other', 0x33);
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  const { port, log, metrics } = await daemonWithTls(t, dir, `{cert_file: ${certFile}, key_file: ${keyFile}, check_interval_ms: 100}`);
  const caPem = readFileSync(ca, 'utf8');

  const health = await getTls(port, '/healthz', caPem);
  t.equal(health.serial, first.serial, 'the configured certificate is served');
  t.ok([200, 503].includes(health.status), 'and the listener answers over it');
  t.match(log.join(''), /"tls":\{"certFile":"[^"]*server.pem","clientCertificates":false\}/, 'the start-up line says TLS is on');
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'plain HTTP is not answered on a TLS listener');

  // A renewal: key first, then the certificate (a window in which the pair does not match).
  replace(keyFile, renewed.key);
  replace(certFile, renewed.cert);
  await waitFor(async () => (await getTls(port, '/healthz', caPem)).serial === renewed.serial, 'the renewed certificate served');
  await waitFor(() => log.some((l) => l.includes('TLS certificate reloaded') && l.includes('CN=renewed')), 'the reload logged');

  // A broken pair: the certificate of one key with another key. The renewed pair stays.
  const failuresBefore = metrics.value('fsrecd_tls_reload_failures_total');
  replace(certFile, other.cert);
  await waitFor(() => log.some((l) => l.includes('TLS certificate or key changed but cannot be used; keeping the previous pair') && l.includes("the key is not the certificate's")), 'the refused pair logged');
  t.ok(metrics.value('fsrecd_tls_reload_failures_total') > failuresBefore, 'and counted');
  t.equal((await getTls(port, '/healthz', caPem)).serial, renewed.serial, 'new connections still get the previous pair');

  // Not PEM at all: refused the same way.
  replace(keyFile, 'not a key\n');
  await waitFor(() => log.filter((l) => l.includes('keeping the previous pair')).length >= 2, 'the unreadable key logged');
  t.equal((await getTls(port, '/healthz', caPem)).serial, renewed.serial, 'still the previous pair');

  // Fixed: the next good pair is taken.
  replace(keyFile, other.key);
  await waitFor(async () => (await getTls(port, '/healthz', caPem)).serial === other.serial, 'the repaired pair served');
  t.equal(metrics.value('fsrecd_tls_certificate_expiry_seconds') > Date.now() / 1000, true, 'the served certificate\'s expiry is a metric');
});

t.test('with ca_file, a client must present a certificate the CA signed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-mtls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir);
  const server = makePair(dir, 'server', 0x44);
  const client: Pair = makePair(dir, 'client', 0x55, true);
  writeFileSync(join(dir, 'server.pem'), server.cert);
  writeFileSync(join(dir, 'server.key'), server.key);
  const { port } = await daemonWithTls(t, dir, `{cert_file: ${dir}/server.pem, key_file: ${dir}/server.key, ca_file: ${ca}, min_version: TLSv1.3}`);
  const caPem = readFileSync(ca, 'utf8');
  t.equal((await getTls(port, '/healthz', caPem, client)).serial, server.serial, 'a client with a certificate gets through');
  await t.rejects(getTls(port, '/healthz', caPem), 'a client without one is refused in the handshake');
});

t.test('check-config refuses TLS files that cannot serve, at the key that names them; warns of clear text off loopback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-tlscfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir);
  const a = makePair(dir, 'a', 0x66);
  const b = makePair(dir, 'b', 0x77);
  writeFileSync(join(dir, 'a.pem'), a.cert);
  writeFileSync(join(dir, 'a.key'), a.key);
  writeFileSync(join(dir, 'b.key'), b.key);
  writeFileSync(join(dir, 'junk.pem'), 'hello\n');
  const load = (http: string) => loadConfigFromString(`spool_dir: ${dir}/spool\nstate_dir: ${dir}/state\nhttp:\n${http}\n`, 'check.yml');
  const problems = async (http: string): Promise<string[]> => {
    const r = await load(http);
    return r.ok ? [] : r.errors.map(String);
  };

  const mismatch = await problems(`  tls:\n    cert_file: ${dir}/a.pem\n    key_file: ${dir}/b.key`);
  t.match(mismatch, [/^check\.yml:6:\d+: http\.tls\.key_file: .*b\.key: .*the key is not the certificate's/], 'a key of another certificate, at key_file');
  t.match(await problems(`  tls:\n    cert_file: ${dir}/junk.pem\n    key_file: ${dir}/b.key`), [/http\.tls\.cert_file: .*junk\.pem/], 'a certificate that is not PEM');
  t.match(await problems(`  tls:\n    cert_file: ${dir}/none.pem\n    key_file: ${dir}/b.key`), [/http\.tls\.cert_file: cannot read .*none\.pem: ENOENT/], 'a missing file');
  t.match(await problems(`  tls: {cert_file: ${dir}/a.pem}`), [/http\.tls\.key_file: required with http\.tls/], 'the key is required');
  t.match(await problems(`  tls: {cert_file: ${dir}/a.pem, key_file: ${dir}/a.key, min_version: TLSv1.0}`), [/min_version: expected one of TLSv1\.2, TLSv1\.3/], 'only TLS 1.2 and 1.3');
  t.same(await problems(`  tls: {cert_file: ${dir}/a.pem, key_file: ${dir}/a.key}`), [], 'a matching pair is valid');

  const open = await load('  listen: "0.0.0.0:9380"');
  t.ok(open.ok, 'a listener off loopback without TLS is allowed (a TLS proxy may front it)');
  t.ok(open.ok && open.warnings.some((w) => /^http\.listen: 0\.0\.0\.0:9380 is not a loopback address and http\.tls is not set/.test(w)), 'but warned about');
  const loopback = await load('  listen: "127.0.0.1:9380"');
  t.ok(loopback.ok && !loopback.warnings.some((w) => w.includes('loopback')), 'loopback: no warning');
});
