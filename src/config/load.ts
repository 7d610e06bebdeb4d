/**
 * Loads and validates the configuration: main file + conf.d/*.yml, or a string (tests, the demo). Pass
 * naming's render checks (src/naming/template-check.ts) wherever the result runs the daemon or a command:
 * without them a template is checked for safety and syntax only (template-checks.ts says why).
 */
import { dirname, resolve } from 'node:path';
import type { ConfigIssue, ConfigResult } from './issues';
import { Reader } from './reader';
import { buildConfig } from './schema';
import { NO_RENDER_CHECKS, type TemplateRenderChecks } from './template-checks';
import type { FsrecdConfig } from './types';
import { readMergedYaml } from './yaml-sources';

export type { ConfigIssue, ConfigResult } from './issues';

export const DEFAULT_CONFIG_PATH = '/etc/fsrecd/fsrecd.yml';

async function load(mainPath: string, env: NodeJS.ProcessEnv, templates: TemplateRenderChecks, texts?: Map<string, string>): Promise<ConfigResult<FsrecdConfig>> {
  const merged = await readMergedYaml(mainPath, texts);
  if (merged.issues.length) return { ok: false, errors: merged.issues };
  const reader = new Reader(merged.positions, mainPath);
  const config = buildConfig(merged.value, reader, dirname(resolve(mainPath)), env, templates);
  if (reader.issues.length) return { ok: false, errors: sortIssues(reader.issues) };
  config.sources = merged.files;
  return { ok: true, config, warnings: reader.warnings };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

export function loadConfig(mainPath: string, env: NodeJS.ProcessEnv = process.env, templates: TemplateRenderChecks = NO_RENDER_CHECKS): Promise<ConfigResult<FsrecdConfig>> {
  return load(resolve(mainPath), env, templates);
}

/** For tests and the built-in demo: one YAML text, named `name` in error messages. */
export function loadConfigFromString(yaml: string, name = 'inline.yml', env: NodeJS.ProcessEnv = process.env, templates: TemplateRenderChecks = NO_RENDER_CHECKS): Promise<ConfigResult<FsrecdConfig>> {
  return load(name, env, templates, new Map([[name, yaml]]));
}

/** One line for check-config and the startup log; never a secret. */
export function summarizeConfig(cfg: FsrecdConfig): string {
  let users = 0;
  let devices = 0;
  for (const a of cfg.accounts.values()) {
    users += a.users.size;
    devices += a.devices.size;
  }
  const storage = cfg.storage.type === 's3' ? `s3 (bucket ${cfg.storage.bucket} at ${cfg.storage.endpoint})` : `local (${cfg.storage.dir})`;
  return `ok: ${cfg.sources.length} file(s), ${cfg.accounts.size} account(s), ${users} user(s), ${devices} device(s), FreeSWITCH ${cfg.esl.host}:${cfg.esl.port}, spool ${cfg.spoolDir}, storage ${storage}`;
}
