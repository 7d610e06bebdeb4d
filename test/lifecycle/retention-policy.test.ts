/** The retention rule (pure) and its configuration keys: precedence, and located errors for 0, negative, fractional days. */
import t from 'tap';
import { loadConfigFromString } from '../../src/config/load';
import { decideRetention, expiresAtMs, retentionRuleFor } from '../../src/lifecycle/retention-policy';
import type { RecordingEntry } from '../../src/recordings/types';

t.test('precedence: queue or user over account over default; the longer of queue and user; nothing = forever', async (t) => {
  t.same(decideRetention({}), undefined);
  t.same(decideRetention({ default: 30 }), { days: 30, source: 'default' });
  t.same(decideRetention({ account: 10, default: 30 }), { days: 10, source: 'account' });
  t.same(decideRetention({ user: 400, account: 10, default: 30 }), { days: 400, source: 'user' });
  t.same(decideRetention({ queue: 5, account: 10 }), { days: 5, source: 'queue' }, 'a shorter queue rule overrides the account');
  t.same(decideRetention({ queue: 5, user: 400, account: 10 }), { days: 400, source: 'user' });
  t.same(decideRetention({ queue: 90, user: 30 }), { days: 90, source: 'queue' });
  t.same(decideRetention({ queue: 30, user: 30 }), { days: 30, source: 'queue' });
  const e = { startedAt: '2026-11-01T00:00:00.000Z', endedAt: '2026-11-01T01:00:00.000Z' } as RecordingEntry;
  t.equal(new Date(expiresAtMs(e, { days: 1, source: 'default' })).toISOString(), '2026-11-02T01:00:00.000Z', 'from the end');
  t.equal(new Date(expiresAtMs({ ...e, endedAt: undefined }, { days: 1, source: 'default' })).toISOString(), '2026-11-02T00:00:00.000Z', 'else from the start');
});

t.test('configuration: every level read; queue names match with or without the domain; bad values are located', async (t) => {
  const ok = await loadConfigFromString('retention: {default_days: 30, interval: 15m, batch: 10}\naccounts:\n  acme.example:\n    tenant_uuid: acme\n    retention_days: 10\n    users: {alice: {retention_days: 400}}\n    queues: {support: {retention_days: 5}}\n');
  if (!ok.ok) throw new Error(ok.errors.join('\n'));
  t.match(ok.config.retention, { defaultDays: 30, intervalMs: 900_000, batch: 10 });
  const base = { domain: 'acme.example', tenant: 'acme' } as RecordingEntry;
  t.same(retentionRuleFor(ok.config, base), { days: 10, source: 'account' });
  t.same(retentionRuleFor(ok.config, { ...base, queue: 'support@acme.example' }), { days: 5, source: 'queue' });
  t.same(retentionRuleFor(ok.config, { ...base, user: 'alice' }), { days: 400, source: 'user' });
  t.same(retentionRuleFor(ok.config, { ...base, domain: 'elsewhere', tenant: 'acme' }), { days: 10, source: 'account' }, 'found by tenant');
  t.same(retentionRuleFor(ok.config, { domain: 'x', tenant: 'y' } as RecordingEntry), { days: 30, source: 'default' });

  const bad = await loadConfigFromString('retention:\n  default_days: 0\n  interval: soon\naccounts:\n  acme.example:\n    retention_days: -3\n    users:\n      bob: {retention_days: 1.5}\n    queues:\n      q: {retention_days: "7"}\nstorage: {type: s3, endpoint: 127.0.0.1, bucket: b, access_key: a, secret_key: s, object_lock: always}\n', 'bad.yml');
  t.notOk(bad.ok);
  const text = bad.ok ? '' : bad.errors.map(String).join('\n');
  t.match(text, /bad\.yml:2:\d+: retention\.default_days: a retention is a whole number of days from 1 to 36500, got 0/);
  t.match(text, /bad\.yml:3:\d+: retention\.interval: .*got "soon"/);
  t.match(text, /bad\.yml:6:\d+: accounts\.acme\.example\.retention_days: .* got -3/);
  t.match(text, /bad\.yml:8:\d+: accounts\.acme\.example\.users\.bob\.retention_days: .* got 1\.5/);
  t.match(text, /bad\.yml:10:\d+: accounts\.acme\.example\.queues\.q\.retention_days: .* got "7"/);
  t.match(text, /storage\.object_lock: expected one of auto, require, off/);
});
