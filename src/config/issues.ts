/** A configuration mistake, located like a compiler error: file:line:col: key.path: message. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

export class ConfigIssue {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly path: string,
    readonly message: string,
  ) {}

  toString(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.path ? `${this.path}: ` : ''}${this.message}`;
  }
}

export type ConfigResult<T> = { ok: true; config: T; warnings: string[] } | { ok: false; errors: ConfigIssue[] };
