import t from 'tap';
import { ccKeyProblem, normalizeCcKey } from '../../src/config/cc-keys';
import { loadConfigFromString } from '../../src/config/load';
import { ccLookupKeys, findCcRule } from '../../src/policy/cc-lookup';

/** YAML keys as written -> the map the config loader builds (keyed by the normalised key). */
function rules(...keys: string[]): Map<string, string> {
  return new Map(keys.map((k) => [normalizeCcKey(k), k]));
}

t.test('which queues: key a mod_callcenter name matches (table)', async (t) => {
  const yaml = rules('support', 'support@default', 'sales@acme', 'billing');
  const table: Array<[name: string | undefined, key: string | undefined, by?: 'exact' | 'bare']> = [
    ['support@default', 'support@default', 'exact'],
    ['support@other', 'support', 'bare'],
    ['support', 'support', 'exact'],
    ['SUPPORT@Default', 'support@default', 'exact'],
    [' support@default ', 'support@default', 'exact'],
    ['sales@acme', 'sales@acme', 'exact'],
    ['sales@other', undefined],
    ['sales', undefined],
    ['billing@anything.example', 'billing', 'bare'],
    ['@default', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [name, key, by] of table) {
    const m = findCcRule(yaml, name);
    t.equal(m?.rule, key, `${JSON.stringify(name)} -> ${key ?? 'no rule'}`);
    t.equal(m?.by, by, `${JSON.stringify(name)} matched ${by ?? 'nothing'}`);
  }
});

t.test('only a bare key: every domain; only an exact key: that domain alone', async (t) => {
  t.equal(findCcRule(rules('support'), 'support@default')?.rule, 'support');
  t.equal(findCcRule(rules('support'), 'support@acme.example')?.rule, 'support');
  t.equal(findCcRule(rules('support@default'), 'support@default')?.rule, 'support@default');
  t.equal(findCcRule(rules('support@default'), 'support@acme.example'), undefined);
  t.equal(findCcRule(rules('support@default'), 'support'), undefined, 'a bare name does not match a key with a domain');
  t.equal(findCcRule(rules('1001', '1001@default'), '1001@default')?.rule, '1001@default', 'agents the same way');
  t.equal(findCcRule(rules('1001', '1001@default'), '1001@sales')?.rule, '1001');
});

t.test('lookup keys and key grammar', async (t) => {
  t.same(ccLookupKeys('Support@Default'), ['support@default', 'support']);
  t.same(ccLookupKeys('support'), ['support']);
  t.same(ccLookupKeys('  '), []);
  t.equal(ccKeyProblem('support'), undefined);
  t.equal(ccKeyProblem('support@default'), undefined);
  for (const bad of ['', '  ', '@default', 'support@', 'a@b@c']) t.type(ccKeyProblem(bad), 'string', `${JSON.stringify(bad)} refused`);
});

async function load(yaml: string): Promise<{ errors: string[]; queues: string[]; agents: string[] }> {
  const r = await loadConfigFromString(yaml, '/etc/fsrecd/fsrecd.yml', {});
  if (!r.ok) return { errors: r.errors.map(String), queues: [], agents: [] };
  const acct = r.config.accounts.get('acme');
  return { errors: [], queues: [...(acct?.queues.keys() ?? [])], agents: [...(acct?.agents.keys() ?? [])] };
}

t.test('check-config: `support` and `support@default` side by side are fine', async (t) => {
  const r = await load(
    'accounts:\n  acme:\n    queues:\n      support: {record: on}\n      support@default: {record: off}\n    agents:\n      "1001": {record: on}\n      1001@default: {record: off}\n',
  );
  t.same(r.errors, []);
  t.same(r.queues, ['support', 'support@default']);
  t.same(r.agents, ['1001', '1001@default']);
});

t.test('check-config: two keys that are one once case and blanks are ignored are a located error', async (t) => {
  const q = await load('accounts:\n  acme:\n    queues:\n      Support: {record: on}\n      support: {record: off}\n');
  t.same(q.errors, [
    '/etc/fsrecd/fsrecd.yml:5:7: accounts.acme.queues.support: the same queue as "Support" (keys are compared without case and surrounding blanks): keep one',
  ]);
  const a = await load('accounts:\n  acme:\n    agents:\n      1001@Default: {record: on}\n      "1001@default ": {record: on}\n');
  t.same(a.errors, [
    '/etc/fsrecd/fsrecd.yml:5:7: accounts.acme.agents.1001@default : the same agent as "1001@Default" (keys are compared without case and surrounding blanks): keep one',
  ]);
  const bad = await load('accounts:\n  acme:\n    queues:\n      "@default": {record: on}\n      a@b@c: {record: on}\n');
  t.match(bad.errors, [
    /fsrecd\.yml:4:7: accounts\.acme\.queues\.@default: not a queue name: expected "name" or "name@domain"/,
    /fsrecd\.yml:5:7: accounts\.acme\.queues\.a@b@c: not a queue name: expected "name" or "name@domain"/,
  ]);
});
