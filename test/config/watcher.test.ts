import t from 'tap';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigWatcher } from '../../src/config/watcher';
import type { FsrecdConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { namingRenderChecks } from '../../src/naming/template-check';

function next<T extends unknown[]>(w: ConfigWatcher, event: 'reloaded' | 'rejected', timeoutMs = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    w.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

t.test('edits reload; bad edits are refused and the last good config stays; renames and new files count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-watch-'));
  mkdirSync(join(dir, 'conf.d'));
  const main = join(dir, 'fsrecd.yml');
  writeFileSync(main, 'esl:\n  port: 8021\n');
  const w = new ConfigWatcher(main, silentLogger(), { debounceMs: 50, env: {} });
  t.teardown(async () => {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await w.start()).esl.port, 8021);

  let reloaded = next<[FsrecdConfig]>(w, 'reloaded');
  writeFileSync(main, 'esl:\n  port: 8022\n');
  t.equal((await reloaded)[0].esl.port, 8022, 'plain edit');

  const rejected = next<[unknown[]]>(w, 'rejected');
  writeFileSync(main, 'esl:\n  port: nope\n');
  t.match(String((await rejected)[0][0]), /fsrecd\.yml:2:9: esl\.port: expected a number/);
  t.equal(w.current.esl.port, 8022, 'last good config kept');

  reloaded = next<[FsrecdConfig]>(w, 'reloaded');
  writeFileSync(join(dir, 'tmp-edit'), 'esl:\n  port: 8023\n');
  renameSync(join(dir, 'tmp-edit'), main);
  t.equal((await reloaded)[0].esl.port, 8023, 'editor-style save by rename');

  reloaded = next<[FsrecdConfig]>(w, 'reloaded');
  writeFileSync(join(dir, 'conf.d', '50-new.yml'), 'esl:\n  port: 8024\n');
  t.equal((await reloaded)[0].esl.port, 8024, 'new conf.d file');

  t.equal(await w.reload('SIGHUP'), true, 'SIGHUP path reloads on demand');
});

t.test('a reload whose template compiles but does not render is refused at its location; the last good config stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-watch-'));
  const main = join(dir, 'fsrecd.yml');
  writeFileSync(main, 'call_recording:\n  filename_template: "{{ tenant_uuid }}/{{ srcnum }}"\n');
  const w = new ConfigWatcher(main, silentLogger(), { debounceMs: 50, env: {}, templates: namingRenderChecks });
  t.teardown(async () => {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await w.start()).naming.filenameTemplate, '{{ tenant_uuid }}/{{ srcnum }}');

  const rejected = next<[unknown[]]>(w, 'rejected');
  writeFileSync(main, 'call_recording:\n  filename_template: "{{ tenant }}/{{ srcnum }}"\n');
  t.match(String((await rejected)[0][0]), /fsrecd\.yml:2:22: call_recording\.filename_template: the template does not render with sample values .*unknown variable tenant/);
  t.equal(w.current.naming.filenameTemplate, '{{ tenant_uuid }}/{{ srcnum }}', 'last good config kept');
});
