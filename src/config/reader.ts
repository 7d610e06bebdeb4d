/** Typed readers for YAML values that record a located issue for every mistake instead of throwing. */
import { ConfigIssue, type Position } from './issues';

export class Reader {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: string[] = [];

  constructor(
    private readonly positions: Map<string, Position>,
    private readonly fallbackFile: string,
  ) {}

  pos(path: string[]): Position {
    for (let n = path.length; n >= 0; n--) {
      const p = this.positions.get(path.slice(0, n).join('.'));
      if (p) return p;
    }
    return { file: this.fallbackFile, line: 1, column: 1 };
  }

  /** Located at the key itself rather than its value (unknown keys). */
  keyError(path: string[], message: string): void {
    const last = path.at(-1) ?? '';
    const p = this.positions.get([...path.slice(0, -1), `${last}#key`].join('.')) ?? this.pos(path);
    this.issues.push(new ConfigIssue(p.file, p.line, p.column, path.join('.'), message));
  }

  /** A mistake in a file the YAML points to (a credentials file): located in that file. */
  issueAt(pos: Position, path: string[], message: string): void {
    this.issues.push(new ConfigIssue(pos.file, pos.line, pos.column, path.join('.'), message));
  }

  error(path: string[], message: string): void {
    const p = this.pos(path);
    this.issues.push(new ConfigIssue(p.file, p.line, p.column, path.join('.'), message));
  }

  /** A mapping with only the known keys; unknown keys are errors with a suggestion. */
  map(path: string[], v: unknown, known: readonly string[]): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.error(path, `expected a mapping, got ${describe(v)}`);
      return {};
    }
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) {
        const near = closest(k, known);
        this.keyError([...path, k], `unknown key${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    }
    return obj;
  }

  /** A mapping whose keys are ids (users, devices…): every value goes through `each`. */
  entries<T>(path: string[], v: unknown, each: (id: string, value: unknown, path: string[]) => T): Map<string, T> {
    const out = new Map<string, T>();
    if (v === undefined || v === null) return out;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.error(path, `expected a mapping of ids, got ${describe(v)}`);
      return out;
    }
    for (const [id, value] of Object.entries(v as Record<string, unknown>)) out.set(id, each(id, value, [...path, id]));
    return out;
  }

  str(path: string[], v: unknown, def: string): string {
    if (v === undefined || v === null) return def;
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') {
      this.error(path, `expected a string, got ${describe(v)}`);
      return def;
    }
    return v;
  }

  optStr(path: string[], v: unknown): string | undefined {
    return v === undefined || v === null ? undefined : this.str(path, v, '');
  }

  num(path: string[], v: unknown, def: number, min: number, max: number): number {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.error(path, `expected a number, got ${describe(v)}`);
      return def;
    }
    if (v < min || v > max) {
      this.error(path, `must be between ${min} and ${max}, got ${v}`);
      return def;
    }
    return v;
  }

  /** A whole number (milliseconds, counts) within [min, max]. */
  integer(path: string[], v: unknown, def: number, min: number, max: number): number {
    if (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v)) {
      this.error(path, `expected a whole number, got ${v}`);
      return def;
    }
    return this.num(path, v, def, min, max);
  }

  bool(path: string[], v: unknown, def: boolean): boolean {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.error(path, `expected true or false, got ${describe(v)}`);
      return def;
    }
    return v;
  }

  optBool(path: string[], v: unknown): boolean | undefined {
    return v === undefined || v === null ? undefined : this.bool(path, v, false);
  }

  oneOf<T extends string>(path: string[], v: unknown, allowed: readonly T[], def: T): T {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.error(path, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
      return def;
    }
    return v as T;
  }

  strList(path: string[], v: unknown, def: string[]): string[] {
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v)) {
      this.error(path, `expected a list, got ${describe(v)}`);
      return def;
    }
    return v.map((item, i) => this.str([...path, String(i)], item, ''));
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(key.toLowerCase(), k.toLowerCase());
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
