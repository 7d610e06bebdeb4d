import t from 'tap';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, loadConfigFromString, summarizeConfig } from '../../src/config/load';
import { namingRenderChecks } from '../../src/naming/template-check';

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function errors(yaml: string): Promise<string[]> {
  const r = await loadConfigFromString(yaml, '/etc/fsrecd/fsrecd.yml', {}, namingRenderChecks);
  return r.ok ? [] : r.errors.map(String);
}

t.test('an empty file is valid: every key has a default', async (t) => {
  const r = await loadConfigFromString('', 'empty.yml', process.env, namingRenderChecks);
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.config.naming.filenameTemplate, '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}', "Wazo's default, from templates/");
    t.equal(r.config.esl.port, 8021);
  }
});

t.test('mistakes name file, line, column and key path', async (t) => {
  t.same(await errors('esl:\n  port: "eighty"\n'), ['/etc/fsrecd/fsrecd.yml:2:9: esl.port: expected a number, got string "eighty"']);
  t.same(await errors('esl:\n  prot: 8021\n'), ['/etc/fsrecd/fsrecd.yml:2:3: esl.prot: unknown key (did you mean "port"?)']);
  t.same(
    await errors('accounts:\n  acme:\n    users:\n      alice:\n        record:\n          inbound:\n            external: yes please\n'),
    ['/etc/fsrecd/fsrecd.yml:7:23: accounts.acme.users.alice.record.inbound.external: expected on, off or inherit, got "yes please"'],
  );
  t.match((await errors('call_recording:\n  filename_template: "{{ srcnum "\n'))[0], /^\/etc\/fsrecd\/fsrecd\.yml:2:22: call_recording\.filename_template: bad template: /);
  t.match((await errors('network:\n  external_number_patterns: ["(unclosed"]\n'))[0], /fsrecd\.yml:2:30: network\.external_number_patterns\.0: bad regular expression/);
  t.match((await errors('storage:\n  type: s3\n  endpoint: 127.0.0.1\n'))[0], /storage\.bucket: an s3 storage needs a bucket/);
  t.match((await errors('features:\n  toggle: {code: "*26x"}\n'))[0], /features\.toggle\.code: a feature code is 1-8 of 0-9, \* and #/);
  t.match(await errors('http:\n  listen: "everywhere"\n'), [/fsrecd\.yml:2:11: http\.listen: http\.listen must be host:port, got "everywhere"/]);
  t.match((await errors('esl: [1, 2\n'))[0], /^\/etc\/fsrecd\/fsrecd\.yml:\d+:\d+: YAML: /, 'syntax errors are located too');
  t.equal((await errors('esl:\n  port: x\n  host: 3\nlog:\n  level: loud\n')).length, 2, 'all errors, not just the first');
});

t.test('conf.d files merge in lexical order, later wins, and errors name the conf.d file', async (t) => {
  const dir = tmp(t);
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'fsrecd.yml'), 'esl:\n  port: 8021\n  host: 127.0.0.1\nspool_dir: spool\n');
  writeFileSync(join(dir, 'conf.d', '20-b.yml'), 'esl:\n  port: 8023\n');
  writeFileSync(join(dir, 'conf.d', '10-a.yml'), 'esl:\n  port: 8022\n');
  writeFileSync(join(dir, 'conf.d', 'ignored.txt'), 'esl: nonsense');
  const r = await loadConfig(join(dir, 'fsrecd.yml'), {});
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.config.esl.port, 8023, '20-b.yml wins over 10-a.yml');
    t.equal(r.config.esl.host, '127.0.0.1', 'mappings merge key by key');
    t.equal(r.config.spoolDir, join(dir, 'spool'), 'relative paths resolve against the main file');
    t.same(r.config.sources.map((s) => s.slice(dir.length + 1)), ['fsrecd.yml', 'conf.d/10-a.yml', 'conf.d/20-b.yml']);
  }
  writeFileSync(join(dir, 'conf.d', '30-bad.yml'), '\nlog:\n  level: loud\n');
  const bad = await loadConfig(join(dir, 'fsrecd.yml'), {});
  t.notOk(bad.ok);
  if (!bad.ok) t.equal(String(bad.errors[0]), `${join(dir, 'conf.d', '30-bad.yml')}:3:10: log.level: expected one of error, warn, info, debug, got string "loud"`);
});

t.test("both Wazo spellings: call_recording and call-recording", async (t) => {
  for (const key of ['call_recording', 'call-recording']) {
    const r = await loadConfigFromString(`${key}:\n  filename_template: "{{ srcnum }}"\n  filename_extension: mp3\n`, 'inline.yml', process.env, namingRenderChecks);
    t.ok(r.ok, key);
    if (r.ok) t.same([r.config.naming.filenameTemplate, r.config.naming.filenameExtension], ['{{ srcnum }}', 'mp3'], key);
  }
  t.match(await errors('call_recording: {}\ncall-recording: {}\n'), [/not both/]);
});

t.test('rule matrices: shorthands, any, onnet/offnet, inherit and Wazo aliases', async (t) => {
  const cases: Array<[string, Record<string, string | undefined>]> = [
    ['on', { ii: 'on', ie: 'on', oi: 'on', oe: 'on' }],
    ['inherit', { ii: undefined, ie: undefined, oi: undefined, oe: undefined }],
    ['{inbound: off}', { ii: 'off', ie: 'off', oi: undefined, oe: undefined }],
    ['{any: on, outbound: {offnet: off}}', { ii: 'on', ie: 'on', oi: 'on', oe: 'off' }],
    ['{inbound: {any: off, onnet: on}}', { ii: 'on', ie: 'off', oi: undefined, oe: undefined }],
    ['{outbound: {external: true}}', { ii: undefined, ie: undefined, oi: undefined, oe: 'on' }],
  ];
  for (const [rule, want] of cases) {
    const r = await loadConfigFromString(`accounts:\n  a:\n    users:\n      u:\n        record: ${rule}\n`);
    t.ok(r.ok, rule);
    if (!r.ok) continue;
    const m = r.config.accounts.get('a')?.users.get('u')?.record;
    t.same({ ii: m?.inbound.internal, ie: m?.inbound.external, oi: m?.outbound.internal, oe: m?.outbound.external }, want, rule);
  }
  const w = await loadConfigFromString('accounts:\n  a:\n    users:\n      u:\n        call_record_outgoing_external_enabled: true\n        call_record_incoming_internal_enabled: false\n');
  t.ok(w.ok);
  if (w.ok) t.same(w.config.accounts.get('a')?.users.get('u')?.record, { inbound: { internal: 'off' }, outbound: { external: 'on' } });
});

t.test('secrets come from the YAML, a file or the environment, and never print', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'esl.secret'), 'from-file-Secret-1\n');
  const viaFile = await loadConfigFromString('esl:\n  password_file: esl.secret\n', join(dir, 'fsrecd.yml'));
  t.ok(viaFile.ok && viaFile.config.esl.password.reveal() === 'from-file-Secret-1');
  const viaEnv = await loadConfigFromString('esl:\n  password_env: FSRECD_PW\nstorage:\n  type: s3\n  endpoint: 127.0.0.1\n  bucket: b\n  access_key: AKIA-Secret-2\n  secret_key_env: S3_SECRET\n', 'x.yml', {
    FSRECD_PW: 'env-Secret-3',
    S3_SECRET: 'env-Secret-4',
  });
  t.ok(viaEnv.ok);
  if (viaEnv.ok) {
    t.equal(viaEnv.config.esl.password.reveal(), 'env-Secret-3');
    const printed = JSON.stringify(viaEnv.config) + inspect(viaEnv.config, { depth: 10 }) + summarizeConfig(viaEnv.config) + String(viaEnv.config.esl.password);
    for (const s of ['env-Secret-3', 'env-Secret-4', 'AKIA-Secret-2']) t.notOk(printed.includes(s), `${s} never printed`);
  }
  const missing = await errors('esl:\n  password_file: /nonexistent/secret\n');
  t.match(missing, [/esl\.password_file: cannot read \/nonexistent\/secret: ENOENT/]);
  t.match(await errors('esl:\n  password: a\n  password_env: B\n'), [/give only one of password, password_file, password_env/, /environment variable B is not set/]);
});

t.test('the example configuration in config/ is valid', async (t) => {
  const r = await loadConfig(join(__dirname, '../../config/fsrecd.yml'), {}, namingRenderChecks);
  t.ok(r.ok, r.ok ? 'ok' : r.errors.map(String).join('\n'));
  if (r.ok) {
    t.equal(r.config.sources.length, 2, 'main file + conf.d/10-per-tenant-directory.yml');
    const acct = r.config.accounts.get('pbx.example.com');
    t.equal(acct?.devices.get('1002')?.record.outbound.internal, 'off');
    t.equal(acct?.users.get('bob')?.record.inbound.external, 'on', 'Wazo alias');
    t.match(summarizeConfig(r.config), /^ok: 2 file\(s\), 1 account\(s\), 3 user\(s\), 3 device\(s\)/);
  }
  const abs = await loadConfigFromString(
    readFileSync(join(__dirname, '../../config/conf.d/20-absolute-directory.yml.example'), 'utf8'),
    '20-absolute-directory.yml',
    process.env,
    namingRenderChecks,
  );
  t.ok(abs.ok, 'the absolute-directory example is valid on its own');
});
