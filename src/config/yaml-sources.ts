/**
 * Reads the main YAML file and conf.d/*.yml (lexical order, later wins), deep-merging mappings and
 * remembering where every key came from, so a schema error can name file, line and column.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigIssue, type Position } from './issues';

export interface MergedYaml {
  value: Record<string, unknown>;
  /** Position of every key path ("a.b.0.c"), from the file that set it last. */
  positions: Map<string, Position>;
  files: string[];
  issues: ConfigIssue[];
}

function toValue(node: Node | null | undefined, path: string[], file: string, lc: LineCounter, positions: Map<string, Position>): unknown {
  if (!node) return null;
  const at = (n: Node | null | undefined, p: string[]): void => {
    const offset = n?.range?.[0];
    if (offset === undefined) return;
    const { line, col } = lc.linePos(offset);
    positions.set(p.join('.'), { file, line, column: col });
  };
  at(node, path);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const p = [...path, key];
      at(pair.key as Node, [...p.slice(0, -1), `${key}#key`]);
      out[key] = toValue(pair.value as Node, p, file, lc, positions);
      if (pair.value === null) positions.set(p.join('.'), positions.get(p.join('.')) ?? { file, line: 1, column: 1 });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => toValue(item as Node, [...path, String(i)], file, lc, positions));
  if (isScalar(node)) return node.value;
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isPlainObject(cur) && isPlainObject(v)) deepMerge(cur, v);
    else into[k] = v;
  }
}

export async function parseYamlFile(file: string, text: string): Promise<{ value: unknown; positions: Map<string, Position>; issues: ConfigIssue[] }> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues = [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = lc.linePos(e.pos[0]);
    return new ConfigIssue(file, line, col, '', `YAML: ${e.message.split('\n')[0]}`);
  });
  const positions = new Map<string, Position>();
  const value = issues.length ? null : toValue(doc.contents as Node, [], file, lc, positions);
  return { value, positions, issues };
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
