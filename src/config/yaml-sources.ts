/**
 * Reads the main YAML file and conf.d/*.yml (lexical order, later wins), deep-merging mappings and
 * remembering where every key came from, so a schema error can name file, line and column.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Document, type Node, type YAMLMap } from 'yaml';
import { ConfigIssue, type Position } from './issues';

export interface MergedYaml {
  value: Record<string, unknown>;
  /** Position of every key path ("a.b.0.c"), from the file that set it last. */
  positions: Map<string, Position>;
  files: string[];
  issues: ConfigIssue[];
}

/**
 * Nodes an alias may bring in, all aliases of a file together. Anchors are for sharing a rule among a few
 * accounts; a "billion laughs" file (aliases of aliases of lists) would expand to millions of nodes.
 */
export const MAX_ALIAS_NODES = 10_000;

class AliasLimitError extends Error {
  /** The alias whose expansion went over the limit (the outermost one: the line to look at). */
  constructor(readonly node: Node) {
    super(`YAML: aliases expand to more than ${MAX_ALIAS_NODES} values (an alias bomb?); write the values out or share fewer`);
  }
}

/** Sets a key as an own property even when it is "__proto__" (a plain `out[key] =` would set the prototype). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `<<` as the yaml package parses it with `merge: true`: a Symbol('<<') scalar, or the plain string. */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return (typeof v === 'symbol' && v.description === '<<') || (v === '<<' && key.type === 'PLAIN');
}

/**
 * Turns a parsed document into plain values, remembering where each key path is written. Aliases are
 * expanded (their values located at the anchor, the key itself at the alias) and `<<` merge keys merged
 * as YAML 1.1 says: the mapping's own keys win, then earlier merged mappings over later ones.
 */
class DocumentReader {
  #aliasNodes = 0;
  readonly #expanding = new Set<Node>();
  /** The outermost alias being expanded: where an alias bomb is reported. */
  #outerAlias: Node | undefined;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly file: string,
    private readonly lc: LineCounter,
    readonly positions: Map<string, Position>,
  ) {}

  issueAt(node: Node | null | undefined, message: string): ConfigIssue {
    const { line, col } = this.lc.linePos(node?.range?.[0] ?? 0);
    return new ConfigIssue(this.file, line, col, '', message);
  }

  #at(n: Node | null | undefined, p: string[]): void {
    const offset = n?.range?.[0];
    if (offset === undefined) return;
    const { line, col } = this.lc.linePos(offset);
    this.positions.set(p.join('.'), { file: this.file, line, column: col });
  }

  /** The node an alias names; throws a located issue for a missing or self-containing anchor. */
  #resolve(alias: Alias): Node {
    const target = alias.resolve(this.doc) as Node | undefined;
    if (!target) throw this.issueAt(alias, `YAML: alias *${alias.source} names no anchor before it`);
    if (this.#expanding.has(target)) throw this.issueAt(alias, `YAML: alias *${alias.source} is inside its own anchor`);
    return target;
  }

  value(node: Node | null | undefined, path: string[]): unknown {
    if (!node) return null;
    if (this.#expanding.size > 0 && ++this.#aliasNodes > MAX_ALIAS_NODES) throw new AliasLimitError(this.#outerAlias ?? node);
    if (isAlias(node)) {
      const target = this.#resolve(node);
      if (this.#expanding.size === 0) this.#outerAlias = node;
      this.#expanding.add(target);
      try {
        const v = this.value(target, path);
        this.#at(node, path);
        return v;
      } finally {
        this.#expanding.delete(target);
      }
    }
    this.#at(node, path);
    if (isMap(node)) return this.#map(node, path);
    if (isSeq(node)) return node.items.map((item, i) => this.value(item as Node, [...path, String(i)]));
    if (isScalar(node)) return node.value;
    return null;
  }

  #map(node: YAMLMap, path: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merges: Node[] = [];
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        merges.push(pair.value as Node);
        continue;
      }
      this.#pair(out, pair.key, pair.value as Node | null, path);
    }
    for (const m of merges) {
      for (const source of this.#mergeSources(m)) {
        if (this.#expanding.size === 0) this.#outerAlias = m;
        this.#expanding.add(source);
        try {
          for (const pair of source.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
            // The mapping's own keys, and those of an earlier merged mapping, win.
            if (!Object.prototype.hasOwnProperty.call(out, key) && !isMergeKey(pair.key)) this.#pair(out, pair.key, pair.value as Node | null, path);
          }
        } finally {
          this.#expanding.delete(source);
        }
      }
    }
    return out;
  }

  #pair(out: Record<string, unknown>, keyNode: unknown, valueNode: Node | null, path: string[]): void {
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const p = [...path, key];
    this.#at(keyNode as Node, [...path, `${key}#key`]);
    setOwn(out, key, this.value(valueNode, p));
    if (valueNode === null) this.positions.set(p.join('.'), this.positions.get(p.join('.')) ?? { file: this.file, line: 1, column: 1 });
  }

  /** `<<: *a`, `<<: [*a, *b]` or `<<: {inline}`: the mappings to merge, in order. */
  #mergeSources(node: Node | null): YAMLMap[] {
    const one = (n: Node | null | undefined): YAMLMap => {
      const target = n && isAlias(n) ? this.#resolve(n) : n;
      if (!target || !isMap(target)) throw this.issueAt(n ?? node, 'YAML: << merges a mapping (*anchor) or a list of them');
      return target;
    };
    if (node && isSeq(node)) return node.items.map((item) => one(item as Node));
    return [one(node)];
  }

  read(root: Node | null | undefined): { value: unknown; issues: ConfigIssue[] } {
    try {
      return { value: this.value(root, []), issues: [] };
    } catch (err) {
      if (err instanceof ConfigIssue) return { value: null, issues: [err] };
      if (err instanceof AliasLimitError) return { value: null, issues: [this.issueAt(err.node, err.message)] };
      throw err;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    // Own keys only: `into["__proto__"]` would be Object.prototype, and merging into it pollutes every object.
    const cur = Object.prototype.hasOwnProperty.call(into, k) ? into[k] : undefined;
    if (isPlainObject(cur) && isPlainObject(v)) deepMerge(cur, v);
    else setOwn(into, k, v);
  }
}

export async function parseYamlFile(file: string, text: string): Promise<{ value: unknown; positions: Map<string, Position>; issues: ConfigIssue[] }> {
  const lc = new LineCounter();
  // merge: `<<: *base` merges (YAML 1.1's merge key, which operators expect beside anchors).
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
  const issues = [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = lc.linePos(e.pos[0]);
    return new ConfigIssue(file, line, col, '', `YAML: ${e.message.split('\n')[0]}`);
  });
  const positions = new Map<string, Position>();
  if (issues.length) return { value: null, positions, issues };
  const read = new DocumentReader(doc, file, lc, positions).read(doc.contents as Node);
  return { value: read.value, positions, issues: read.issues };
}

/** conf.d beside the main file: *.yml and *.yaml, lexical order. */
export async function confDFiles(mainPath: string): Promise<string[]> {
  const dir = join(dirname(mainPath), 'conf.d');
  try {
    const names = await readdir(dir);
    return names.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort().map((n) => join(dir, n));
  } catch {
    return [];
  }
}

export async function readMergedYaml(mainPath: string, texts?: Map<string, string>): Promise<MergedYaml> {
  const files = texts ? [...texts.keys()] : [mainPath, ...(await confDFiles(mainPath))];
  const merged: MergedYaml = { value: {}, positions: new Map(), files, issues: [] };
  for (const file of files) {
    let text: string;
    try {
      text = texts?.get(file) ?? (await readFile(file, 'utf8'));
    } catch (err) {
      merged.issues.push(new ConfigIssue(file, 1, 1, '', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
      continue;
    }
    const parsed = await parseYamlFile(file, text);
    merged.issues.push(...parsed.issues);
    if (parsed.value === null || parsed.value === undefined) continue;
    if (!isPlainObject(parsed.value)) {
      merged.issues.push(new ConfigIssue(file, 1, 1, '', 'the top level must be a mapping of keys'));
      continue;
    }
    deepMerge(merged.value, parsed.value);
    for (const [k, p] of parsed.positions) merged.positions.set(k, p);
  }
  return merged;
}
