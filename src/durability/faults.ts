/**
 * The numbered points where fsrecd changes durable state (a journal write, a rename, an fsync, an upload
 * step, an unlink). Code calls `faults.at(point)` just BEFORE each such step. In production `at` does
 * nothing. Tests start the real daemon with FSRECD_TEST_CRASH_AT / FSRECD_TEST_FAIL_AT to kill it (SIGKILL)
 * or fail a step (ENOSPC, EIO) exactly there, and run the spool in-process with a plan that "crashes" by
 * throwing at a point and at every point after it, so a dead instance can change nothing on disk.
 *
 * A new durable step must get a name here: test/durability/points.test.ts fails on a file-system or
 * storage write in src/ that has no `faults.at(...)` beside it.
 */

export const CRASH_POINTS = [
  // One journal entry written atomically: temp file, fsync, rename over the old entry, fsync the directory.
  'journal.write-temp',
  'journal.fsync-temp',
  'journal.rename',
  'journal.fsync-dir',
  // An entry that needs nothing more leaves the journal (upload.journal_keep_days).
  'journal.unlink',
  // Upload of one finished recording.
  'upload.put-object',
  'upload.put-metadata',
  'upload.verify',
  // The verified local copy is removed (keep_local_days: 0), after the journal says stored: moved aside,
  // checked, unlinked (or put back when a writer got in between).
  'spool.set-aside-local',
  'spool.unlink-local',
  'spool.after-unlink-local',
  // The lock that makes one process the spool's owner.
  'lock.write',
  // *26 choices (state_dir/toggles.json), written atomically like journal entries.
  'toggles.write-temp',
  'toggles.fsync-temp',
  'toggles.rename',
  'toggles.fsync-dir',
  // The local-directory storage target: the copy, its exclusive link into place, the metadata beside it.
  'local.copy-temp',
  'local.link',
  'local.write-metadata',
  // Hand-off hooks (state_dir/hooks/): one delivery file written atomically like a journal entry (created
  // after "stored", rewritten after each attempt, kept as "delivered"), the hooks' first-seen times, a
  // delivery leaving fsrecd (POST or command), and a retry request or a delivered record removed.
  'hooks.write-temp',
  'hooks.fsync-temp',
  'hooks.rename',
  'hooks.fsync-dir',
  'hooks.send',
  'hooks.unlink',
  // A recording deleted (retention or on request): its kept local copy, its object, its metadata object,
  // then the index's tombstone. Each step is idempotent, so a run cut anywhere is finished by the next one.
  'lifecycle.remove-local',
  'lifecycle.remove-object',
  'lifecycle.remove-metadata',
  'lifecycle.tombstone',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Where atomic-file writes report their steps: one prefix per kind of file. */
export type AtomicWriter = 'journal' | 'toggles' | 'hooks';

export interface Faults {
  /** Called just before a durable step; may kill the process, throw an injected error, or do nothing. */
  at(point: CrashPoint): void;
}

export const NO_FAULTS: Faults = { at: () => undefined };

/** Thrown by an in-process crash plan at the point it crashed and at every point after it. */
export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

export function isSimulatedCrash(err: unknown): err is SimulatedCrash {
  return err instanceof SimulatedCrash;
}

/** An injected errno failure (ENOSPC, EIO), shaped like the one node:fs would throw. */
export function errnoError(code: string, point: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EACCES: 'permission denied' };
  const err: NodeJS.ErrnoException = new Error(`${code}: ${messages[code] ?? 'injected failure'}, at ${point} (fault injection)`);
  err.code = code;
  return err;
}

interface Trigger {
  point: CrashPoint;
  /** The n-th time the point is reached (1 = the first). */
  hit: number;
}

function parseTrigger(spec: string): Trigger {
  const [point, hit] = spec.split(':');
  if (!(CRASH_POINTS as readonly string[]).includes(point ?? '')) throw new Error(`unknown crash point ${JSON.stringify(point)}; known: ${CRASH_POINTS.join(', ')}`);
  const n = hit === undefined ? 1 : Number(hit);
  if (!Number.isInteger(n) || n < 1) throw new Error(`crash point hit must be a positive integer: ${spec}`);
  return { point: point as CrashPoint, hit: n };
}

/** Counts hits per point; the test plans below decide what a hit does. */
export class CountingFaults implements Faults {
  readonly hits = new Map<CrashPoint, number>();
  at(point: CrashPoint): void {
    this.hits.set(point, (this.hits.get(point) ?? 0) + 1);
  }
}

/** Kills this process with SIGKILL at the n-th hit of a point: the real crash-point suite. */
export class KillAt extends CountingFaults {
  constructor(
    private readonly trigger: Trigger,
    private readonly kill: () => void = () => process.kill(process.pid, 'SIGKILL'),
  ) {
    super();
  }
  override at(point: CrashPoint): void {
    super.at(point);
    if (point === this.trigger.point && this.hits.get(point) === this.trigger.hit) this.kill();
  }
}

/** Fails `count` hits of a point (from the n-th on) with an errno error: disk full, I/O errors. */
export class FailAt extends CountingFaults {
  #left: number;
  constructor(
    private readonly trigger: Trigger,
    private readonly code: string,
    count: number,
  ) {
    super();
    this.#left = count;
  }
  override at(point: CrashPoint): void {
    super.at(point);
    if (point !== this.trigger.point || (this.hits.get(point) ?? 0) < this.trigger.hit || this.#left <= 0) return;
    this.#left--;
    throw errnoError(this.code, point);
  }
}

/** In-process crash: throws at the n-th hit of a point and at every point after, like a dead process. */
export class CrashAt extends CountingFaults {
  crashed: CrashPoint | undefined;
  constructor(private readonly trigger: Trigger | undefined) {
    super();
  }
  /** Crash now, wherever the instance is (the model test's "kill -9 between steps"). */
  crashNow(): void {
    this.crashed ??= 'journal.write-temp';
  }
  override at(point: CrashPoint): void {
    super.at(point);
    if (!this.crashed && this.trigger && point === this.trigger.point && this.hits.get(point) === this.trigger.hit) this.crashed = point;
    if (this.crashed) throw new SimulatedCrash(point);
  }
}

/**
 * The plan a daemon process runs with. Only tests set these variables:
 * FSRECD_TEST_CRASH_AT=point[:hit] kills at that hit; FSRECD_TEST_FAIL_AT=point[:hit]:CODE[:count] fails it.
 */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  const crash = env.FSRECD_TEST_CRASH_AT;
  if (crash) return new KillAt(parseTrigger(crash));
  const fail = env.FSRECD_TEST_FAIL_AT;
  if (fail) {
    const [point, hit, code, count] = fail.split(':');
    return new FailAt(parseTrigger(`${point}:${hit ?? '1'}`), code ?? 'ENOSPC', count === undefined ? Number.POSITIVE_INFINITY : Number(count));
  }
  return NO_FAULTS;
}
