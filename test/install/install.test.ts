/**
 * `make install`'s copy step into a temporary PREFIX (PREFIX/DESTDIR-aware, as a package build would use it): the
 * installed command runs, the example configuration it installs is valid, and systemd-analyze accepts the
 * unit with its paths rewritten for that PREFIX.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

t.test('make install PREFIX=… installs a working daemon, config, snippets and a valid unit', async (t) => {
  const prefix = mkdtempSync(join(tmpdir(), 'fsrecd-install-'));
  t.teardown(() => rmSync(prefix, { recursive: true, force: true }));
  // install-files: `make install` without its build step; `make test` built dist/ already and other tests run it.
  execFileSync('make', ['--no-print-directory', 'install-files', `PREFIX=${prefix}`, `SYSCONFDIR=${prefix}/etc/fsrecd`, `UNITDIR=${prefix}/unit`], { cwd: ROOT, stdio: 'pipe' });
  for (const f of ['bin/fsrecd', 'etc/fsrecd/fsrecd.yml', 'etc/fsrecd/conf.d/10-per-tenant-directory.yml', 'share/fsrecd/freeswitch/dialplan/00_fsrecd_features.xml', 'share/doc/fsrecd/README.md', 'unit/fsrecd.service']) {
    t.ok(existsSync(join(prefix, f)), f);
  }
  // The recordings index's SQLite addon: installed with --ignore-scripts, so it must have been copied in.
  execFileSync(process.execPath, ['-e', `new (require(${JSON.stringify(join(prefix, 'lib/fsrecd/node_modules/better-sqlite3'))}))(':memory:').close()`]);
  t.pass('the installed better-sqlite3 loads');
  const check = execFileSync(join(prefix, 'bin/fsrecd'), ['check-config', '--config', join(prefix, 'etc/fsrecd/fsrecd.yml')], { encoding: 'utf8' });
  t.match(check, /^ok: 2 file\(s\), 1 account\(s\)/);
  const unit = readFileSync(join(prefix, 'unit/fsrecd.service'), 'utf8');
  t.match(unit, new RegExp(`^ExecStart=${prefix}/bin/fsrecd run --config /etc/fsrecd/fsrecd.yml$`, 'm'));
  t.match(unit, /^NoNewPrivileges=true$/m);
  t.match(unit, /^ProtectSystem=strict$/m);
  t.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  const analyze = spawnSync('systemd-analyze', ['verify', join(prefix, 'unit/fsrecd.service')], { encoding: 'utf8' });
  if (analyze.error) {
    t.comment(`systemd-analyze not available here (${analyze.error.message}); unit checked by content only`);
  } else {
    t.equal(analyze.status, 0, `systemd-analyze verify: ${analyze.stderr.trim() || 'clean'}`);
    t.equal(analyze.stderr.trim(), '', 'no warnings');
  }
});
