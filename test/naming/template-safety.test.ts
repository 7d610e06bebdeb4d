/**
 * Issue #11 item 13: templates must not run code. nunjucks alone lets `{{ range.constructor("…")() }}`
 * reach Function; every exploit here is refused at compile time (check-config: a located error), and at
 * run time the recording gets the fallback name and the object key the default one. Each payload would
 * set a global and write a marker file if it ran: neither happens.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { loadConfigFromString } from '../../src/config/load';
import { RecordingNamer } from '../../src/naming/namer';
import { renderObjectKey } from '../../src/naming/object-key';
import { compileTemplate, UnsafeTemplateError } from '../../src/templates/template-env';
import { buildNamingVars } from '../../src/naming/variables';
import type { RecordingMeta } from '../../src/model/recording';

const FLAG = '__fsrecdTemplateRan';
const dir = mkdtempSync(join(tmpdir(), 'fsrecd-tpl-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const MARKER = join(dir, 'marker');
/** JavaScript that, if it ever ran, would leave both traces. */
const PAYLOAD = `globalThis.${FLAG} = 1; process.getBuiltinModule ? process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(MARKER)}, 'ran') : 0; return 'x'`;
const P = JSON.stringify(PAYLOAD);

const EXPLOITS: Record<string, string> = {
  'range.constructor': `{{ range.constructor(${P})() }}`,
  'srcnum.constructor.constructor': `{{ srcnum.constructor.constructor(${P})() }}`,
  'cycler.constructor': `{{ cycler.constructor(${P})() }}`,
  'joiner.constructor': `{{ joiner.constructor(${P})() }}`,
  'set x = range.constructor': `{% set x = range.constructor %}{{ x(${P})() }}`,
  'set x = range.constructor, alone': '{% set x = range.constructor %}{{ srcnum }}',
  '["constructor"] attribute': `{{ srcnum["constructor"]["constructor"](${P})() }}`,
  'computed key': `{% set k = "constr" + "uctor" %}{{ srcnum[k][k](${P})() }}`,
  'srcnum.__proto__': '{{ srcnum.__proto__ }}',
  'srcnum.prototype': '{{ srcnum.prototype }}',
  'bare constructor name': '{{ constructor }}',
  'a filter named constructor': '{{ srcnum | constructor }}',
  'a test named constructor': '{% if srcnum is constructor %}x{% endif %}',
  'select runs a test by name': '{{ srcnum | select("constructor") }}',
  'a macro': `{% macro m() %}x{% endmacro %}{{ m() }}`,
  'an include': '{% include "/etc/passwd" %}',
  'a call to a filter function found by lookup': `{{ srcnum.toString.call(srcnum) }}`,
};

function traces(): { flag: boolean; marker: boolean } {
  return { flag: (globalThis as Record<string, unknown>)[FLAG] !== undefined, marker: existsSync(MARKER) };
}

t.test('control: stock nunjucks runs the payload, so the traces below would show if ours did', async (t) => {
  const stock = new nunjucks.Environment(null, { autoescape: false });
  t.equal(stock.renderString(EXPLOITS['range.constructor'] as string, {}), 'x');
  t.same(traces(), { flag: true, marker: typeof process.getBuiltinModule === 'function' }, 'the payload leaves its traces');
  delete (globalThis as Record<string, unknown>)[FLAG];
  rmSync(MARKER, { force: true });
  t.same(traces(), { flag: false, marker: false }, 'traces cleared');
});

const vars = buildNamingVars({ srcnum: '1000', dstnum: '1001', baseContext: 'default', tenantUuid: 'acme', uuid: 'u-1', direction: 'inbound', network: 'internal', node: 'pbx1' }, new Date('2026-11-24T00:33:39Z'));
const meta: RecordingMeta = {
  id: 'u-1-1', callUuid: 'u-1', legUuid: 'u-1', path: '/var/spool/fsrecd/acme/r.wav', relativePath: 'acme/r.wav', format: 'wav',
  srcnum: '1000', dstnum: '1001', callerName: 'A', direction: 'inbound', network: 'internal', domain: 'pbx', tenantUuid: 'acme',
  node: 'pbx1', reasons: [], onDemand: false, startedAt: '2026-11-24T00:33:39.000Z',
};

for (const [label, source] of Object.entries(EXPLOITS)) {
  t.test(`refused: ${label}`, async (t) => {
    t.throws(() => compileTemplate(source), /not allowed in a template/, 'compileTemplate refuses it');

    const named = new RecordingNamer({ filenameTemplate: source, filenameExtension: 'wav', onDemandFilenameTemplate: source }, '/var/spool/fsrecd', []).render(vars, 'call');
    t.match(named.relativePath, /^fallback\//, 'the recording gets the fallback name');
    t.match(named.error, /not allowed in a template/);

    const key = renderObjectKey(source, meta);
    t.equal(key.key, `${meta.node}/${meta.relativePath}`, 'the object key is the default key: node, then relative path');
    t.match(key.error, /not allowed in a template/);

    const cfg = await loadConfigFromString(`call_recording:\n  filename_template: '${source.replace(/'/g, "''")}'\n`, '/etc/fsrecd/fsrecd.yml', {});
    t.equal(cfg.ok, false, 'check-config refuses it');
    if (!cfg.ok) t.match(String(cfg.errors[0]), /^\/etc\/fsrecd\/fsrecd\.yml:2:22: call_recording\.filename_template: bad template: .*not allowed in a template/);

    t.same(traces(), { flag: false, marker: false }, 'the payload did not run');
  });
}

t.test('the refusal names what and where', async (t) => {
  t.throws(() => compileTemplate('ok {{ srcnum }}\n{{ range.constructor("x")() }}'), { message: /a function call is not allowed in a template \(template line 2, column \d+\)/ });
  t.throws(() => compileTemplate('{{ srcnum["constructor"] }}'), new UnsafeTemplateError('the attribute "constructor" is not allowed in a template (template line 1, column 10)'));
});

t.test('ordinary templates still work: variables, filters, conditions, loops, set, literal lookups', async (t) => {
  const render = (source: string): string => new RecordingNamer({ filenameTemplate: source, filenameExtension: 'wav', onDemandFilenameTemplate: source }, '/s', []).render(vars, 'call').relativePath;
  t.equal(render('{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}'), 'acme/2026-11-24T00_33_39UTC-1000-1001.wav');
  t.equal(render('{{ tenant_uuid | upper }}/{{ srcnum | replace("10", "x") }}-{{ dstnum | truncate(2, true, "") }}'), 'ACME/x00-10.wav');
  t.equal(render('{% if direction == "inbound" %}in{% else %}out{% endif %}/{{ year }}/{{ month }}/{{ uuid }}'), 'in/2026/11/u-1.wav');
  t.equal(render('{% set who = user if user is defined else "nobody" %}{{ who }}-{{ srcnum[0] }}-{{ srcnum.length }}'), 'unknown-1-4.wav');
  t.equal(render('{% for part in [tenant_uuid, node] %}{{ part }}/{% endfor %}{{ name }}'), 'acme/pbx1/1000-1001.wav', '`name` is an ordinary variable');
});
