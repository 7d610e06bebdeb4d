/**
 * The one nunjucks environment every operator template (file names, on-demand names, object keys) is
 * compiled in, and the check that keeps a template from running code. It imports nothing of fsrecd: the
 * configuration checks templates with it at load, naming renders with it (what a template may read is
 * naming's, src/naming/variables.ts).
 *
 * nunjucks is not a sandbox: `{{ range.constructor("return process")() }}` reaches Function and runs
 * JavaScript. So a template is parsed and its syntax tree checked BEFORE it is compiled: only output,
 * variables, literal lookups, a few string filters and tests, conditions, loops and `set` are allowed;
 * function calls, macros, includes, dynamic lookups and any name that leads to a constructor or a
 * prototype are refused. The environment has no loaders and no globals, and templates are rendered with a
 * context of plain strings, so even a check that missed something would find nothing to call.
 */
import nunjucks from 'nunjucks';

/** Autoescape off: these are paths and keys, not HTML. An undefined variable is an error, not "". */
const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });

// range, cycler and joiner are functions; a template has no use for them. The Environment exposes no typed
// way to drop them, hence the cast (nunjucks looks names up with `in`, so a null-prototype object works).
(env as unknown as { globals: Record<string, unknown> }).globals = Object.create(null) as Record<string, unknown>;

/** Filters that take and give plain values and look up no attribute by a name the template chooses. */
const FILTERS = new Set(['abs', 'capitalize', 'center', 'default', 'd', 'first', 'last', 'float', 'int', 'length', 'lower', 'upper', 'replace', 'reverse', 'round', 'string', 'title', 'trim', 'truncate', 'urlencode']);
const TESTS = new Set(['defined', 'undefined', 'none', 'null', 'falsy', 'truthy', 'number', 'string', 'odd', 'even', 'divisibleby', 'equalto', 'eq', 'sameas', 'ne', 'lt', 'gt', 'le', 'ge', 'lessthan', 'greaterthan', 'lower', 'upper']);

/** Node types a template may contain; every other one (FunCall, Macro, Include, Extends…) is refused. */
const NODES = new Set([
  'Root', 'NodeList', 'Output', 'TemplateData', 'Symbol', 'Literal', 'LookupVal', 'Filter', 'KeywordArgs', 'Pair',
  'Group', 'Array', 'Dict', 'If', 'InlineIf', 'Or', 'And', 'Not', 'In', 'Is', 'Add', 'Concat', 'Sub', 'Mul', 'Div',
  'FloorDiv', 'Mod', 'Pow', 'Neg', 'Pos', 'Compare', 'CompareOperand', 'Set', 'Capture', 'For', 'Switch', 'Case',
]);

/** The parts of a nunjucks syntax node this check reads (nunjucks ships no types for its parser). */
interface AstNode {
  typename: string;
  fields: string[];
  lineno?: number;
  colno?: number;
  value?: unknown;
  [field: string]: unknown;
}

interface NunjucksInternals {
  parser: { parse(src: string, extensions: unknown[], opts: unknown): AstNode };
}

export class UnsafeTemplateError extends Error {}

/** What makes a function callable another way; `length` and `name` (also Function's) are ordinary names. */
const FUNCTION_MACHINERY = new Set(['call', 'apply', 'bind', 'caller', 'callee', 'arguments']);

/**
 * A name that leads to a constructor, a prototype or an object's machinery (`__proto__`, `valueOf`…):
 * every object a template reaches, frames and contexts included, inherits these.
 */
export function isForbiddenName(name: string): boolean {
  return name === 'prototype' || name.startsWith('__') || name in Object.prototype || FUNCTION_MACHINERY.has(name);
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { typename?: unknown }).typename === 'string';
}

function where(n: AstNode): string {
  return n.lineno === undefined ? '' : ` (template line ${n.lineno + 1}, column ${(n.colno ?? 0) + 1})`;
}

function refuse(n: AstNode, what: string): never {
  throw new UnsafeTemplateError(`${what} is not allowed in a template${where(n)}`);
}

function checkName(n: AstNode, name: unknown, what: string): void {
  if (typeof name !== 'string' || isForbiddenName(name)) refuse(n, `${what} ${JSON.stringify(name)}`);
}

function children(n: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const f of n.fields) {
    const v = n[f];
    if (Array.isArray(v)) out.push(...v.filter(isNode));
    else if (isNode(v)) out.push(v);
  }
  return out;
}

/** A filter's or test's name: a Symbol node (or, for `is divisibleby(3)`, a FunCall around one). */
function checkNamed(n: AstNode, nameNode: unknown, allowed: Set<string>, what: string): void {
  const name = isNode(nameNode) && nameNode.typename === 'Symbol' ? nameNode.value : undefined;
  if (typeof name !== 'string' || !allowed.has(name)) refuse(n, `${what} ${JSON.stringify(name ?? '?')}`);
}

function walk(n: AstNode): void {
  if (!NODES.has(n.typename)) refuse(n, n.typename === 'FunCall' ? 'a function call' : `"${n.typename}"`);
  switch (n.typename) {
    case 'Symbol':
      checkName(n, n.value, 'the name');
      return;
    case 'Literal':
    case 'TemplateData':
      return;
    case 'LookupVal': {
      const key = n.val;
      if (!isNode(key) || key.typename !== 'Literal' || (typeof key.value !== 'string' && typeof key.value !== 'number')) refuse(n, 'a lookup by a computed key');
      if (typeof key.value === 'string') checkName(n, key.value, 'the attribute');
      walk(n.target as AstNode);
      return;
    }
    case 'Filter':
      checkNamed(n, n.name, FILTERS, 'the filter');
      walk(n.args as AstNode);
      return;
    case 'Is': {
      const right = n.right;
      if (isNode(right) && right.typename === 'FunCall') {
        checkNamed(n, right.name, TESTS, 'the test');
        walk(right.args as AstNode);
      } else {
        checkNamed(n, right, TESTS, 'the test');
      }
      walk(n.left as AstNode);
      return;
    }
    case 'Pair': {
      // A dict key written bare ({a: 1}) is a Symbol that names nothing: check the name, not a variable.
      const key = n.key;
      if (isNode(key) && (key.typename === 'Symbol' || key.typename === 'Literal')) checkName(n, String(key.value), 'the key');
      else if (isNode(key)) walk(key);
      walk(n.value as AstNode);
      return;
    }
    default:
      for (const c of children(n)) walk(c);
  }
}

/** Throws (UnsafeTemplateError, or nunjucks' syntax error) unless the template is plain data and names. */
export function checkTemplateSafety(source: string): void {
  const internals = nunjucks as unknown as NunjucksInternals;
  walk(internals.parser.parse(source, [], { autoescape: false, throwOnUndefined: true }));
}

/**
 * The variables a (safe) template reads, minus those it sets itself (`set`, `for`, `loop`): lets
 * check-config name the unknown variable nunjucks' "attempted to output null or undefined" leaves out.
 */
export function variablesRead(source: string): string[] {
  const read = new Set<string>();
  const assigned = new Set<string>(['loop']);
  const visit = (n: AstNode, into: Set<string>): void => {
    if (n.typename === 'Symbol' && typeof n.value === 'string') into.add(n.value);
    for (const f of n.fields) {
      const v = n[f];
      const target = (n.typename === 'Set' && f === 'targets') || (n.typename === 'For' && f === 'name') ? assigned : into;
      // A filter's or test's name, and a bare dict key, are not variables.
      if ((n.typename === 'Filter' && f === 'name') || (n.typename === 'Is' && f === 'right') || (n.typename === 'Pair' && f === 'key')) continue;
      if (Array.isArray(v)) v.filter(isNode).forEach((c) => visit(c, target));
      else if (isNode(v)) visit(v, target);
    }
  };
  visit((nunjucks as unknown as NunjucksInternals).parser.parse(source, [], {}), read);
  return [...read].filter((name) => !assigned.has(name));
}

/** Checked, then compiled in the shared environment. Throws with a one-line reason on any problem. */
export function compileTemplate(source: string): nunjucks.Template {
  checkTemplateSafety(source);
  return new nunjucks.Template(source, env, undefined, true);
}

/** Why a template cannot be compiled (unsafe, or a syntax error), as check-config says it; undefined when it can. */
export function templateProblem(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (err) {
    return `bad template: ${oneLine(err)}`;
  }
}

/**
 * Renders a compiled template with a context of plain strings only (copied onto an object with no
 * prototype), so nothing in the context leads to a function.
 */
export function renderTemplate(template: nunjucks.Template, vars: Readonly<Record<string, string>>): string {
  const ctx = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(vars)) ctx[k] = String(v);
  return template.render(ctx);
}

/** One line, for logs and check-config: nunjucks' "(unknown path) [Line 1, Column 3]\n  msg" as "template line 1, column 3: msg". */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err))
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/\[Line (\d+), Column (\d+)\]/g, 'template line $1, column $2:')
    .split('\n')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
