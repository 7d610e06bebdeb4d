/** Loads and validates the configuration: main file + conf.d/*.yml, or a string (tests, the demo). */
import { dirname, resolve } from 'node:path';
import type { ConfigIssue, ConfigResult } from './issues';
import { Reader } from './reader';
import { buildConfig } from './schema';
import type { FsrecdConfig } from './types';
import { readMergedYaml } from './yaml-sources';

export type { ConfigIssue, ConfigResult } from './issues';

export const DEFAULT_CONFIG_PATH = '/etc/fsrecd/fsrecd.yml';

async function load(mainPath: string, env: NodeJS.ProcessEnv, texts?: Map<string, string>): Promise<ConfigResult<FsrecdConfig>> {
  const merged = await readMergedYaml(mainPath, texts);
  if (merged.issues.length) return { ok: false, errors: merged.issues };
  const reader = new Reader(merged.positions, mainPath);
  const config = buildConfig(merged.value, reader, dirname(resolve(mainPath)), env);
  if (reader.issues.length) return { ok: false, errors: sortIssues(reader.issues) };
  config.sources = merged.files;
  return { ok: true, config, warnings: reader.warnings };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

export function loadConfig(mainPath: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult<FsrecdConfig>> {
  return load(resolve(mainPath), env);
}

/** For tests and the built-in demo: one YAML text, named `name` in error messages. */
export function loadConfigFromString(yaml: string, name = 'inline.yml', env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult<FsrecdConfig>> {
  return load(name, env, new Map([[name, yaml]]));
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
