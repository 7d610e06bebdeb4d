/** Every regular file below a directory, streamed; dot files (our temporaries) and a missing directory are skipped. */
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

export async function* walkFiles(dir: string): AsyncGenerator<string> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch {
    return;
  }
  for await (const d of handle) {
    if (d.name.startsWith('.')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* walkFiles(p);
    else if (d.isFile()) yield p;
  }
}
