/**
 * Two recordings never share a name: not two live ones, not one whose file is in its directory (left by an
 * earlier run, still in the spool, or another writer's), and not one of the last RECENT_PATHS_MAX handed
 * out (a template with one-second resolution repeats for a quick *3 restart or two calls between the same
 * numbers). A later one gets -2, -3… before the extension. The checks are in memory (disk-names.ts keeps
 * what the directories hold): choosing a name at CHANNEL_ANSWER touches no file system, except for the
 * first recording into a directory not listed yet (or not for a while), whose candidates are looked up on
 * disk (existsSync) while the directory's listing is made for the ones that follow.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log';
import { DiskNames } from './disk-names';

const RECENT_PATHS_MAX = 20_000;

export function withSuffix(path: string, suffix: string): string {
  if (!suffix) return path;
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}${suffix}${path.slice(dot)}` : `${path}${suffix}`;
}

export class UniquePaths {
  /** Paths handed out recently, oldest first (a Set keeps insertion order). */
  readonly #recent = new Set<string>();
  /** Per name as rendered: the suffix number to try first (the one after the last handed out). */
  readonly #nextSuffix = new Map<string, number>();
  readonly #disk: DiskNames;

  constructor(
    private readonly live: (path: string) => boolean,
    log: Logger,
    now?: () => number,
  ) {
    this.#disk = new DiskNames(log, now);
  }

  /** Resolves once the listing under way for `dir`, if any, is in (tests wait on it). */
  settled(dir: string): Promise<void> {
    return this.#disk.settled(dir);
  }

  /** The suffix that makes `path` unique (often ''), remembered so the next claim does not get it. */
  claim(path: string): string {
    const onDisk = this.#disk.known(dirname(path)) ? (p: string) => this.#disk.has(p) : existsSync;
    const taken = (p: string): boolean => this.live(p) || this.#recent.has(p) || onDisk(p);
    // A name many calls share (anonymous callers to one number, in one second) resumes at the suffix after
    // the last one handed out instead of probing -2, -3… again: hundreds a second would make each claim
    // walk all the earlier ones.
    let n = this.#nextSuffix.get(path) ?? 1;
    let suffix = n === 1 ? '' : `-${n}`;
    while (taken(withSuffix(path, suffix))) suffix = `-${++n}`;
    const chosen = withSuffix(path, suffix);
    this.#remember(chosen);
    this.#nextSuffix.set(path, n + 1);
    this.#disk.claim(chosen);
    return suffix;
  }

  /** Bounded: past RECENT_PATHS_MAX the older half goes (and every suffix counter: they only save probes). */
  #remember(path: string): void {
    this.#recent.add(path);
    if (this.#recent.size <= RECENT_PATHS_MAX) return;
    this.#nextSuffix.clear();
    for (const p of this.#recent) {
      if (this.#recent.size <= RECENT_PATHS_MAX / 2) break;
      this.#recent.delete(p);
    }
  }
}
