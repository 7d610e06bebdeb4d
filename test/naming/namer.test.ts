import t, { type Test } from 'tap';
import { isAbsolute, relative } from 'node:path';
import { RecordingNamer, renderForCli } from '../../src/naming/namer';
import { sanitizeVar } from '../../src/naming/sanitize';
import { buildNamingVars, type NamingInput } from '../../src/naming/variables';

const SPOOL = '/var/spool/fsrecd';
const WAZO = { filenameTemplate: '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}', filenameExtension: 'wav', onDemandFilenameTemplate: 'auto-{{ timestamp }}-{{ name }}' };
const NOW = new Date('2026-11-24T00:33:39Z');

function input(over: Partial<NamingInput> = {}): NamingInput {
  return { srcnum: '1000', dstnum: '7701', baseContext: 'default', tenantUuid: 'acme', uuid: 'ea69231c-2b51-4e64-9cb8-0fa6c9963645', direction: 'outbound', network: 'internal', node: 'pbx1', ...over };
}

const HOSTILE = [
  '../../etc/passwd',
  'a/b',
  '%2e%2e%2f%2e%2e',
  '..',
  '\napi uuid_kill x',
  'x\r\nbgapi originate',
  'nul\u0000byte',
  'x'.repeat(4096),
  '\u202Eevil\u202Dcod',
  'Zoë Ñandú 東京',
  '',
  `"quoted" 'single'`,
  'with spaces',
  '{RECORD_STEREO=false}',
  '^^:sep:switch',
];

function assertSafe(t: Test, path: string, root: string, label: string): void {
  t.ok(isAbsolute(path) && !relative(root, path).startsWith('..'), `${label}: inside ${root}`);
  t.ok(!/[\s'"{}\\\p{Cc}]/u.test(path), `${label}: no blanks, quotes, braces or control characters`);
  t.ok(path.split('/').every((seg) => seg !== '..' && seg !== '.'), `${label}: no dot segments`);
  t.ok(path.length < 1024, `${label}: bounded (${path.length})`);
}

t.test("Wazo's default template", async (t) => {
  const n = new RecordingNamer(WAZO, SPOOL, []);
  const p = n.render(buildNamingVars(input(), NOW), 'call');
  t.equal(p.absolutePath, '/var/spool/fsrecd/acme/2026-11-24T00_33_39UTC-1000-7701.wav');
  t.equal(p.relativePath, 'acme/2026-11-24T00_33_39UTC-1000-7701.wav');
  t.equal(p.error, undefined);
  const od = n.render(buildNamingVars(input({ seq: 2 }), NOW), 'on-demand', 'mp3');
  t.equal(od.relativePath, `auto-${Math.floor(NOW.getTime() / 1000)}-1000-7701.mp3`);
});

t.test('hostile caller IDs never escape the spool dir, never reach the command line unsafe', async (t) => {
  const n = new RecordingNamer(WAZO, SPOOL, []);
  for (const bad of HOSTILE) {
    const p = n.render(buildNamingVars(input({ srcnum: bad, dstnum: bad, tenantUuid: bad }), NOW), 'call');
    assertSafe(t, p.absolutePath, SPOOL, JSON.stringify(bad.slice(0, 20)));
    t.equal(p.absolutePath.split('/').length, '/var/spool/fsrecd/x/y.wav'.split('/').length, `${JSON.stringify(bad.slice(0, 20))}: a variable's / makes no directory`);
  }
  t.equal(sanitizeVar('../../etc/passwd'), 'etc_passwd');
  t.equal(sanitizeVar('Zoë'), 'Zoe');
  t.equal(sanitizeVar(''), 'unknown');
  t.equal(sanitizeVar('x'.repeat(4096)).length, 64);
});

t.test('property: thousands of random strings keep every invariant', async (t) => {
  const n = new RecordingNamer(WAZO, SPOOL, []);
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const alphabet = ['/', '.', '..', '\\', '\n', '\r', ' ', '\t', '"', "'", '%', '{', '}', '\u0000', '\u202E', 'é', '東', 'a', '1', '-', '_', '~', '$', '*'];
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const s = Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]).join('');
    const p = n.render(buildNamingVars(input({ srcnum: s, dstnum: s }), NOW), 'call').absolutePath;
    const bad = !p.startsWith(`${SPOOL}/`) || /[\s'"{}\\\p{Cc}]/u.test(p) || p.split('/').some((x) => x === '..' || x === '.');
    if (bad) failures++;
  }
  t.equal(failures, 0, '3000 random strings');
});

t.test('absolute templates: allowed_dirs or the fallback', async (t) => {
  const abs = { ...WAZO, filenameTemplate: '/srv/recordings/{{ tenant_uuid }}/{{ uuid }}' };
  const ok = new RecordingNamer(abs, SPOOL, ['/srv/recordings']).render(buildNamingVars(input(), NOW), 'call');
  t.equal(ok.absolutePath, '/srv/recordings/acme/ea69231c-2b51-4e64-9cb8-0fa6c9963645.wav');
  t.equal(ok.root, '/srv/recordings');
  const refused = new RecordingNamer(abs, SPOOL, ['/srv/other']).render(buildNamingVars(input(), NOW), 'call');
  t.match(refused.error, /not under any of allowed_dirs/);
  t.ok(refused.absolutePath.startsWith(`${SPOOL}/fallback/`), 'still recorded, under the spool');
  const dots = new RecordingNamer({ ...WAZO, filenameTemplate: '../../{{ srcnum }}' }, SPOOL, []).render(buildNamingVars(input(), NOW), 'call');
  t.equal(dots.absolutePath, `${SPOOL}/1000.wav`, "the template's own .. segments are dropped");
});

t.test('template errors fall back loudly; compiled templates are cached', async (t) => {
  const broken = new RecordingNamer({ ...WAZO, filenameTemplate: '{{ srcnum ' }, SPOOL, []).render(buildNamingVars(input(), NOW), 'call');
  t.ok(broken.error, 'syntax error reported');
  t.match(broken.relativePath, /^fallback\/2026-11-24T00_33_39UTC-ea69231c-2b51-4e64-9cb8-0fa6c9963645-1\.wav$/);
  const undef = new RecordingNamer({ ...WAZO, filenameTemplate: '{{ no_such_var }}' }, SPOOL, []).render(buildNamingVars(input(), NOW), 'call');
  t.match(undef.error, /undefined|null/);
  const cli = renderForCli('{{ srcnum }}/{{ dstnum }}', 'ogg', { srcnum: '1', dstnum: '2' }, '/tmp/s', []);
  t.equal(cli.absolutePath, '/tmp/s/1/2.ogg');
});
