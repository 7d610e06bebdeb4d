/**
 * Every regular file below a directory, streamed; dot files (our temporaries, unless asked for), a missing directory and the
 * excluded directories (the daemon's own state inside a spool, were it ever configured so) are skipped.
 */
import { opendir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export async function* walkFiles(dir: string, exclude: readonly string[] = [], keepDotted: (name: string) => boolean = () => false): AsyncGenerator<string> {
  const skip = new Set(exclude.map((d) => resolve(d)));
  yield* walk(resolve(dir), skip, keepDotted);
}

async function* walk(dir: string, skip: ReadonlySet<string>, keepDotted: (name: string) => boolean): AsyncGenerator<string> {
  if (skip.has(dir)) return;
  let handle;
  try {
    handle = await opendir(dir);
  } catch {
    return;
  }
  for await (const d of handle) {
    if (d.name.startsWith('.') && !(d.isFile() && keepDotted(d.name))) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* walk(p, skip, keepDotted);
    else if (d.isFile()) yield p;
  }
}
