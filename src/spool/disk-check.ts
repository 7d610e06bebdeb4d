/**
 * Watches the filesystems of spool_dir and state_dir: their use goes to the metrics, a nearly full one is
 * warned about, and a full one is a problem the spool's status carries until space comes back.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';

export interface DiskCheckOptions {
  spoolDir: string;
  stateDir: string;
  /** upload.disk_warn_percent: a filesystem this full is warned about. */
  warnPercent: number;
  log: Logger;
  metrics: Metrics;
}

export class DiskCheck {
  #problem: string | undefined;

  constructor(private readonly opts: DiskCheckOptions) {}

  /** What an operator must look at (a full filesystem), as of the last check; undefined when all is well. */
  get problem(): string | undefined {
    return this.#problem;
  }

  async check(): Promise<void> {
    const { spoolDir, stateDir, log, metrics } = this.opts;
    const dirs = [...new Set([spoolDir, stateDir])];
    const full: string[] = [];
    for (const dir of dirs) {
      try {
        const fs = await statfs(dir);
        const used = 1 - fs.bavail / fs.blocks;
        if (dir === spoolDir) {
          metrics.set('fsrecd_disk_used_ratio', 'Fraction of the spool filesystem in use', used);
          metrics.set('fsrecd_disk_free_bytes', 'Bytes free for fsrecd on the spool filesystem', fs.bavail * fs.bsize);
        }
        // Under one MiB free, FreeSWITCH truncates recordings (completion cause uri-failure) and journal writes fail.
        if (fs.bavail * fs.bsize < 1024 * 1024) full.push(dir);
        else if (used * 100 >= this.opts.warnPercent) log.warn('filesystem nearly full', { dir, usedPercent: Math.round(used * 100) });
      } catch {
        // spool_dir not there yet: FreeSWITCH creates it with the first recording.
      }
    }
    const problem = full.length ? `filesystem full: ${full.join(', ')} (recordings are truncated and journal writes fail)` : undefined;
    if (problem && problem !== this.#problem) log.error('disk full', { dirs: full });
    metrics.set('fsrecd_disk_full', 'A spool or state filesystem has under 1 MiB free (1) or not (0)', full.length ? 1 : 0);
    this.#problem = problem;
  }
}
