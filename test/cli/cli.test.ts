/** The command line as an operator uses it: the built CLI in a separate process. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { Spool } from '../../src/spool/spool';
import { LocalTarget } from '../../src/storage/local-target';

const CLI = join(__dirname, '../../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('check-config: 0 and a summary when valid, 1 and located errors when not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'good.yml'), 'esl: {port: 8022}\n');
  const good = run('check-config', '--config', join(dir, 'good.yml'));
  t.equal(good.status, 0);
  t.match(good.stdout, /^ok: 1 file\(s\), 0 account\(s\).*FreeSWITCH 127\.0\.0\.1:8022/);
  t.match(good.stdout, /^index: sqlite \/var\/lib\/fsrecd\/recordings\.sqlite$/m, 'which index, without opening it');
  t.match(good.stdout, /^object keys: <node>\/<relative path> \(the relative path alone when the node is not known\)$/m, 'the default key, said');
  writeFileSync(join(dir, 'pg-password'), 'not-shown\n');
  writeFileSync(join(dir, 'pg.yml'), 'index:\n  type: postgres\n  postgres: {url: "postgres://fsrecd@127.0.0.1:1/fsrecd", password_file: pg-password}\nstorage: {type: s3, endpoint: 127.0.0.1, port: 1, use_ssl: false, bucket: b, access_key: a, secret_key: s, key_template: "{{ node }}-{{ uuid }}-{{ seq }}"}\n');
  const pg = run('check-config', '--config', join(dir, 'pg.yml'));
  t.match(pg.stdout, new RegExp(`^index: postgres postgres://fsrecd@127\\.0\\.0\\.1:1/fsrecd \\(tls disable, pool 10, password from file ${join(dir, 'pg-password')}\\)$`, 'm'), 'the database, not connected to (nothing listens on port 1)');
  t.notMatch(pg.stdout + pg.stderr, /not-shown/, 'never the password');
  t.match(pg.stdout, /^object keys: storage\.key_template "\{\{ node \}\}-\{\{ uuid \}\}-\{\{ seq \}\}"$/m, 'the template in force');
  writeFileSync(join(dir, 'bad.yml'), 'esl:\n  port: high\n');
  const bad = run('check-config', '--config', join(dir, 'bad.yml'));
  t.equal(bad.status, 1);
  t.match(bad.stderr, `${join(dir, 'bad.yml')}:2:9: esl.port: expected a number, got string "high"`);
  t.match(bad.stderr, /1 problem\(s\); configuration NOT valid/);
});

t.test('check-config test-renders templates: one that compiles but cannot render is a located error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fsrecd.yml');
  writeFileSync(file, 'storage:\n  type: s3\n  endpoint: 127.0.0.1\n  bucket: b\n  access_key: a\n  secret_key: s\n  key_template: "{{ tenant_uuid }}/{{ srcnum }}.wav"\n');
  const r = run('check-config', '--config', file);
  t.equal(r.status, 1);
  t.match(r.stderr, `${file}:7:17: storage.key_template: the key template gives two recordings the same key`);
  t.match(r.stderr, /1 problem\(s\); configuration NOT valid/);
});

t.test('render prints the confined path a call would get', async (t) => {
  const r = run('render', '--config', '/nonexistent.yml', '--template', '{{ tenant_uuid }}/{{ srcnum }}-{{ dstnum }}', '--var', 'srcnum=../../etc/passwd', '--var', 'dstnum=1001', '--var', 'tenant_uuid=acme', '--spool-dir', '/var/spool/fsrecd');
  t.equal(r.status, 0);
  t.equal(r.stdout.trim(), '/var/spool/fsrecd/acme/etc_passwd-1001.wav');
  const broken = run('render', '--config', '/nonexistent.yml', '--template', '{{ srcnum ', '--spool-dir', '/s');
  t.equal(broken.status, 1);
  t.match(broken.stderr, /template error \(the recording would use the fallback name\)/);
});

t.test('status and sync read and drain the journal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  writeFileSync(join(dir, 'fsrecd.yml'), `spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\n`);
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 1, retryMinMs: 10, retryMaxMs: 10, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 5 }, target: new LocalTarget(join(dir, 'stored')), log: silentLogger(), metrics: new Metrics() });
  const path = join(spoolDir, 'a.wav');
  writeFileSync(path, 'x'.repeat(1000));
  const meta = { id: 'a', callUuid: 'c', legUuid: 'l', path, relativePath: 'a.wav', format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound' as const, network: 'internal' as const, domain: 'd', tenantUuid: 't', node: 'n', reasons: [], onDemand: false, startedAt: new Date().toISOString() };
  await spool.started(meta);
  await spool.finished(meta, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  // Released like a stopped daemon's: sync then works on the journal itself.
  await spool.stop(10);

  const status = run('status', '--config', join(dir, 'fsrecd.yml'));
  t.equal(status.status, 0);
  t.match(status.stdout, /FreeSWITCH: unknown \(http\.listen is off/);
  t.match(status.stdout, /backlog: 1 file\(s\), 1000 bytes/);
  t.match(status.stdout, /^recordings index \(sqlite \S+recordings\.sqlite\): 1 \(finished 1\)$/m);

  const sync = run('sync', '--config', join(dir, 'fsrecd.yml'));
  t.equal(sync.status, 0, sync.stderr);
  t.match(sync.stdout, /^1\/1 file\(s\), 0\.0\/0\.0 MB$/m);
  t.match(sync.stdout, /backlog now 0 file\(s\); stored 1, lost 0/);
  t.ok(existsSync(join(dir, 'stored', meta.node, meta.relativePath)), 'stored under the default key: the node, then the relative path');
  t.notOk(existsSync(path), 'local copy removed');
});

t.test('status and sync with a shared index database that does not answer: the spool is shown and drained all the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  writeFileSync(join(dir, 'pg-password'), 'secret\n');
  // Port 1: nothing listens there (connections are refused at once).
  writeFileSync(join(dir, 'fsrecd.yml'), `spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\nindex: {type: postgres, postgres: {url: "postgres://fsrecd@127.0.0.1:1/fsrecd", password_file: pg-password, connect_timeout_ms: 1000}}\n`);
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 1, retryMinMs: 10, retryMaxMs: 10, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 5 }, target: new LocalTarget(join(dir, 'stored')), log: silentLogger(), metrics: new Metrics() });
  const path = join(spoolDir, 'b.wav');
  writeFileSync(path, 'y'.repeat(500));
  const meta = { id: 'b', callUuid: 'c', legUuid: 'l', path, relativePath: 'b.wav', format: 'wav', srcnum: '1', dstnum: '2', callerName: '', direction: 'inbound' as const, network: 'internal' as const, domain: 'd', tenantUuid: 't', node: 'n', reasons: [], onDemand: false, startedAt: new Date().toISOString() };
  await spool.started(meta);
  await spool.finished(meta, { endedAt: new Date().toISOString(), durationMs: 1, completionCause: 'success-silence' });
  await spool.stop(10);

  const status = run('status', '--config', join(dir, 'fsrecd.yml'));
  t.equal(status.status, 0, status.stderr);
  t.match(status.stdout, /backlog: 1 file\(s\), 500 bytes/);
  t.match(status.stdout, /^recordings index: the recordings index \(postgres postgres:\/\/fsrecd@127\.0\.0\.1:1\/fsrecd\) is not reachable: cannot connect/m);

  const sync = run('sync', '--config', join(dir, 'fsrecd.yml'));
  t.equal(sync.status, 0, sync.stderr);
  t.match(sync.stdout, /backlog now 0 file\(s\); stored 1, lost 0/, 'uploaded without the index');
  t.ok(existsSync(join(dir, 'stored', meta.node, meta.relativePath)));
  t.match(sync.stdout + sync.stderr, /recordings index unreachable: recording goes on/, 'the outage is said');
});
