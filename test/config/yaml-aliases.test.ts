/**
 * Issue #11 item 13: YAML anchors, aliases and `<<` merge keys work (they used to load as nothing, so
 * `record_account: *rec` silently recorded nothing), an alias bomb is refused with its location and
 * quickly, and a `__proto__` key is an ordinary (unknown) key, not a way into Object.prototype.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFromString } from '../../src/config/load';
import type { FsrecdConfig } from '../../src/config/types';
import { namingRenderChecks } from '../../src/naming/template-check';

const FILE = '/etc/fsrecd/fsrecd.yml';

async function load(yaml: string): Promise<FsrecdConfig> {
  const r = await loadConfigFromString(yaml, FILE, {}, namingRenderChecks);
  if (!r.ok) throw new Error(r.errors.map(String).join('\n'));
  return r.config;
}

async function errors(yaml: string): Promise<string[]> {
  const r = await loadConfigFromString(yaml, FILE, {}, namingRenderChecks);
  return r.ok ? [] : r.errors.map(String);
}

const ALL_ON = { inbound: { internal: 'on', external: 'on' }, outbound: { internal: 'on', external: 'on' } };

t.test("record_account: *rec gives the anchored rule (the issue's example)", async (t) => {
  const cfg = await load(`
accounts:
  acme:
    record_account: &rec {inbound: {external: on}}
  other:
    record_account: *rec
`);
  t.same(cfg.accounts.get('other')?.recordAccount, { inbound: { external: 'on' }, outbound: {} });
  t.same(cfg.accounts.get('acme')?.recordAccount, cfg.accounts.get('other')?.recordAccount);
});

t.test('a scalar alias and an anchor kept under an x- key', async (t) => {
  const cfg = await load(`
x-shared:
  always: &always on
  port: &port 8022
esl: {port: *port}
accounts:
  acme: {record_account: *always}
`);
  t.equal(cfg.esl.port, 8022);
  t.same(cfg.accounts.get('acme')?.recordAccount, ALL_ON);
});

t.test('<<: *base merges; the mapping\'s own keys win; earlier merged mappings win over later ones', async (t) => {
  const cfg = await load(`
accounts:
  base: &base
    tenant_uuid: base-tenant
    record_account: on
    call_record_toggle_enabled: false
  acme:
    <<: *base
    tenant_uuid: acme-tenant
  multi:
    <<: [{tenant_uuid: first, online_call_record_enabled: false}, *base]
`);
  const acme = cfg.accounts.get('acme');
  t.equal(acme?.tenantUuid, 'acme-tenant', 'own key wins');
  t.same(acme?.recordAccount, ALL_ON, 'merged');
  t.equal(acme?.toggleEnabled, false, 'merged');
  const multi = cfg.accounts.get('multi');
  t.equal(multi?.tenantUuid, 'first', 'the first merged mapping wins');
  t.equal(multi?.onlineCallRecordEnabled, false);
  t.same(multi?.recordAccount, ALL_ON, 'and the second fills in');
});

t.test('a mistake in an aliased value is located (at the anchor for its parts)', async (t) => {
  t.same(await errors(`
accounts:
  acme:
    record_account: &rec {inbound: {external: yes please}}
  other:
    record_account: *rec
`), [
    `${FILE}:4:47: accounts.acme.record_account.inbound.external: expected on, off or inherit, got "yes please"`,
    `${FILE}:4:47: accounts.other.record_account.inbound.external: expected on, off or inherit, got "yes please"`,
  ]);
  t.same(await errors('accounts:\n  a: &a {tenant_uuid: x}\n  b: {<<: 5}\n'), [`${FILE}:3:11: YAML: << merges a mapping (*anchor) or a list of them`]);
  t.match(await errors('esl: {port: *nowhere}\n'), [/^\/etc\/fsrecd\/fsrecd\.yml:1:13: YAML: .*nowhere/]);
  t.same(await errors('accounts:\n  a: &a\n    users: {u: {record: [*a]}}\n'), [`${FILE}:3:26: YAML: alias *a is inside its own anchor`]);
});

t.test('an alias bomb is refused with a located error, quickly', async (t) => {
  const lines = ['x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) lines.push(`x-${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  const started = process.hrtime.bigint();
  const errs = await errors(`${lines.join('\n')}\n`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.equal(errs.length, 1);
  t.match(errs[0], /^\/etc\/fsrecd\/fsrecd\.yml:4:\d+: YAML: aliases expand to more than 10000 values \(an alias bomb\?\)/, 'located on the line whose aliases cross the limit');
  t.comment(`a 10^10-value alias bomb refused in ${ms.toFixed(0)} ms`);
});

t.test('__proto__ is just an unknown key: nothing reaches Object.prototype', async (t) => {
  t.same(await errors('__proto__: {polluted: yes}\n'), [`${FILE}:1:1: __proto__: unknown key`]);
  t.same(await errors('esl:\n  __proto__: {polluted: yes}\n'), [`${FILE}:2:3: esl.__proto__: unknown key`]);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

t.test("README's anchors example loads as it says", async (t) => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const example = /```yaml\n(x-shared:[\s\S]*?)```/.exec(readme)?.[1];
  t.ok(example, 'the example is in the README');
  const cfg = await load(example ?? '');
  t.same(cfg.accounts.get('acme.example')?.recordAccount, { inbound: { external: 'on' }, outbound: {} });
  const globex = cfg.accounts.get('globex.example');
  t.same(globex?.recordAccount, { inbound: { external: 'on' }, outbound: {} });
  t.equal(globex?.toggleEnabled, false);
  t.same(globex?.recordAllUsers, { inbound: { internal: 'off', external: 'off' }, outbound: { internal: 'off', external: 'off' } });
});
