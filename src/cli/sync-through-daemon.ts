/** `fsrecd sync` with the daemon running: the daemon owns the spool and uploads; this command watches. */
import { join } from 'node:path';
import type { FsrecdConfig } from '../config/types';
import { Journal } from '../spool/journal';
import { say } from '../terminal/table';

/**
 * `fsrecd sync` while the daemon runs: one owner of the spool at a time, so the daemon does the work (told
 * by SIGUSR2) and this command follows its journal read-only until the backlog is empty.
 */
export async function syncThroughDaemon(cfg: FsrecdConfig, pid: number, timeoutMs: number): Promise<number> {
  try {
    process.kill(pid, 'SIGUSR2');
  } catch (err) {
    console.error(`fsrecd (pid ${pid}) owns the spool in ${cfg.stateDir} but cannot be signalled (${(err as NodeJS.ErrnoException).code}); run sync as its user or root`);
    return 1;
  }
  say(`fsrecd is running (pid ${pid}) and owns the spool: asked it to upload the backlog now`);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const journal = new Journal(join(cfg.stateDir, 'journal'));
    await journal.load(() => undefined);
    const waiting = [...journal.entries.values()].filter((e) => e.state === 'finished' || e.state === 'uploading');
    const line = `backlog: ${waiting.length} file(s)`;
    if (line !== last) say(line);
    last = line;
    if (waiting.length === 0) return 0;
    if (Date.now() > deadline) {
      const err = waiting.map((e) => e.lastError).find(Boolean);
      say(`still ${waiting.length} waiting after ${Math.round(timeoutMs / 1000)} s${err ? `; last error: ${err}` : ''} (the daemon keeps retrying)`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
