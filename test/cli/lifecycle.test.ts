/** fsrecd recordings delete/hold/release, fsrecd retention and fsrecd audit: the built CLI in a separate process. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTarget } from '../../src/storage/local-target';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, tempDir } from '../helpers/storage-fixtures';
import { keyOf, storedWorld } from '../lifecycle/fixture';

const CLI = join(__dirname, '../../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
/** Without blocking this process: the s3rver the command talks to runs in it. */
function runAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

t.test('delete, hold, release, retention and audit from the command line, with exit codes a script can tell apart', async (t) => {
  const dir = tempDir(t, 'fsrecd-cli-lifecycle-');
  // Ages count back from the fixture's NOW (2026-11-27); the CLI runs at the real time, later still.
  const w = await storedWorld(dir, new LocalTarget(join(dir, 'stored')), [{ id: 'r1', ageDays: 1 }, { id: 'r2', ageDays: 1 }, { id: 'old', ageDays: 4000, bytes: 2500 }, { id: 'kept', ageDays: 4000, tenant: 'other', domain: 'other.example' }]);
  await w.spool.stop(0);
  w.index.close();
  const cfg = join(dir, 'fsrecd.yml');
  writeFileSync(cfg, 'spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\nupload: {keep_local_days: 30}\naccounts:\n  acme.example: {tenant_uuid: acme, retention_days: 3650}\n');

  const noReason = run('recordings', 'delete', 'r1', '--reason', ' ', '--config', cfg);
  t.equal(noReason.status, 2);
  t.match(noReason.stderr, /a reason is required/);
  const unknown = run('recordings', 'delete', 'nope', '--reason', 'x', '--config', cfg);
  t.equal(unknown.status, 3);
  t.match(unknown.stderr, /no recording nope/);

  const hold = run('recordings', 'hold', 'r1', '--reason', 'case 5', '--config', cfg);
  t.equal(hold.status, 0, hold.stderr);
  t.match(hold.stdout, /held r1: kept in the index and beside the object only/);
  const refused = run('recordings', 'delete', 'r1', '--reason', 'asked', '--config', cfg);
  t.equal(refused.status, 4);
  t.match(refused.stderr, /under legal hold \(case 5/);
  t.equal(run('recordings', 'release', 'r1', '--reason', 'closed', '--config', cfg).status, 0);

  const del = run('recordings', 'delete', 'r1', '--reason', 'data subject request', '--config', cfg);
  t.equal(del.status, 0, del.stderr);
  const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  t.match(del.stdout, new RegExp(`^deleted r1 \\(${escaped(keyOf(w, 'r1'))}, .*\\); tombstone: .* by cli:\\S+: data subject request$`, 'm'));
  t.notOk(existsSync(join(dir, 'stored', keyOf(w, 'r1'))));
  t.notOk(existsSync(join(dir, 'spool', 'rec', 'r1.wav')), 'the kept local copy went too');
  const onDeleted = run('recordings', 'hold', 'r1', '--reason', 'late', '--config', cfg);
  t.equal(onDeleted.status, 4);
  t.match(onDeleted.stderr, /recording r1 was deleted on .* \(data subject request\)/);
  t.match(run('recordings', 'show', 'r1', '--config', cfg).stdout, /^deleted\s+.* by cli:\S+ \(request\): data subject request$/m);

  const out = join(dir, 'r2.wav');
  t.equal(run('recordings', 'get', 'r2', '-o', out, '--config', cfg).status, 0, 'a download is audited');

  const dry = run('retention', '--dry-run', '--config', cfg);
  t.equal(dry.status, 0, dry.stderr);
  t.match(dry.stdout, /old\n/);
  t.match(dry.stdout, /3650 d \(account\)/);
  t.match(dry.stdout, /would delete 1 recording\(s\), .* \(2500 bytes\); nothing was deleted/);
  t.ok(existsSync(join(dir, 'stored', keyOf(w, 'old'))), 'dry run deleted nothing');
  const live = run('retention', '--run', '--config', cfg);
  t.equal(live.status, 0, live.stderr);
  t.match(live.stdout, /deleted 1 recording\(s\), .* \(2500 bytes\)/);
  t.notOk(existsSync(join(dir, 'stored', keyOf(w, 'old'))));
  t.ok(existsSync(join(dir, 'stored', keyOf(w, 'kept'))), 'no rule for tenant other: kept forever');
  t.equal(run('retention', '--config', cfg).status, 2, 'neither --dry-run nor --run');

  const audit = JSON.parse(run('audit', '--json', '--config', cfg).stdout) as { events: { action: string; recordingId: string; outcome: string; actor: string }[] };
  t.same(
    audit.events.map((e) => `${e.action} ${e.recordingId} ${e.outcome}`),
    ['retention-delete old ok', 'download r2 ok', 'hold r1 refused', 'delete r1 ok', 'release r1 ok', 'delete r1 refused', 'hold r1 ok', 'delete nope refused', 'delete r1 refused'],
  );
  t.match(audit.events[1]?.actor, /^cli:/);
  const filtered = JSON.parse(run('audit', '--json', '--action', 'delete', '--recording', 'r1', '--config', cfg).stdout) as { events: { outcome: string }[] };
  t.same(filtered.events.map((e) => e.outcome), ['ok', 'refused', 'refused']);
  const table = run('audit', '--limit', '2', '--config', cfg);
  t.match(table.stdout, /^AT \(UTC\)\s+ACTION\s+OUTCOME\s+RECORDING/);
  t.match(table.stdout, /more: fsrecd audit … --before \d+/);
  const badAction = run('audit', '--action', 'erase', '--config', cfg);
  t.equal(badAction.status, 2);
  t.match(badAction.stderr, /--action: expected one of download, play, url, delete, retention-delete, hold, release/);
});

t.test('check-config says what legal holds will be; storage.object_lock: require without Object Lock fails it', async (t) => {
  const s3 = await startS3([BUCKET]);
  t.teardown(() => s3.remove());
  const dir = tempDir(t, 'fsrecd-cli-objectlock-');
  const cfg = (mode: string): string => {
    const file = join(dir, `${mode}.yml`);
    writeFileSync(file, `spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: ${BUCKET}, access_key: S3RVER, secret_key: S3RVER, object_lock: ${mode}}\n`);
    return file;
  };
  const auto = await runAsync('check-config', '--config', cfg('auto'));
  t.equal(auto.status, 0, auto.stderr);
  t.match(auto.stdout, /^storage: bucket recordings has no S3 Object Lock: legal holds are kept in the index only$/m);
  const required = await runAsync('check-config', '--config', cfg('require'));
  t.equal(required.status, 1);
  t.match(required.stderr, /storage\.object_lock is require but bucket recordings has no S3 Object Lock/);
  t.match((await runAsync('check-config', '--config', cfg('off'))).stdout, /object_lock is off: legal holds are kept in the index only/);
});
