/**
 * Issue #11: "Adding a new durable step without a number should fail a test." Every write, rename, unlink,
 * link, fsync and S3 put/delete in src/ has a crash point right above it (durable-steps.ts says how that is
 * read), every point in CRASH_POINTS is reached from src/, and src/ names no point the list lacks.
 * src/sim/ is the FreeSWITCH simulator: its files are FreeSWITCH's, not fsrecd's state.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CRASH_POINTS } from '../../src/durability/faults';
import { listFilesSync } from '../../src/util/list-files';
import { DurableStepChecker, type SourceText } from './durable-steps';

const ROOT = join(__dirname, '../..');

function sourceFiles(): SourceText[] {
  return listFilesSync(join(ROOT, 'src'))
    .filter((f) => f.endsWith('.ts') && !relative(ROOT, f).startsWith('src/sim/'))
    .map((f) => ({ path: relative(ROOT, f), text: readFileSync(f, 'utf8') }));
}

const show = (fs: Array<{ path: string; line: number; call: string; why: string }>): string => fs.map((f) => `${f.path}:${f.line} ${f.call} ${f.why}`).join('\n');

t.test('every durable step in src/ has a number (or says why it needs none)', async (t) => {
  const files = sourceFiles();
  t.ok(files.some((f) => f.path === 'src/spool/spool.ts') && files.some((f) => f.path === 'src/util/atomic-file.ts'), 'the check reads the spool and the atomic writes');
  const findings = new DurableStepChecker(files).findings();
  t.same(findings, [], `unnumbered durable steps:\n${show(findings)}`);
});

t.test('every crash point is reached from src/, and src/ names no other', async (t) => {
  const used = new DurableStepChecker(sourceFiles()).pointsUsed();
  const names = new Set(used.map((u) => u.point));
  const known = new Set<string>(CRASH_POINTS);
  t.same(CRASH_POINTS.filter((p) => !names.has(p)), [], 'no dead point: each is called somewhere in src/');
  const strangers = used.filter((u) => !known.has(u.point));
  t.same(strangers.map((u) => `${u.path}:${u.line} ${u.point}`), [], 'no point outside CRASH_POINTS');
});

// The checker itself, on samples: it must say no where a number is missing, and yes where one is there.
const check = (text: string, more: SourceText[] = []): Array<{ line: number; call: string }> =>
  new DurableStepChecker([{ path: 'sample.ts', text }, ...more]).findings().filter((f) => f.path === 'sample.ts').map(({ line, call }) => ({ line, call }));

t.test('the checker finds an unnumbered durable step', async (t) => {
  t.same(check(`import { unlink } from 'node:fs/promises';\nexport async function gone(x: string) {\n  await unlink(x);\n}\n`), [{ line: 3, call: 'unlink(' }], 'a bare unlink');
  t.same(check(`async function f(faults, x) {\n  faults.at('journal.unlink');\n  await unlink(x);\n}\n`), [], 'numbered right above');
  t.same(check(`async function f(faults, x, y) {\n  faults.at('journal.unlink');\n  await unlink(x);\n  await a();\n  await b();\n  await c();\n  await d();\n  await rename(x, y);\n}\n`), [{ line: 8, call: 'rename(' }], 'a number too far above is not this step\'s');
  t.same(check(`async function f(x) {\n  // faults.at('journal.unlink') in a comment\n  const s = "faults.at('x')";\n  await unlink(x);\n}\n`), [{ line: 4, call: 'unlink(' }], 'a comment or a string is no number');
  t.same(check(`async function f(faults, x) {\n  faults.at('journal.unlink');\n  const g = async () => {\n    await unlink(x);\n  };\n  await g();\n}\n`), [{ line: 4, call: 'unlink(' }], 'a number in the outer function is not the callback\'s');
  t.same(check(`async function f(faults, x) {\n  await unlink(x);\n  faults.at('journal.unlink');\n}\n`), [{ line: 2, call: 'unlink(' }], 'a number after the step is too late');
  t.same(check(`function f(rec, x) {\n  rec.masks.at(-1);\n  return unlink(x);\n}\n`), [{ line: 3, call: 'unlink(' }], 'Array#at is no crash point');
  t.same(check(`async function f(x) {\n  await unlink(x); // durable-exempt: our own temp\n}\n`), [], 'an exemption on the line, with its reason');
  t.same(
    check(`async function f(p) {\n  const fh = await open(p, 'wx');\n  await fh.writeFile('1');\n  await fh.sync();\n  const r = await open(p, 'r');\n}\n`),
    [{ line: 2, call: "open(…, 'wx')" }, { line: 3, call: 'writeFile(' }, { line: 4, call: 'sync(' }],
    'open for writing, a FileHandle write and its fsync; open for reading is no step',
  );
  t.same(check(`async function f(c) {\n  await c.putObject('b', 'k', body);\n  await c.removeObject('b', 'k');\n}\n`), [{ line: 2, call: 'putObject(' }, { line: 3, call: 'removeObject(' }], 'S3 writes and deletes');
  t.same(check(`async function f(p) {\n  await writeFileAtomic(p, 'x');\n}\n`), [{ line: 2, call: 'writeFileAtomic(' }], 'an atomic write must name its writer');
});

t.test('the checker follows small helpers to their callers, and no further than that', async (t) => {
  const helper = `async function fsyncPath(p) {\n  const fh = await open(p, 'r');\n  await fh.sync();\n}\n`;
  t.same(check(`${helper}export async function commit(steps, p) {\n  steps?.faults.at(\`\${steps.writer}.fsync-temp\`);\n  await fsyncPath(p);\n}\n`), [], 'a helper every caller numbers');
  t.same(check(`${helper}export async function commit(steps, p) {\n  steps?.faults.at(\`\${steps.writer}.fsync-temp\`);\n  await fsyncPath(p);\n}\nexport async function other(p) {\n  await fsyncPath(p);\n}\n`), [{ line: 3, call: 'sync(' }], 'one unnumbered caller leaves the helper unnumbered');
  t.same(check(`${helper}`), [{ line: 3, call: 'sync(' }], 'a helper nobody calls is unnumbered');
  t.same(
    check(`export class T {\n  async #create(k) {\n    await this.client.putObject('b', k);\n  }\n  async put(faults, k) {\n    faults.at('upload.put-object');\n    return this.#create(k);\n  }\n}\n`),
    [],
    'a private method numbered at its one call',
  );
  t.same(
    check(`export class T {\n  async put(k) {\n    await this.look(k);\n    await unlink(k);\n  }\n}\n`, [{ path: 'caller.ts', text: `async function up(faults, t) {\n  faults.at('upload.put-object');\n  await t.put('k');\n}\n` }]),
    [{ line: 4, call: 'unlink(' }],
    'a public method is not a helper: a write buried in put() is not numbered by the point before put()',
  );
  t.same(
    check(`export async function linkExclusive(a, b) {\n  await link(a, b);\n}\n`, [{ path: 'caller.ts', text: `import { linkExclusive } from './sample';\nasync function g(faults) {\n  faults.at('local.link');\n  return linkExclusive('a', 'b');\n}\n` }]),
    [],
    'an exported helper numbered where another file imports and calls it',
  );
});

t.test('a scratch copy of src/ with one unnumbered unlink added fails the check at that line', async (t) => {
  const files = sourceFiles();
  const spool = files.find((f) => f.path === 'src/spool/spool.ts') as SourceText;
  const lines = spool.text.split('\n');
  // Into prune(), after its first line: far from any crash point.
  const at = lines.findIndex((l) => l.includes('async #prune(): Promise<void> {')) + 1;
  t.ok(at > 0, 'found #prune in spool.ts');
  lines.splice(at, 0, '    await unlink(this.opts.spoolDir + "/x");');
  const scratch = files.map((f) => (f === spool ? { ...spool, text: lines.join('\n') } : f));
  const before = new DurableStepChecker(files).findings().map((f) => `${f.path}:${f.line}`);
  const after = new DurableStepChecker(scratch).findings().map((f) => `${f.path}:${f.line}`);
  t.ok(after.includes(`src/spool/spool.ts:${at + 1}`), 'the added line is named');
  t.equal(after.length, before.length + 1, 'and nothing else changed');
});
