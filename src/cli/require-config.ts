/** For the commands that work offline on what a configuration names (journal, index, storage). */
import { loadConfig } from '../config/load';
import type { FsrecdConfig } from '../config/types';
import { namingRenderChecks } from '../naming/template-check';

/** A valid configuration, or an error that says how to find out what is wrong. */
export async function requireConfig(path: string): Promise<FsrecdConfig> {
  const loaded = await loadConfig(path, process.env, namingRenderChecks);
  if (!loaded.ok) throw new Error(`invalid configuration ${path}; run fsrecd check-config`);
  return loaded.config;
}
