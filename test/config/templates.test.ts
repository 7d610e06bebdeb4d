/**
 * Issue #11 item 6: check-config compiles AND renders every template with sample values (a ~4 KB hostile
 * caller ID among them), so a template that compiles but cannot render, renders an unusable key, or
 * gives two recordings one key is a located error at load instead of a broken recording or an upload
 * that fails forever. Also esl.heartbeat_timeout_ms.
 */
import t from 'tap';
import { loadConfigFromString } from '../../src/config/load';
import { HOSTILE_CALLER_ID, namingRenderChecks } from '../../src/naming/template-check';

const FILE = '/etc/fsrecd/fsrecd.yml';
const S3 = 'storage:\n  type: s3\n  endpoint: 127.0.0.1\n  bucket: b\n  access_key: a\n  secret_key: s\n';

async function errors(yaml: string): Promise<string[]> {
  const r = await loadConfigFromString(yaml, FILE, {}, namingRenderChecks);
  return r.ok ? [] : r.errors.map(String);
}

t.test('the sample caller ID is hostile and about 4 KB', async (t) => {
  t.ok(HOSTILE_CALLER_ID.length >= 4000 && HOSTILE_CALLER_ID.includes('../') && HOSTILE_CALLER_ID.includes('\r\n'));
});

t.test('a key template that compiles but does not render is a located error naming the variable', async (t) => {
  t.same(await errors(`${S3}  key_template: "{{ callUuid }}/{{ relative_path }}"\n`), [
    `${FILE}:7:17: storage.key_template: the key template does not render with sample values: template line 1, column 1: attempted to output null or undefined value (unknown variable callUuid; the variables are day, device, direction, domain, dstnum, extension, hour, id, local_time, minute, month, network, node, relative_path, second, seq, srcnum, tenant_uuid, timestamp, user, utc_time, uuid, year)`,
  ]);
});

t.test('a key template whose key would pass the limit with a long caller ID is refused', async (t) => {
  const tpl = `${'{{ srcnum }}/'.repeat(16)}{{ relative_path }}`;
  t.match(await errors(`${S3}  key_template: "${tpl}"\n`), [/fsrecd\.yml:7:17: storage\.key_template: the key template does not render with sample values: the key template rendered a \d{4}-byte key; at most 1000 are allowed/]);
});

t.test('a key template giving two recordings one key is refused', async (t) => {
  t.match(await errors(`${S3}  key_template: "{{ tenant_uuid }}/{{ srcnum }}.wav"\n`), [/storage\.key_template: the key template gives two recordings the same key \("tenant\/etc_passwd_api_uuid_kill_7_7_evil_9+\.wav"\)/]);
  t.match(await errors(`${S3}  key_template: "{{ tenant_uuid }}/{{ uuid }}.wav"\n`), [/same key/], 'the same call\'s second recording would overwrite the first');
});

t.test('an unsafe key template is refused', async (t) => {
  t.match(await errors(`${S3}  key_template: "{{ range.constructor('return 1')() }}"\n`), [/fsrecd\.yml:7:17: storage\.key_template: bad template: a function call is not allowed/]);
});

t.test('good key templates pass', async (t) => {
  for (const tpl of ['{{ node }}/{{ relative_path }}', '{{ tenant_uuid }}/{{ year }}/{{ month }}/{{ uuid }}-{{ seq }}.{{ extension }}', '{{ id }}.{{ extension }}']) {
    t.same(await errors(`${S3}  key_template: "${tpl}"\n`), [], tpl);
  }
});

t.test('file-name templates are test-rendered too', async (t) => {
  t.same(await errors('call_recording:\n  filename_template: "{{ tenant }}/{{ srcnum }}"\n'), [
    `${FILE}:2:22: call_recording.filename_template: the template does not render with sample values (a recording would get the fallback name): template line 1, column 1: attempted to output null or undefined value (unknown variable tenant; the variables are base_context, call_id, day, device, direction, dstnum, hour, local_time, minute, month, name, network, node, second, seq, srcnum, tenant_uuid, timestamp, user, utc_time, uuid, year)`,
  ]);
  t.match(await errors('call_recording:\n  on_demand_filename_template: "/srv/x/{{ name }}"\n'), [/fsrecd\.yml:2:32: call_recording\.on_demand_filename_template: the template does not render .*not under any of allowed_dirs/]);
  t.same(await errors('allowed_dirs: [/srv/x]\ncall_recording:\n  on_demand_filename_template: "/srv/x/{{ name }}"\n'), [], 'inside allowed_dirs it is fine');
});

t.test('safety is the configuration\'s own check: an unsafe template is refused even by a load without naming\'s render checks', async (t) => {
  const r = await loadConfigFromString(`${S3}  key_template: "{{ range.constructor('return 1')() }}"\n`, FILE, {});
  t.match(r.ok ? [] : r.errors.map(String), [/fsrecd\.yml:7:17: storage\.key_template: bad template: a function call is not allowed/]);
  const fileName = await loadConfigFromString('call_recording:\n  filename_template: "{{ srcnum.constructor }}"\n', FILE, {});
  t.match(fileName.ok ? [] : fileName.errors.map(String), [/fsrecd\.yml:2:22: call_recording\.filename_template: bad template: the attribute "constructor" is not allowed/]);
});

t.test('esl.heartbeat_timeout_ms: default 60000, at least 1000, whole milliseconds', async (t) => {
  const r = await loadConfigFromString('', FILE, {});
  t.equal(r.ok && r.config.esl.heartbeatTimeoutMs, 60_000);
  const set = await loadConfigFromString('esl: {heartbeat_timeout_ms: 45000}\n', FILE, {});
  t.equal(set.ok && set.config.esl.heartbeatTimeoutMs, 45_000);
  t.same(await errors('esl:\n  heartbeat_timeout_ms: 999\n'), [`${FILE}:2:25: esl.heartbeat_timeout_ms: must be between 1000 and 3600000, got 999`]);
  t.same(await errors('esl:\n  heartbeat_timeout_ms: 1500.5\n'), [`${FILE}:2:25: esl.heartbeat_timeout_ms: expected a whole number, got 1500.5`]);
});
