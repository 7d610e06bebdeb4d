/**
 * Issue #11 behaviour 7: one owner of the spool at a time. With the daemon running, `fsrecd sync` asks it
 * to upload (SIGUSR2) and follows the journal read-only; a second daemon on the same state_dir is refused.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../src/spool/lock';
import { waitFor } from '../helpers/wait-for';

const CLI = join(__dirname, '../../dist/cli.js');

/** A loopback port nothing listens on: the daemon keeps trying to reach FreeSWITCH, which is fine here. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 1;
}

t.test('sync while the daemon runs: the daemon does it; a second daemon is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-sync-running-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'spool'), { recursive: true });
  const config = join(dir, 'fsrecd.yml');
  writeFileSync(config, `esl: {port: ${await closedPort()}, reconnect_min_ms: 100, reconnect_max_ms: 500}\nspool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\nupload: {orphan_stable_ms: 60000}\n`);
  const log: string[] = [];
  const daemon = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout.on('data', (d: Buffer) => log.push(d.toString()));
  daemon.stderr.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<number | null>((r) => daemon.on('exit', (code) => r(code)));
  t.teardown(() => {
    daemon.kill('SIGKILL');
  });
  await waitFor(() => existsSync(join(dir, 'state', LOCK_FILE)) && log.join('').includes('fsrecd started'), 'daemon up with the lock', 15_000);
  t.equal(readFileSync(join(dir, 'state', LOCK_FILE), 'utf8').trim(), String(daemon.pid), 'the lock names the daemon');

  const sync = spawnSync(process.execPath, [CLI, 'sync', '--config', config, '--timeout', '20'], { encoding: 'utf8' });
  t.equal(sync.status, 0, sync.stderr);
  t.match(sync.stdout, new RegExp(`fsrecd is running \\(pid ${daemon.pid}\\) and owns the spool: asked it to upload the backlog now`));
  t.match(sync.stdout, /backlog: 0 file\(s\)/);
  await waitFor(() => log.join('').includes('SIGUSR2 (fsrecd sync)'), 'the daemon heard the request');

  const second = spawnSync(process.execPath, [CLI, 'run', '--config', config], { encoding: 'utf8', timeout: 20_000 });
  t.equal(second.status, 1, 'a second daemon exits 1');
  t.match(second.stdout + second.stderr, new RegExp(`another fsrecd process \\(pid ${daemon.pid}\\) owns the spool and journal.*refusing to start a second one`));

  const status = spawnSync(process.execPath, [CLI, 'status', '--config', config], { encoding: 'utf8' });
  t.equal(status.status, 0, 'status reads without the lock');
  t.match(status.stdout, new RegExp(`spool owner: fsrecd pid ${daemon.pid}`));

  daemon.kill('SIGTERM');
  t.equal(await exited, 0, 'the daemon stops cleanly');
  t.notOk(existsSync(join(dir, 'state', LOCK_FILE)), 'and releases the lock');
});
