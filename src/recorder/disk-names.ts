/**
 * What the recording directories hold, kept in memory so that choosing a free name at CHANNEL_ANSWER costs
 * no file-system call: a `uuid_record` must leave the moment the answer is read, and an `existsSync` or a
 * `mkdirSync` on the event loop (or an async one queued behind the spool's fsyncs in libuv's pool) delays it.
 *
 * A directory is created and listed, asynchronously, the first time a recording is named into it, then
 * re-listed in the background every REFRESH_MS (longer for a directory that takes long to list) while
 * recordings are named into it, so a file another writer puts there (a dialplan recording, a file an
 * earlier run left) is seen. Until its first listing is in, or when its listing is older than
 * MAX_AGE_FACTOR refresh periods (the refresher fell behind, or the directory was idle and forgotten), a
 * directory is not `known` and the caller checks that one start's candidates on disk itself: once per
 * directory, not per call. Not waiting keeps the start in the same tick as the answer that asked for it
 * (the recording is registered before any other event of the call is read). Names claimed while a listing
 * runs are added to its result: a listing that began before FreeSWITCH created a file cannot make that
 * name look free again.
 */
import { mkdir, opendir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log';

/** How often a directory in use is re-listed, at least. */
export const REFRESH_MS = 500;
/** A listing this many refresh periods old is stale: the next start in that directory waits for a new one. */
const MAX_AGE_FACTOR = 4;
/** A directory nothing was named into for this long is forgotten (and listed again when next used). */
const IDLE_MS = 60_000;
/** Directories remembered at most (date-based templates make a new one every day): the least used go. */
const MAX_DIRS = 1000;
/** Entries read per round trip: a spool with a large backlog is listed in slices, never in one blocking array. */
const LIST_BATCH = 256;

interface Listing {
  names: Set<string>;
  /** When the last listing finished (0: never). */
  listedAt: number;
  /** How long the last listing took: a directory slow to list is listed less often. */
  listMs: number;
  lastUsed: number;
  /** The listing running now, if any. */
  running?: Promise<void>;
  /** Set while a listing runs: the names claimed meanwhile, added to its result. */
  claimedDuring?: Set<string>;
}

export class DiskNames {
  readonly #dirs = new Map<string, Listing>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `dir`'s listing is fresh enough to answer `has` from memory. When it is not, a (new) listing is
   * started for the next start there, and the caller checks this start's candidates itself.
   */
  known(dir: string): boolean {
    const now = this.now();
    let listing = this.#dirs.get(dir);
    if (listing) {
      // Most recently used last: eviction takes the first.
      this.#dirs.delete(dir);
      this.#dirs.set(dir, listing);
      listing.lastUsed = now;
      if (listing.listedAt > 0 && now - listing.listedAt <= MAX_AGE_FACTOR * this.#period(listing)) return true;
      if (!listing.running) void this.#list(dir, listing);
      return false;
    }
    listing = { names: new Set(), listedAt: 0, listMs: 0, lastUsed: now };
    this.#dirs.set(dir, listing);
    if (this.#dirs.size > MAX_DIRS) {
      const oldest = this.#dirs.keys().next().value;
      if (oldest !== undefined) this.#dirs.delete(oldest);
    }
    this.#timer ??= setInterval(() => this.#refresh(), REFRESH_MS).unref();
    void this.#list(dir, listing, true);
    return false;
  }

  /** Resolves when the listing under way for `dir` (if any) is in: for tests and for callers that may wait. */
  async settled(dir: string): Promise<void> {
    await this.#dirs.get(dir)?.running;
  }

  /** Whether a file of that path was in its directory at the last listing (or was claimed since). */
  has(path: string): boolean {
    return this.#dirs.get(dirname(path))?.names.has(basename(path)) ?? false;
  }

  /** A name handed to FreeSWITCH: taken from now on, whatever a listing that began earlier says. */
  claim(path: string): void {
    const listing = this.#dirs.get(dirname(path));
    if (!listing) return;
    listing.names.add(basename(path));
    listing.claimedDuring?.add(basename(path));
  }

  #period(listing: Listing): number {
    return Math.max(REFRESH_MS, 5 * listing.listMs);
  }

  /** Every REFRESH_MS: directories in use are re-listed when due; idle ones are forgotten. */
  #refresh(): void {
    const now = this.now();
    for (const [dir, listing] of this.#dirs) {
      if (now - listing.lastUsed > IDLE_MS) this.#dirs.delete(dir);
      else if (!listing.running && now - listing.listedAt >= this.#period(listing)) void this.#list(dir, listing);
    }
    if (this.#dirs.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #list(dir: string, listing: Listing, create = false): Promise<void> {
    listing.claimedDuring = new Set();
    const run = (async () => {
      const started = this.now();
      if (create) await this.#create(dir);
      const names = new Set<string>();
      try {
        const d = await opendir(dir, { bufferSize: LIST_BATCH });
        for await (const entry of d) names.add(entry.name);
      } catch (err) {
        // Unreadable or missing (FreeSWITCH will create it): nothing is known there beyond our own claims.
        this.log.debug('could not list the recording directory', { dir, error: String(err) });
      }
      for (const n of listing.claimedDuring ?? []) names.add(n);
      listing.names = names;
      listing.listedAt = this.now();
      listing.listMs = listing.listedAt - started;
      listing.claimedDuring = undefined;
      listing.running = undefined;
    })();
    listing.running = run;
    return run;
  }

  async #create(dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      // FreeSWITCH creates missing directories itself (as its own user); ours is a courtesy.
      this.log.debug('could not create the recording directory; FreeSWITCH will', { dir, error: String(err) });
    }
  }
}
