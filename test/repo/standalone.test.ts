/**
 * The repository stands alone: a clone and `make test` need nothing beside the checkout. Statically, no
 * file names a path outside it; dynamically, the tests that read the FreeSWITCH captures (and the script
 * that turns them into the simulator's templates) run in child processes whose every file-system access is
 * recorded (test/repo/fs-access-hook.cjs), and none may fall outside the repository, the temp dir or Node.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FIXTURE_DIR, RAW_FIXTURES } from '../helpers/fixtures';

const ROOT = realpathSync(join(__dirname, '..', '..'));
const HOOK = join(__dirname, 'fs-access-hook.cjs');
const SELF = realpathSync(__filename);
/** Directories that are build output, caches or dependencies, not the project's text. */
const NOT_SCANNED = new Set(['.git', 'node_modules', 'dist', '.tap', 'coverage']);
const CAPTURES = join(ROOT, 'test', 'fixtures');
const IN_REPO_CAPTURES = join(CAPTURES, 'freeswitch-esl');

function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!NOT_SCANNED.has(entry.name) && p !== CAPTURES) walk(p, out);
    } else if (entry.isFile() && statSync(p).size < 4_000_000) {
      out.push(p);
    }
  }
  return out;
}

/** What no file may say: the old places beside the checkout, and the checkout's own parent directory. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\.\.[\\/]+shared\b/, 'a path to ../shared'],
  [/\bshared[\\/]+fixtures\b/, 'shared/fixtures (the captures are in test/fixtures/freeswitch-esl)'],
  [/\bDESIGN\.md\b/, 'DESIGN.md (the design is docs/design.md)'],
  [/\/work\/shared\b/, 'an absolute path to /work/shared'],
];

/** `join(__dirname, '…')` / `resolve(__dirname, '…', …)` whose literal part climbs out of the repository. */
function escapingDirnamePaths(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b(?:join|resolve)\(\s*__dirname\s*((?:,\s*(?:'[^'\n]*'|"[^"\n]*"|`[^`$\n]*`)\s*)+)/g)) {
    const parts = [...(m[1] ?? '').matchAll(/'([^'\n]*)'|"([^"\n]*)"|`([^`$\n]*)`/g)].map((p) => p[1] ?? p[2] ?? p[3] ?? '');
    const target = resolve(dirname(file), ...parts);
    if (!inside(ROOT, target)) found.push(`${m[0].trim()} -> ${target}`);
  }
  return found;
}

t.test('static: no file of the repository names a place outside it', async (t) => {
  const files = walk(ROOT).filter((f) => f !== SELF);
  t.ok(files.some((f) => f.endsWith(join('src', 'daemon.ts'))) && files.length > 100, `scanned the whole repository (${files.length} files)`);
  const parent = dirname(ROOT);
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'latin1');
    const rel = relative(ROOT, file);
    text.split('\n').forEach((line, i) => {
      for (const [re, what] of FORBIDDEN) if (re.test(line)) problems.push(`${rel}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      // The checkout's own location, or a folder beside it, must never be written into it (a clone elsewhere
      // would not find it). Only these: the parent itself may be a common place (/tmp) that captures also name.
      for (const place of [ROOT, join(parent, 'shared')]) {
        if (parent !== '/' && line.includes(place)) problems.push(`${rel}:${i + 1}: absolute path to ${place}: ${line.trim().slice(0, 120)}`);
      }
    });
    if (/\.(ts|cjs|mjs|js)$/.test(file)) for (const p of escapingDirnamePaths(file, text)) problems.push(`${rel}: path outside the repository: ${p}`);
  }
  t.same(problems, [], 'nothing outside the repository is named');

  // The scanner itself: each rule finds what it is for.
  for (const old of ['(DESIGN.md section 2)', "join(__dirname, '../../shared/fixtures/freeswitch-esl')", '/work/shared/DESIGN.md']) {
    t.ok(FORBIDDEN.some(([re]) => re.test(old)), `the patterns catch ${old}`);
  }
  t.notOk(FORBIDDEN.some(([re]) => re.test('(docs/design.md section 2), test/fixtures/freeswitch-esl')), 'and not the new places');
  t.same(escapingDirnamePaths(join(ROOT, 'test', 'helpers', 'x.ts'), "join(__dirname, '../../..', 'elsewhere')").length, 1, 'a __dirname path that climbs out is found');
  t.same(escapingDirnamePaths(join(ROOT, 'test', 'helpers', 'x.ts'), "join(__dirname, '..', 'fixtures', 'freeswitch-esl')").length, 0, 'one that stays inside is not');
});

t.test('the captures are in the repository, byte for byte, and git never converts them', async (t) => {
  const sums = readFileSync(join(ROOT, 'test', 'fixtures', 'freeswitch-esl.sha256'), 'utf8').trim().split('\n');
  t.equal(FIXTURE_DIR, IN_REPO_CAPTURES, 'the tests read the captures from test/fixtures/freeswitch-esl');
  const listed = sums.map((line) => line.split(/\s+/)[1] ?? '');
  t.same(readdirSync(IN_REPO_CAPTURES).sort(), [...listed].sort(), 'every capture (and its README) is listed in freeswitch-esl.sha256');
  for (const line of sums) {
    const [sum, name] = line.split(/\s+/);
    t.equal(createHash('sha256').update(readFileSync(join(IN_REPO_CAPTURES, name ?? ''))).digest('hex'), sum, `${name} is the capture as recorded`);
  }
  for (const name of RAW_FIXTURES) t.ok(listed.includes(name), `${name}, which the tests read, is there`);
  const attr = await run('git', ['check-attr', 'text', '--', 'test/fixtures/freeswitch-esl/02-answered-call-record.raw', 'test/fixtures/freeswitch-esl/README.md']);
  t.match(attr.stdout, /02-answered-call-record\.raw: text: unset/, '.gitattributes: the captures are not text to git');
  t.match(attr.stdout, /README\.md: text: unset/, 'nor is their README');
});

interface RunResult {
  code: number | null;
  /** Stopped at the time cap (the paths it touched until then are still known). */
  capped: boolean;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, capped: !!err?.killed, stdout, stderr }),
    );
  });
}

/** Runs a TypeScript file under tsx with the access hook; returns what it touched. */
async function traced(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<RunResult & { paths: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-standalone-'));
  try {
    const log = join(dir, 'accessed');
    writeFileSync(log, '');
    const r = await run(process.execPath, ['--require', HOOK, '--import', 'tsx', file, ...args], { ...env, FSRECD_FS_LOG: log }, timeoutMs);
    return { ...r, paths: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each capture-reading test runs under the hook for at most this long: they read their captures in their
 * first milliseconds, most end within a second or two, and a slow one (every capture cut at every byte) is
 * checked for what it touched until then rather than run in full a second time.
 */
const TEST_CAP_MS = 8_000;

const ALLOWED: string[] = [ROOT, realpathSync(tmpdir()), tmpdir(), dirname(dirname(process.execPath))];
/**
 * shared/ beside the checkout is outside it even when the checkout sits in the temp directory (as a CI clone
 * may), where the temp dir's other entries are the tests' own.
 */
function besideCheckout(p: string): boolean {
  const parent = dirname(ROOT);
  if (inside(join(parent, 'shared'), p)) return true;
  const inTemp = [realpathSync(tmpdir()), tmpdir()].some((d) => d === parent || inside(d, parent));
  return !inTemp && inside(parent, p) && !inside(ROOT, p);
}

function outside(paths: string[]): string[] {
  // tsx probes whether the file system is case-sensitive by asking for the upper-cased project path.
  return paths.filter((p) => (besideCheckout(p) || !ALLOWED.some((dir) => inside(dir, p))) && p !== ROOT.toUpperCase());
}

/** The .ts files a test file imports from test/, transitively (src/ reads no captures: the static check holds it). */
function testImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), `${m[1] ?? ''}.ts`);
    if (inside(join(ROOT, 'test'), target) && statSync(target, { throwIfNoEntry: false })?.isFile()) testImports(target, seen);
  }
  return seen;
}

/**
 * Every test that reads the captures, itself or through a helper (found, not listed, so a new one is covered
 * at once) — except those that drive the built daemon (dist/cli.js): they are the suite's slowest, and the
 * code of theirs that reads captures is the helpers' the others run here too.
 */
function captureReadingTests(): string[] {
  const readsCaptures = (f: string): boolean => /helpers\/fixtures'|fixtures[\\/]freeswitch-esl/.test(readFileSync(f, 'utf8'));
  return walk(join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts') && f !== SELF)
    .filter((f) => [...testImports(f)].some(readsCaptures))
    .filter((f) => !readFileSync(f, 'utf8').includes('dist/cli.js'))
    .sort();
}

t.test('dynamic: the capture-reading tests and the template script touch nothing outside the repository', async (t) => {
  const tests = captureReadingTests();
  for (const known of ['test/sim/conformance.test.ts', 'test/esl/frame-parser.test.ts', 'test/fuzz/events.fuzz.test.ts']) {
    t.ok(tests.includes(join(ROOT, known)), `${known} is among the tests that read captures`);
  }
  t.notOk(tests.some((f) => f.endsWith('daemon-process.fuzz.test.ts')), 'the built-daemon tests are left to the suite');
  t.comment(`capture-reading tests: ${tests.map((f) => relative(ROOT, f)).join(', ')}`);
  const out = mkdtempSync(join(tmpdir(), 'fsrecd-templates-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const templates = join(out, 'captured-frames.json');
  const jobs: Array<[string, () => Promise<RunResult & { paths: string[] }>]> = [
    ...tests.map((f): [string, () => Promise<RunResult & { paths: string[] }>] => [relative(ROOT, f), () => traced(f, [], { FUZZ_EVENTS: '300' }, TEST_CAP_MS)]),
    ['scripts/extract-sim-templates.ts', () => traced(join(ROOT, 'scripts', 'extract-sim-templates.ts'), [templates])],
  ];
  // Two at a time: the machine's cores are shared. The fast known ones must finish, not just start.
  const results = new Map<string, RunResult & { paths: string[] }>();
  const queue = [...jobs];
  await Promise.all([0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) results.set(job[0], await job[1]());
  }));
  for (const [name, r] of results) {
    if (r.capped) t.comment(`${name}: stopped after ${TEST_CAP_MS} ms; checked for what it touched until then`);
    else t.equal(r.code, 0, `${name} passes under the hook${r.code === 0 ? '' : `:\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`}`);
    t.ok(r.paths.some((p) => inside(IN_REPO_CAPTURES, p)), `${name} read the captures in the repository (the hook saw ${r.paths.length} paths)`);
    t.same(outside(r.paths), [], `${name} touched nothing outside the repository`);
  }
  for (const known of ['test/sim/conformance.test.ts', 'test/esl/frame-parser.test.ts', 'test/fuzz/events.fuzz.test.ts', 'scripts/extract-sim-templates.ts']) {
    t.equal(results.get(known)?.capped, false, `${known} ran to its end`);
  }
  t.equal(readFileSync(templates, 'utf8'), readFileSync(join(ROOT, 'src', 'sim', 'captured-frames.json'), 'utf8'), 'src/sim/captured-frames.json is what the captures in the repository give');
});

t.test('the hook sees a read beside the checkout, even one that fails', async (t) => {
  const probe = join(mkdtempSync(join(tmpdir(), 'fsrecd-probe-')), 'probe.ts');
  t.teardown(() => rmSync(dirname(probe), { recursive: true, force: true }));
  const beside = join(dirname(ROOT), 'shared', 'fsrecd-probe-not-there.raw');
  // Like the repository, the probe's directory has its own package.json and tsconfig.json, so the loader's
  // look-ups stop there instead of climbing to /.
  writeFileSync(join(dirname(probe), 'package.json'), '{"type": "commonjs"}\n');
  writeFileSync(join(dirname(probe), 'tsconfig.json'), '{}\n');
  writeFileSync(probe, `import { readFileSync } from 'node:fs';\ntry { readFileSync(${JSON.stringify(beside)}); } catch { /* ENOENT is the point */ }\n`);
  const r = await traced(probe);
  t.equal(r.code, 0, 'the probe ran');
  t.same(outside(r.paths), [beside], 'the failed read outside the repository is reported, and only it');
});
