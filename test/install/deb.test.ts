/**
 * `make deb`'s package, built into a temporary directory and read back with dpkg-deb (installing it is
 * .ci/run's job: packaging/deb/ci-check.sh installs, checks and purges it as root). Its contents, its
 * conffiles, the unit as installed, the packaged daemon running check-config on the packaged example, and
 * maintainer scripts that expand nothing unquoted.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

/**
 * Every `$` expansion in a POSIX sh script that is not inside double quotes (word splitting and globbing
 * would apply to it), comments and single-quoted text aside; `name=$(…)` assignments do not split.
 */
function unquotedExpansions(script: string): string[] {
  const found: string[] = [];
  for (const [n, raw] of script.split('\n').entries()) {
    const line = raw.replace(/^\s*[a-z_]+=\$\((.*)\)\s*$/i, '$1'); // an assignment: check what it runs
    const stack: ('code' | 'dq')[] = ['code'];
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      const state = stack[stack.length - 1];
      if (state === 'code' && c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) break;
      if (c === '\\') i++;
      else if (state === 'code' && c === "'") i = line.indexOf("'", i + 1);
      else if (c === '"' && state === 'dq') stack.pop();
      else if (c === '"') stack.push('dq');
      else if (c === '$' && line[i + 1] === '(') {
        if (state === 'code') found.push(`line ${n + 1}: ${raw.trim()}`);
        stack.push('code');
        i++;
      } else if (c === ')' && state === 'code' && stack.length > 1) stack.pop();
      else if (c === '$' && state === 'code') found.push(`line ${n + 1}: ${raw.trim()}`);
      if (i < 0) break;
    }
  }
  return found;
}

t.test('the quote check finds what it must', async (t) => {
  t.same(unquotedExpansions('install -d "$SPOOL"\n[ "$1" = configure ]\ngroup=$(id -gn fsrecd)\n# $x in a comment\necho \'$y\''), []);
  t.equal(unquotedExpansions('install -d $SPOOL').length, 1);
  t.equal(unquotedExpansions('rm -rf "$(find $SPOOL)"').length, 1, 'inside a quoted command substitution');
  t.equal(unquotedExpansions('x=$(id -gn $USER)').length, 1, 'inside an assignment');
});

t.test('make deb: a self-contained package with the unit, conffiles and maintainer scripts', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fsrecd-deb-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  // build.sh is `make deb` without its build step: `make test` built dist/ already and other tests run it.
  const deb = execFileSync('bash', ['packaging/deb/build.sh'], { cwd: ROOT, env: { ...process.env, DEB_OUT: out }, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  t.equal(deb, join(out, `fsrecd_${PKG.version}_${arch}.deb`), 'fsrecd_<version>_<arch>.deb');

  const field = (name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
  t.equal(field('Package'), 'fsrecd');
  t.equal(field('Version'), PKG.version);
  t.equal(field('Architecture'), arch);
  t.notMatch(field('Depends'), /nodejs/, 'no nodejs dependency: it carries its own');
  t.match(field('Depends'), /\badduser\b/, 'postinst uses adduser');

  const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const entries = new Map(
    listing
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [mode = '', owner = '', , , , path = ''] = l.split(/\s+/);
        return [path.replace(/^\./, ''), { mode, owner }] as const;
      }),
  );
  for (const [path, mode] of [
    ['/usr/bin/fsrecd', '-rwxr-xr-x'],
    ['/usr/lib/fsrecd/node', '-rwxr-xr-x'],
    ['/usr/lib/fsrecd/dist/cli.js', '-rwxr-xr-x'],
    ['/usr/lib/fsrecd/node_modules/better-sqlite3/build/Release/better_sqlite3.node', '-rw-r--r--'],
    ['/lib/systemd/system/fsrecd.service', '-rw-r--r--'],
    ['/etc/fsrecd/fsrecd.yml', '-rw-r-----'],
    ['/usr/share/fsrecd/freeswitch/dialplan/00_fsrecd_features.xml', '-rw-r--r--'],
    ['/usr/share/doc/fsrecd/README.md', '-rw-r--r--'],
    ['/usr/share/doc/fsrecd/copyright', '-rw-r--r--'],
  ] as const) {
    t.equal(entries.get(path)?.mode, mode, `${path} ${mode}`);
  }
  t.same([...new Set([...entries.values()].map((e) => e.owner))], ['root/root'], 'every file root-owned');
  const devOnly = Object.keys(PKG.devDependencies).filter((d) => entries.has(`/usr/lib/fsrecd/node_modules/${d}/`));
  t.same(devOnly, [], 'no development dependency shipped');

  const x = join(out, 'x');
  execFileSync('dpkg-deb', ['-R', deb, x]);
  const conffiles = readFileSync(join(x, 'DEBIAN/conffiles'), 'utf8').trim().split('\n').sort();
  const examples = ['/etc/fsrecd/fsrecd.yml', ...readdirSync(join(ROOT, 'config/conf.d')).map((f) => `/etc/fsrecd/conf.d/${f}`)].sort();
  t.same(conffiles, examples, 'everything under /etc/fsrecd is a conffile');

  const unit = readFileSync(join(x, 'lib/systemd/system/fsrecd.service'), 'utf8');
  for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30s', 'ExecStart=/usr/bin/fsrecd run --config /etc/fsrecd/fsrecd.yml', 'ExecStartPre=/usr/bin/fsrecd check-config --config /etc/fsrecd/fsrecd.yml', 'ExecReload=/bin/kill -HUP $MAINPID', 'User=fsrecd', 'Documentation=file:/usr/share/doc/fsrecd/README.md']) {
    t.ok(unit.split('\n').includes(line), line);
  }
  t.notMatch(unit, /\/usr\/local\//, 'no /usr/local path left in the packaged unit');
  t.equal(readFileSync(join(x, 'usr/bin/fsrecd'), 'utf8').split('\n').filter((l) => l.startsWith('exec ')).join(), 'exec /usr/lib/fsrecd/node /usr/lib/fsrecd/dist/cli.js "$@"', 'the launcher runs the packaged Node');

  // The packaged tree runs: its Node, its node_modules, its dist, on its example configuration.
  const check = execFileSync(join(x, 'usr/lib/fsrecd/node'), [join(x, 'usr/lib/fsrecd/dist/cli.js'), 'check-config', '--config', join(x, 'etc/fsrecd/fsrecd.yml')], { encoding: 'utf8' });
  t.match(check, /^ok: 2 file\(s\), 1 account\(s\).*FreeSWITCH 127\.0\.0\.1:8021/);

  for (const script of ['postinst', 'prerm', 'postrm']) {
    const text = readFileSync(join(x, 'DEBIAN', script), 'utf8');
    execFileSync('sh', ['-n', join(x, 'DEBIAN', script)]);
    t.same(unquotedExpansions(text), [], `${script}: sh -n passes, every expansion is quoted`);
    t.notMatch(text, /\beval\b|`/, `${script}: no eval, no backticks`);
  }
  const postinst = readFileSync(join(x, 'DEBIAN/postinst'), 'utf8');
  t.match(postinst, /adduser --quiet --system --ingroup freeswitch .* fsrecd/, 'postinst: the fsrecd user in group freeswitch where it exists');
  t.match(postinst, /install -d -o fsrecd -g "\$group" -m 2770 "\$SPOOL"/);
  t.match(postinst, /if \[ -d \/run\/systemd\/system \]; then/, 'postinst: starts the service only where systemd runs');
  t.match(readFileSync(join(x, 'DEBIAN/prerm'), 'utf8'), /deb-systemd-invoke stop fsrecd\.service/, 'prerm stops the service');
});
