/**
 * "What is at these keys?" asked of S3 with one listing for many keys instead of a HEAD each: the
 * presence check before a create and the read-back after it. Keys in one directory (the part up to the last
 * '/') that are asked about while no listing of that directory is running go into the next listing together
 * (a group commit: a lone key is listed at once, keys that arrive meanwhile wait for that one listing only).
 * A listing starts just below the smallest key and stops once past the largest; a range that would take more
 * than a few pages is left to the caller (a HEAD per key), and so is a listing that is not in key order.
 * Each page starts after the last key of the one before (a marker, as ListObjects and ListObjectsV2's
 * start-after both take it), so no continuation token is needed: s3rver cannot make one on Node 20 (DES).
 */

export interface ListedEntry {
  key: string;
  size: number;
  /** As the server listed it (quotes removed). */
  etag: string;
}

export interface ListPage {
  /** In key order, every key under the prefix after startAfter (deeper keys too: no delimiter). */
  entries: ListedEntry[];
  truncated: boolean;
}

export interface ListQuery {
  prefix: string;
  startAfter: string;
  maxKeys: number;
}

export type ListPageFn = (q: ListQuery) => Promise<ListPage>;

/**
 * What a listing says is at a key: the object, null (the listing covered the key and nothing is there), or
 * undefined (it could not tell: too many pages, or the server listed out of order; ask with a HEAD).
 */
export type KeyAnswer = ListedEntry | null | undefined;

/** The directory a key lists under: up to and including its last '/' ('' at the top of the bucket). */
export function directoryOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** S3 orders keys by their UTF-8 bytes (JavaScript's < compares UTF-16 units, which differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A start-after that still lists `key` itself: every key >= `key` sorts after `key` without its last byte. */
export function startAfterFor(key: string): string {
  return key.slice(0, -1);
}

/** Pages of a listing before the rest is left to HEADs. */
export const MAX_PAGES = 3;

/** Keys per page: enough for the keys asked and their `.json` with room between, far below S3's 1,000. */
export function pageSizeFor(keys: number): number {
  return Math.min(1000, 4 * keys + 32);
}

/** Lists the range of `keys` (all in `dir`) and answers each one. */
export async function listKeys(listPage: ListPageFn, dir: string, keys: string[]): Promise<Map<string, KeyAnswer>> {
  const sorted = [...keys].sort(compareKeys);
  const last = sorted[sorted.length - 1] as string;
  const found = new Map<string, ListedEntry>();
  let startAfter = startAfterFor(sorted[0] as string);
  /** Listed through this key; undefined once the listing reached the end of the directory. */
  let coveredTo: string | undefined = startAfter;
  const maxKeys = pageSizeFor(keys.length);
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await listPage({ prefix: dir, startAfter, maxKeys });
    if (!inKeyOrder(res.entries.map((e) => e.key), startAfter)) return unknownAll(keys);
    for (const e of res.entries) found.set(e.key, e);
    const lastListed = res.entries[res.entries.length - 1]?.key;
    if (!res.truncated) {
      coveredTo = undefined;
      break;
    }
    if (lastListed === undefined) break;
    coveredTo = lastListed;
    if (compareKeys(lastListed, last) >= 0) break;
    startAfter = lastListed;
  }
  const out = new Map<string, KeyAnswer>();
  for (const k of keys) {
    const covered = coveredTo === undefined || compareKeys(k, coveredTo) <= 0;
    out.set(k, found.get(k) ?? (covered ? null : undefined));
  }
  return out;
}

/** Strictly increasing and after `after`: else a page boundary could hide a key, so nothing is trusted. */
function inKeyOrder(keys: string[], after: string): boolean {
  let prev = after;
  for (const k of keys) {
    if (compareKeys(k, prev) <= 0) return false;
    prev = k;
  }
  return true;
}

function unknownAll(keys: string[]): Map<string, KeyAnswer> {
  return new Map(keys.map((k) => [k, undefined]));
}

interface Waiter {
  resolve: (a: KeyAnswer) => void;
  reject: (err: unknown) => void;
}

interface DirectoryQueue {
  waiting: Map<string, Waiter[]>;
  running: boolean;
}

/** The batching: at most one listing per directory at a time, every key asked meanwhile in the next one. */
export class KeyListings {
  readonly #dirs = new Map<string, DirectoryQueue>();
  /** Listings made (the tests and the benchmark count them). */
  listings = 0;

  constructor(private readonly listPage: ListPageFn) {}

  lookup(key: string): Promise<KeyAnswer> {
    const dir = directoryOf(key);
    let q = this.#dirs.get(dir);
    if (!q) this.#dirs.set(dir, (q = { waiting: new Map(), running: false }));
    const queue = q;
    const answer = new Promise<KeyAnswer>((resolve, reject) => {
      const list = queue.waiting.get(key) ?? [];
      list.push({ resolve, reject });
      queue.waiting.set(key, list);
    });
    if (!queue.running) {
      queue.running = true;
      // The keys asked in this same turn (an object and its .json; uploads started together) go in one listing.
      setImmediate(() => void this.#drain(dir, queue));
    }
    return answer;
  }

  async #drain(dir: string, q: DirectoryQueue): Promise<void> {
    while (q.waiting.size > 0) {
      const batch = q.waiting;
      q.waiting = new Map();
      this.listings++;
      try {
        const answers = await listKeys(this.listPage, dir, [...batch.keys()]);
        for (const [k, ws] of batch) for (const w of ws) w.resolve(answers.get(k));
      } catch (err) {
        for (const ws of batch.values()) for (const w of ws) w.reject(err);
      }
    }
    q.running = false;
    this.#dirs.delete(dir);
  }
}
