/**
 * Issue #16: several FreeSWITCH servers, one archive. Without storage.key_template the object key is
 * `<node>/<relative path>`, so two servers with the same filename template naming the same call in the same
 * second ask for two keys; a hostile hostname is one plain segment; local storage keeps it below its dir.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { RecordingMeta } from '../../src/model/recording';
import { RecordingNamer } from '../../src/naming/namer';
import { MAX_OBJECT_KEY_BYTES, renderObjectKey } from '../../src/naming/object-key';
import { sanitizeVar } from '../../src/naming/sanitize';
import { buildNamingVars } from '../../src/naming/variables';
import { LocalTarget } from '../../src/storage/local-target';
import { walkFiles } from '../../src/util/walk-files';

const UUID = '5d1c7a52-2a0e-4d8c-9c55-3f7b0e2f9a10';
const STARTED = new Date('2026-11-28T01:02:03Z');

/** The path the default filename template gives this call on a node: the namer as the recorder runs it. */
function relativePathOn(node: string): string {
  const namer = new RecordingNamer({ filenameTemplate: '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}', filenameExtension: 'wav', onDemandFilenameTemplate: 'x' }, '/var/spool/fsrecd', []);
  const vars = buildNamingVars({ srcnum: '1000', dstnum: '2000', baseContext: 'default', tenantUuid: 'acme', uuid: UUID, direction: 'inbound', network: 'internal', node }, STARTED);
  return namer.render(vars, 'call').relativePath;
}

function meta(node: string, relativePath = relativePathOn(node)): RecordingMeta {
  return {
    id: `${UUID}-1`,
    callUuid: UUID,
    legUuid: UUID,
    path: `/var/spool/fsrecd/${relativePath}`,
    relativePath,
    format: 'wav',
    srcnum: '1000',
    dstnum: '2000',
    callerName: 'Alice',
    direction: 'inbound',
    network: 'internal',
    domain: 'pbx.example.com',
    tenantUuid: 'acme',
    node,
    reasons: ['account'],
    onDemand: false,
    startedAt: STARTED.toISOString(),
  };
}

function isSafeKey(key: string): boolean {
  return key.length > 0 && Buffer.byteLength(key) <= MAX_OBJECT_KEY_BYTES && /^[A-Za-z0-9._/-]+$/.test(key) && key.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

t.test('two nodes, the same template, the same call data, the same second: two keys', async (t) => {
  const a = meta('pbx-a');
  const b = meta('pbx-b');
  t.equal(a.relativePath, b.relativePath, 'the file names collide, as the issue says');
  const keyA = renderObjectKey(undefined, a);
  const keyB = renderObjectKey(undefined, b);
  t.same(keyA, { key: `pbx-a/${a.relativePath}` }, 'the default key: the node, then the relative path');
  t.same(keyB, { key: `pbx-b/${b.relativePath}` });
  t.not(keyA.key, keyB.key);
  t.equal(keyA.key, renderObjectKey('{{ node }}/{{ relative_path }}', a).key, 'exactly what {{ node }}/{{ relative_path }} renders');
});

t.test('an explicit key_template stays as the operator wrote it', async (t) => {
  t.same(renderObjectKey('{{ relative_path }}', meta('pbx-a')), { key: meta('pbx-a').relativePath }, 'the layout of earlier versions, on request');
  t.same(renderObjectKey('{{ tenant_uuid }}/{{ uuid }}-{{ seq }}.{{ extension }}', meta('pbx-a')), { key: `acme/${UUID}-1.wav` }, 'no node added');
  const failed = renderObjectKey('{{ no_such_variable }}', meta('pbx-a'));
  t.equal(failed.key, `pbx-a/${meta('pbx-a').relativePath}`, 'a template that fails falls back to the default key, node included');
  t.match(failed.error, /undefined/);
});

t.test('no node known (an adopted spool file): the relative path alone, never an empty or "unknown" segment', async (t) => {
  for (const node of ['', ' ', '\n']) {
    const m = meta(node, 'acme/adopted.wav');
    t.same(renderObjectKey(undefined, m), { key: 'acme/adopted.wav' }, JSON.stringify(node));
  }
});

t.test('a hostile node name is one plain segment: no dot segment, no slash, no empty segment, bounded', async (t) => {
  const rel = 'acme/2026-11-28T01_02_03UTC-1000-2000.wav';
  const cases: Array<[string, string]> = [
    ['../..', sanitizeVar('../..')],
    ['..', sanitizeVar('..')],
    ['.', sanitizeVar('.')],
    ['a/b', 'a_b'],
    ['/etc/passwd', 'etc_passwd'],
    ['pbx-a\n../evil', 'pbx-a_evil'],
    ['x'.repeat(4096), 'x'.repeat(64)],
    ['東京-pbx', 'pbx'],
  ];
  for (const [node, segment] of cases) {
    const { key, error } = renderObjectKey(undefined, meta(node, rel));
    const label = JSON.stringify(node.slice(0, 16));
    t.equal(error, undefined, `${label}: no error`);
    t.equal(key, `${segment}/${rel}`, `${label}: the node is the single segment ${JSON.stringify(segment.slice(0, 16))}`);
    t.ok(isSafeKey(key), `${label}: a safe key`);
    t.equal(key.split('/').length, rel.split('/').length + 1, `${label}: exactly one segment more than the relative path`);
  }
  t.equal(sanitizeVar('../..'), 'unknown', 'nothing usable left: the placeholder name, still a plain segment');
});

t.test('an overlong relative path: a short key from the id, still under the node', async (t) => {
  const long = `${'d'.repeat(200)}/`.repeat(6) + 'x.wav';
  const r = renderObjectKey(undefined, meta('pbx-a', long));
  t.equal(r.key, `pbx-a/overlong/${UUID}-1.wav`);
  t.match(r.error, /the relative path is not a usable key \(1211 bytes, or a dot segment\)/);
  const nearLimit = `${'d'.repeat(200)}/`.repeat(4) + `${'e'.repeat(190)}.wav`;
  t.ok(Buffer.byteLength(nearLimit) <= MAX_OBJECT_KEY_BYTES && Buffer.byteLength(`${'n'.repeat(64)}/${nearLimit}`) > MAX_OBJECT_KEY_BYTES, 'fits alone, not with a 64-character node');
  const withNode = renderObjectKey(undefined, meta('n'.repeat(64), nearLimit));
  t.equal(withNode.key, `${'n'.repeat(64)}/overlong/${UUID}-1.wav`, 'the node counts toward the 1,000 bytes');
});

t.test('local storage: the same key, as a path confined below storage.dir', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fsrecd-node-key-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'store');
  const audio = join(root, 'audio.wav');
  writeFileSync(audio, 'RIFF-node-key');
  const target = new LocalTarget(dir);
  const nodes = ['pbx-a', 'pbx-b', '../..', '../../../etc', 'a/b', '\n'];
  const keys: string[] = [];
  for (const [i, node] of nodes.entries()) {
    const m = { ...meta(node), id: `${UUID}-${i + 1}` };
    const key = target.keyFor(m);
    t.equal(key, renderObjectKey(undefined, m).key, `${JSON.stringify(node)}: the default object key`);
    keys.push((await target.put(audio, key, m, undefined)).key);
  }
  t.equal(new Set(keys).size, nodes.length, 'every recording got its own key');
  const files: string[] = [];
  for await (const f of walkFiles(root)) files.push(relative(root, f));
  t.ok(files.filter((f) => f !== 'audio.wav').every((f) => f.startsWith('store/')), `nothing written outside storage.dir: ${files.join(', ')}`);
  t.same(readdirSync(dir).sort(), ['a_b', 'acme', 'etc', 'pbx-a', 'pbx-b', 'unknown'].sort(), 'one directory per node; the blank node stores under the relative path (acme/)');
  await t.rejects(target.put(audio, '../escape.wav', meta('pbx-a'), undefined), /escapes the storage directory/, 'a key naming a path outside is still refused');
});
