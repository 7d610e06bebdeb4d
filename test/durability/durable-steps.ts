/**
 * A static check over fsrecd's source: every call that changes durable state (a file write, rename, unlink,
 * link, fsync, an S3 put or delete) must be numbered, i.e. have a fault-layer call (`faults.at('point')`,
 * `steps?.faults.at(...)`) within a few lines above it in the same function, so the crash-point suite can
 * kill the daemon exactly there. Parsed with the TypeScript compiler (not by regular expressions), so a
 * comment or a string mentioning `unlink(` is not a call and `rec.masks.at(-1)` is not a fault point.
 *
 * Two ways besides a number right above:
 * - `durable-exempt: <why>` in a comment on the line: a write whose loss costs nothing (a user's download, a
 *   temp file of our own). The reason is part of the exemption.
 * - A small helper that only does the step (a module-level function, or a private method) is numbered when
 *   every call of it is numbered, e.g. an fsync helper called right after `faults.at('journal.fsync-temp')`.
 *   Public methods and callbacks do not pass a number on: a write buried in `put()` is not covered by the
 *   `upload.put-object` before the call of `put()`.
 */
import ts from 'typescript';

export interface SourceText {
  /** Path relative to the repository (used in findings). */
  path: string;
  text: string;
}

export interface Finding {
  path: string;
  line: number;
  call: string;
  why: string;
}

/** Calls that change a file system's durable state, by the name called (fs, fs/promises, a FileHandle). */
const FS_WRITES = new Set([
  'writeFile', 'writeFileSync', 'appendFile', 'appendFileSync',
  'rename', 'renameSync', 'unlink', 'unlinkSync', 'rm', 'rmSync', 'rmdir', 'rmdirSync',
  'copyFile', 'copyFileSync', 'cp', 'cpSync', 'link', 'linkSync', 'symlink', 'symlinkSync',
  'truncate', 'truncateSync', 'ftruncate', 'sync', 'fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync',
  'createWriteStream',
]);

/** Calls that change an object store (minio-js). */
const STORE_WRITES = new Set(['putObject', 'fPutObject', 'removeObject', 'removeObjects', 'copyObject', 'composeObject', 'completeMultipartUpload']);

/** open()/openSync() with these flags creates or changes a file. */
const WRITE_FLAGS = /^[wa]|\+/;

/** Atomic-file writes must say which writer they are (its steps are numbered through it). */
const ATOMIC_WRITES = new Set(['writeFileAtomic', 'commitFile']);

/** How far above a durable call its number may be. */
export const NUMBER_WINDOW_LINES = 5;

const HELPER_DEPTH = 3;

type FunctionLike = ts.FunctionLikeDeclaration;

interface Parsed {
  src: SourceText;
  sf: ts.SourceFile;
  lines: string[];
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

/** What kind of durable step a call is, or undefined for an ordinary call. */
export function durableCallKind(call: ts.CallExpression): string | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  if (name === 'open' || name === 'openSync') {
    const flags = call.arguments[1];
    return flags && (ts.isStringLiteral(flags) || ts.isNoSubstitutionTemplateLiteral(flags)) && WRITE_FLAGS.test(flags.text) ? `${name}(…, '${flags.text}')` : undefined;
  }
  if (name === 'sync' && call.arguments.length > 0) return undefined; // not a FileHandle's sync()
  if (FS_WRITES.has(name) || STORE_WRITES.has(name)) return `${name}(`;
  return undefined;
}

/** A fault-layer call: `<x>.at('point')` or `<x>.at(\`${writer}.step\`)` (Array#at takes a number). */
export function isFaultCall(call: ts.CallExpression): boolean {
  const e = call.expression;
  if (!ts.isPropertyAccessExpression(e) || e.name.text !== 'at') return false;
  const arg = call.arguments[0];
  return !!arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg) || ts.isTemplateExpression(arg));
}

function enclosingFunction(node: ts.Node): FunctionLike | undefined {
  for (let n = node.parent; n; n = n.parent) if (ts.isFunctionLike(n) && 'body' in n) return n as FunctionLike;
  return undefined;
}

function exempt(p: Parsed, node: ts.Node): boolean {
  const first = lineOf(p.sf, node);
  const last = p.sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
  for (let l = first; l <= last; l++) if (p.lines[l - 1]?.includes('durable-exempt:')) return true;
  return false;
}

/** A fault call in the same function, before the node and at most NUMBER_WINDOW_LINES lines above it. */
function numberedInPlace(p: Parsed, node: ts.Node): boolean {
  const fn = enclosingFunction(node);
  const line = lineOf(p.sf, node);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n !== fn && ts.isFunctionLike(n)) return; // another function's number is not this one's
    if (ts.isCallExpression(n) && isFaultCall(n) && n.getStart(p.sf) < node.getStart(p.sf)) {
      const l = lineOf(p.sf, n);
      if (l >= line - NUMBER_WINDOW_LINES && l <= line) found = true;
    }
    n.forEachChild(visit);
  };
  visit(fn ?? p.sf);
  return found;
}

/** The name a helper is called by, when it is one: a module-level function or a private method. */
function helperName(fn: FunctionLike): { name: string; exported: boolean } | undefined {
  const exported = (n: ts.Node): boolean => ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  if (ts.isFunctionDeclaration(fn) && fn.name && ts.isSourceFile(fn.parent)) return { name: fn.name.text, exported: exported(fn) };
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) {
    const statement = fn.parent.parent.parent;
    if (ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent)) return { name: fn.parent.name.text, exported: exported(statement) };
  }
  if (ts.isMethodDeclaration(fn) && (ts.isPrivateIdentifier(fn.name) || ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword))) {
    return { name: fn.name.getText(), exported: false };
  }
  return undefined;
}

export class DurableStepChecker {
  readonly #files: Parsed[];
  readonly #helperMemo = new Map<FunctionLike, boolean>();

  constructor(sources: readonly SourceText[]) {
    this.#files = sources.map((src) => ({ src, sf: ts.createSourceFile(src.path, src.text, ts.ScriptTarget.ES2022, true), lines: src.text.split('\n') }));
  }

  /** Every durable call without a number, and every atomic write that does not name its writer. */
  findings(): Finding[] {
    const out: Finding[] = [];
    for (const p of this.#files) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n)) {
          const kind = durableCallKind(n);
          if (kind && !this.#numbered(p, n, 0)) {
            out.push({ path: p.src.path, line: lineOf(p.sf, n), call: kind, why: `no faults.at(...) within ${NUMBER_WINDOW_LINES} lines above it in the same function (add a crash point, or a durable-exempt: comment saying why none is needed)` });
          }
          const name = calleeName(n);
          if (name && ATOMIC_WRITES.has(name) && n.arguments.length < 3 && !exempt(p, n)) {
            out.push({ path: p.src.path, line: lineOf(p.sf, n), call: `${name}(`, why: 'an atomic write without `{ faults, writer }`: its temp/fsync/rename steps are not numbered' });
          }
        }
        n.forEachChild(visit);
      };
      visit(p.sf);
    }
    return out;
  }

  #numbered(p: Parsed, node: ts.Node, depth: number): boolean {
    if (exempt(p, node) || numberedInPlace(p, node)) return true;
    const fn = enclosingFunction(node);
    if (!fn || depth >= HELPER_DEPTH) return false;
    const memo = this.#helperMemo.get(fn);
    if (memo !== undefined) return memo;
    this.#helperMemo.set(fn, false); // a cycle is not a number
    const sites = this.#callSites(p, fn);
    const ok = sites.length > 0 && sites.every((s) => this.#numbered(s.file, s.call, depth + 1));
    this.#helperMemo.set(fn, ok);
    return ok;
  }

  /** Where a helper is called: its own file, and files importing it when exported (recursion left out). */
  #callSites(home: Parsed, fn: FunctionLike): Array<{ file: Parsed; call: ts.CallExpression }> {
    const helper = helperName(fn);
    if (!helper) return [];
    const files = helper.exported ? this.#files.filter((f) => f === home || new RegExp(`import\\s*\\{[^}]*\\b${helper.name}\\b[^}]*\\}`).test(f.src.text)) : [home];
    const sites: Array<{ file: Parsed; call: ts.CallExpression }> = [];
    for (const file of files) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && calleeName(n) === helper.name && !(file === home && isInside(n, fn))) sites.push({ file, call: n });
        n.forEachChild(visit);
      };
      visit(file.sf);
    }
    return sites;
  }

  /**
   * The crash points the source reaches: literal `at('x')` names, and template steps (`${steps.writer}.rename`)
   * expanded over the writers the source names (`writer: 'journal'`).
   */
  pointsUsed(): Array<{ point: string; path: string; line: number }> {
    const literals: Array<{ point: string; path: string; line: number }> = [];
    const templates: Array<{ suffix: string; path: string; line: number }> = [];
    const writers = new Set<string>();
    for (const p of this.#files) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && isFaultCall(n)) {
          const arg = n.arguments[0] as ts.Expression;
          const line = lineOf(p.sf, n);
          if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) literals.push({ point: arg.text, path: p.src.path, line });
          else if (ts.isTemplateExpression(arg)) templates.push({ suffix: arg.templateSpans.at(-1)?.literal.text ?? '', path: p.src.path, line });
        }
        if (ts.isPropertyAssignment(n) && n.name.getText(p.sf) === 'writer' && ts.isStringLiteral(n.initializer)) writers.add(n.initializer.text);
        n.forEachChild(visit);
      };
      visit(p.sf);
    }
    const expanded = templates.flatMap((t) => [...writers].map((w) => ({ point: `${w}${t.suffix}`, path: t.path, line: t.line })));
    return [...literals, ...expanded];
  }
}

function isInside(node: ts.Node, fn: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === fn) return true;
  return false;
}
