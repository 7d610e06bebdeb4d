/**
 * Renders a recording's path from the Wazo-style template, confined to the spool directory (or an allowed
 * absolute directory). On any failure the recording is still made, under a safe fallback name, and the
 * result carries the error for a loud log line.
 */
import type nunjucks from 'nunjucks';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { NamingConfig } from '../config/types';
import { sanitizeExtension, sanitizeRendered } from './sanitize';
import { compileTemplate, oneLine, renderTemplate } from '../templates/template-env';
import type { NamingVars } from './variables';

export interface NamedPath {
  absolutePath: string;
  relativePath: string;
  root: string;
  error?: string;
}

export { compileTemplate } from '../templates/template-env';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export class RecordingNamer {
  readonly #cache = new Map<string, nunjucks.Template>();

  constructor(
    private readonly naming: NamingConfig,
    private readonly spoolDir: string,
    private readonly allowedDirs: readonly string[],
  ) {}

  #template(source: string): nunjucks.Template {
    let t = this.#cache.get(source);
    if (!t) {
      t = compileTemplate(source);
      this.#cache.set(source, t);
    }
    return t;
  }

  render(vars: NamingVars, kind: 'call' | 'on-demand', extension?: string): NamedPath {
    const ext = sanitizeExtension(extension, sanitizeExtension(this.naming.filenameExtension, 'wav'));
    const source = kind === 'on-demand' ? this.naming.onDemandFilenameTemplate : this.naming.filenameTemplate;
    try {
      const rendered = renderTemplate(this.#template(source), vars).trim();
      const absolute = rendered.startsWith('/');
      const clean = sanitizeRendered(rendered);
      if (!clean) throw new Error('the template rendered an empty name');
      const candidate = absolute ? `/${clean}.${ext}` : resolve(this.spoolDir, `${clean}.${ext}`);
      const root = absolute ? this.allowedDirs.map((d) => resolve(d)).find((d) => inside(d, candidate)) : resolve(this.spoolDir);
      if (!root) throw new Error(`absolute path ${candidate} is not under any of allowed_dirs`);
      if (!inside(root, candidate)) throw new Error(`path ${candidate} escapes ${root}`);
      return { absolutePath: candidate, relativePath: relative(root, candidate).split(sep).join('/'), root };
    } catch (err) {
      return this.#fallback(vars, ext, oneLine(err));
    }
  }

  #fallback(vars: NamingVars, ext: string, error: string): NamedPath {
    const root = resolve(this.spoolDir);
    const name = `fallback/${vars.utc_time ?? 'unknown'}-${vars.uuid ?? 'unknown'}-${vars.seq ?? '1'}.${ext}`;
    return { absolutePath: join(root, name), relativePath: name, root, error };
  }
}

/** For `fsrecd render`: the path a call with these variables would get. */
export function renderForCli(template: string, extension: string, vars: NamingVars, spoolDir: string, allowedDirs: string[]): NamedPath {
  const namer = new RecordingNamer({ filenameTemplate: template, filenameExtension: extension, onDemandFilenameTemplate: template }, spoolDir, allowedDirs);
  return namer.render(vars, 'call', extension);
}
