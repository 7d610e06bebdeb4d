/**
 * Issue #11 item 6: object keys from storage.key_template get the same cleaned, capped variables as file
 * names, never exceed what S3 accepts, never throw, and S3Target.keyFor uses them.
 */
import t from 'tap';
import { Secret } from '../../src/config/secret';
import type { S3StorageConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { MAX_OBJECT_KEY_BYTES, objectKeyVars, renderObjectKey, sanitizeObjectKey } from '../../src/naming/object-key';
import type { RecordingMeta } from '../../src/model/recording';
import { S3Target } from '../../src/storage/s3-target';

const UUID = 'ea69231c-2b51-4e64-9cb8-0fa6c9963645';

function meta(over: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    id: `${UUID}-2`,
    callUuid: UUID,
    legUuid: UUID,
    path: `/var/spool/fsrecd/acme/2026-11-24T00_33_39UTC-1000-1001.wav`,
    relativePath: 'acme/2026-11-24T00_33_39UTC-1000-1001.wav',
    format: 'wav',
    srcnum: '1000',
    dstnum: '1001',
    callerName: 'Alice',
    direction: 'inbound',
    network: 'external',
    user: 'alice',
    device: '1000',
    domain: 'pbx.example.com',
    tenantUuid: 'acme',
    node: 'pbx1',
    reasons: ['account'],
    onDemand: false,
    startedAt: '2026-11-24T00:33:39.000Z',
    ...over,
  };
}

function s3(keyTemplate?: string): S3Target {
  const cfg: S3StorageConfig = {
    type: 's3', endpoint: '127.0.0.1', port: 9, useSsl: false, region: 'us-east-1', bucket: 'b', createBucket: false, pathStyle: true,
    accessKey: new Secret('a', 'test'), secretKey: new Secret('s', 'test'), keyTemplate,
  };
  return new S3Target(cfg, silentLogger());
}

t.test('the variables: file-name variables of the recording, from its start time, plus its paths', async (t) => {
  const v = objectKeyVars(meta({ srcnum: '../../etc/passwd' }));
  t.equal(v.srcnum, 'etc_passwd', 'cleaned like a file name');
  t.equal(v.uuid, UUID);
  t.equal(v.seq, '2', 'from the recording id');
  t.equal(v.utc_time, '2026-11-24T00_33_39UTC', 'from startedAt, not the clock: the same key every time');
  t.equal(v.year, '2026');
  t.equal(v.relative_path, 'acme/2026-11-24T00_33_39UTC-1000-1001.wav');
  t.equal(v.extension, 'wav');
  t.equal(v.domain, 'pbx_example_com');
  t.notOk('name' in v || 'base_context' in v || 'call_id' in v, 'nothing a stored recording does not know');
  t.ok(Object.values(v).every((x) => typeof x === 'string'), 'plain strings only');
});

t.test("the issue's case: a 1,100-character caller ID gives a short key, not a 1,116-byte one", async (t) => {
  const callerId = '9'.repeat(1100);
  const template = '{{ tenant_uuid }}/{{ srcnum }}-{{ dstnum }}-{{ uuid }}-{{ seq }}.{{ extension }}';
  const r = renderObjectKey(template, meta({ srcnum: callerId }));
  t.equal(r.error, undefined);
  t.equal(r.key, `acme/${'9'.repeat(64)}-1001-${UUID}-2.wav`, 'the caller ID is capped at 64 characters, as in file names');
  t.ok(Buffer.byteLength(r.key) <= MAX_OBJECT_KEY_BYTES);
});

t.test('hostile values and templates never give a key S3 refuses or one with dot segments', async (t) => {
  const hostile = ['../../etc/passwd', '/abs', 'a/../../b', '\u0000\r\n', '東京 Zoë', '%2e%2e%2f', `${'é'.repeat(3000)}`, '.', '..'];
  const templates = ['{{ srcnum }}', '/{{ srcnum }}/{{ dstnum }}', '../{{ relative_path }}', '{{ srcnum }}/./{{ srcnum }}//{{ srcnum }}', '{% for i in [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20] %}{{ srcnum }}{{ dstnum }}/{% endfor %}'];
  for (const tpl of templates) {
    for (const h of hostile) {
      const { key } = renderObjectKey(tpl, meta({ srcnum: h, dstnum: h, user: h, device: h }));
      const label = `${JSON.stringify(tpl)} with ${JSON.stringify(h.slice(0, 20))}`;
      t.ok(key.length > 0 && !key.startsWith('/'), `${label}: no leading /`);
      t.ok(key.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), `${label}: no empty or dot segments`);
      t.ok(Buffer.byteLength(key) <= MAX_OBJECT_KEY_BYTES, `${label}: at most ${MAX_OBJECT_KEY_BYTES} bytes (${Buffer.byteLength(key)})`);
      t.ok(/^[A-Za-z0-9._/-]+$/.test(key), `${label}: only key-safe characters`);
    }
  }
});

/** Without a template, and whenever one fails: the node, then the relative path (node-safe-key.test.ts). */
const DEFAULT_KEY = `${meta().node}/${meta().relativePath}`;

t.test('a key over the limit is an error and the default key is used', async (t) => {
  const tpl = '{% for i in [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20] %}{{ srcnum }}/{% endfor %}';
  const r = renderObjectKey(tpl, meta({ srcnum: 'x'.repeat(100) }));
  t.equal(r.key, DEFAULT_KEY);
  t.match(r.error, /rendered a 1299-byte key; at most 1000 are allowed/, "20 capped variables of 64 characters and 19 slashes");
});

t.test('failures never throw: the default key and the reason', async (t) => {
  t.same(renderObjectKey('{{ no_such_variable }}', meta()).key, DEFAULT_KEY);
  t.match(renderObjectKey('{{ no_such_variable }}', meta()).error, /undefined/);
  t.match(renderObjectKey('{{ srcnum ', meta()).error, /expected variable end/);
  t.match(renderObjectKey('{{ "" }}', meta()).error, /empty key/);
  t.same(renderObjectKey(undefined, meta()), { key: DEFAULT_KEY }, 'no template: the node, then the relative path as it is');
  const long = meta({ relativePath: `${'d'.repeat(200)}/`.repeat(6) + 'x.wav' });
  t.same(renderObjectKey(undefined, long), { key: `${long.node}/overlong/${UUID}-2.wav`, error: 'the relative path is not a usable key (1211 bytes, or a dot segment)' }, 'even an overlong relative path gives a usable key');
});

t.test('sanitizeObjectKey keeps dots (extensions) but no dot segments', async (t) => {
  t.equal(sanitizeObjectKey('/a/./b/../c.wav'), 'a/b/c.wav');
  t.equal(sanitizeObjectKey('a b/é\u0000.json'), 'a_b/e_.json');
});

t.test('S3Target.keyFor renders through the naming layer', async (t) => {
  t.equal(s3().keyFor(meta()), DEFAULT_KEY, 'default: the node, then the relative path');
  t.equal(s3('{{ node }}/{{ relative_path }}').keyFor(meta()), 'pbx1/acme/2026-11-24T00_33_39UTC-1000-1001.wav');
  t.equal(s3('{{ srcnum }}/{{ uuid }}-{{ seq }}.wav').keyFor(meta({ srcnum: `${'../'.repeat(400)}x` })), `x/${UUID}-2.wav`, 'cleaned variables');
  t.equal(s3('{{ range.constructor("return 1")() }}').keyFor(meta()), DEFAULT_KEY, 'an unsafe template gives the default key, never runs');
  t.equal(s3('{{ callUuid }}').keyFor(meta()), DEFAULT_KEY, 'a template that fails does not throw');
});
