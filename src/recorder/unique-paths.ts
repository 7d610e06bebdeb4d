/**
 * Two recordings never share a name: not two live ones, not one whose file is still in the spool, and not
 * one of the last RECENT_PATHS_MAX (a template with one-second resolution repeats for a quick *3 restart or
 * two calls between the same numbers). A later one gets -2, -3… before the extension.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Logger } from '../log';

const RECENT_PATHS_MAX = 20_000;

export function withSuffix(path: string, suffix: string): string {
  if (!suffix) return path;
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}${suffix}${path.slice(dot)}` : `${path}${suffix}`;
}

export class UniquePaths {
  /** Paths handed out recently, oldest first (a Set keeps insertion order). */
  readonly #recent = new Set<string>();
  readonly #dirs = new Set<string>();

  constructor(
    private readonly live: (path: string) => boolean,
    private readonly log: Logger,
  ) {}

  /** The suffix that makes `path` unique (often ''), remembered so the next claim does not get it. */
  claim(path: string): string {
    const taken = (p: string): boolean => this.live(p) || this.#recent.has(p) || existsSync(p);
    let suffix = '';
    for (let n = 2; taken(withSuffix(path, suffix)); n++) suffix = `-${n}`;
    this.#remember(withSuffix(path, suffix));
    return suffix;
  }

  /** Bounded: past RECENT_PATHS_MAX the older half goes. */
  #remember(path: string): void {
    this.#recent.add(path);
    if (this.#recent.size <= RECENT_PATHS_MAX) return;
    for (const p of this.#recent) {
      if (this.#recent.size <= RECENT_PATHS_MAX / 2) break;
      this.#recent.delete(p);
    }
  }

  /**
   * Creates the recording's directory once (then remembers it). Synchronous on purpose: an async mkdir
   * queues behind the spool's fsyncs in libuv's thread pool and delays uuid_record by milliseconds.
   */
  ensureDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
      if (this.#dirs.size > 10_000) this.#dirs.clear();
      this.#dirs.add(dir);
    } catch (err) {
      // FreeSWITCH creates missing directories itself (as its own user); ours is a courtesy.
      this.log.debug('could not create the recording directory; FreeSWITCH will', { dir, error: String(err) });
    }
  }
}
