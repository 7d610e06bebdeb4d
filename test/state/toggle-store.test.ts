import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { ToggleStore } from '../../src/state/toggle-store';

t.test('toggles persist across reopen; a corrupt file is set aside, not silently reset', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = await ToggleStore.open(dir, silentLogger());
  t.equal(a.get('acme', 'bob'), undefined);
  await a.set('acme', 'bob', 'on');
  await a.set('acme', 'carol', 'off');
  const b = await ToggleStore.open(dir, silentLogger());
  t.equal(b.lookup('acme', 'bob'), 'on');
  t.equal(b.get('acme', 'carol'), 'off');

  writeFileSync(join(dir, 'toggles.json'), '{"acme": {"bob": "maybe"');
  const c = await ToggleStore.open(dir, silentLogger());
  t.equal(c.get('acme', 'bob'), undefined, 'starts empty');
  const aside = readdirSync(dir).filter((n) => n.startsWith('toggles.json.corrupt-'));
  t.equal(aside.length, 1, 'the corrupt file is kept for the operator');
  t.notOk(existsSync(join(dir, 'toggles.json')), 'and moved out of the way');
});
