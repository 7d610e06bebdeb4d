/** Every regular file below a directory (recursively, sorted); [] when the directory does not exist. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function listFilesSync(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFilesSync(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
