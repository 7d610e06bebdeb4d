/** A credential from the YAML itself, a file (`<key>_file`) or an environment variable (`<key>_env`). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Reader } from './reader';
import { Secret } from './secret';

export function readSecret(r: Reader, path: string[], obj: Record<string, unknown>, key: string, baseDir: string, env: NodeJS.ProcessEnv, def?: string): Secret | undefined {
  const inline = obj[key];
  const file = obj[`${key}_file`];
  const envName = obj[`${key}_env`];
  const given = [inline, file, envName].filter((v) => v !== undefined && v !== null).length;
  if (given > 1) r.error([...path, key], `give only one of ${key}, ${key}_file, ${key}_env`);
  if (file !== undefined && file !== null) {
    const p = resolve(baseDir, r.str([...path, `${key}_file`], file, ''));
    try {
      return new Secret(readFileSync(p, 'utf8').trim(), `file ${p}`);
    } catch (err) {
      r.error([...path, `${key}_file`], `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return undefined;
    }
  }
  if (envName !== undefined && envName !== null) {
    const name = r.str([...path, `${key}_env`], envName, '');
    const value = env[name];
    if (value === undefined || value === '') {
      r.error([...path, `${key}_env`], `environment variable ${name} is not set`);
      return undefined;
    }
    return new Secret(value, `environment ${name}`);
  }
  if (inline !== undefined && inline !== null) return new Secret(r.str([...path, key], inline, ''), `${path.join('.')}.${key}`);
  return def === undefined ? undefined : new Secret(def, 'default');
}
