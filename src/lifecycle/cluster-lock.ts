/**
 * One retention enforcer at a time across every fsrecd node sharing a bucket (and the daemon against a
 * `fsrecd retention --run` on the same node). The storage-backed lease is an object holding who has it
 * until when; a later issue swaps in a PostgreSQL advisory lock behind the same interface.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ObjectLifecycle } from '../storage/object-lifecycle';

// What a lock is lives with the index, which offers one (a PostgreSQL advisory lock); the lease is the other kind.
import type { ClusterLock } from '../recordings/index-store';
export type { ClusterLock };

export interface Lease {
  holder: string;
  node: string;
  pid: number;
  /** ISO 8601 UTC. */
  expiresAt: string;
}

export interface StorageLeaseOptions {
  /** The lease object's key (ends in .json: a reindex never takes it for a recording). */
  key?: string;
  ttlMs?: number;
  /**
   * After creating the lease, wait this long and read it back: on a server that ignores If-None-Match (s3rver
   * does; so did S3 before 2024) two creators racing both "succeed", and the later write is the one both read.
   */
  settleMs?: number;
  now?: () => number;
  node?: string;
}

export const LEASE_KEY = '.fsrecd/retention-lease.json';

/** False only when no process has that pid (a pid reused by another process counts as alive: wait for expiry). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function isLease(v: unknown): v is Lease {
  const l = v as Partial<Lease> | undefined;
  return !!l && typeof l.holder === 'string' && typeof l.expiresAt === 'string';
}

/** The lease as an object created with the no-replace rule (If-None-Match: *), taken over only once expired. */
export class StorageLease implements ClusterLock {
  readonly #holder = randomUUID();
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #settleMs: number;
  readonly #now: () => number;
  readonly #node: string;

  constructor(
    private readonly objects: ObjectLifecycle,
    opts: StorageLeaseOptions = {},
  ) {
    this.#key = opts.key ?? LEASE_KEY;
    this.#ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.#settleMs = opts.settleMs ?? 2000;
    this.#now = opts.now ?? Date.now;
    this.#node = opts.node ?? hostname();
  }

  describe(): string {
    return `lease ${this.#key} in ${this.objects.describe()}`;
  }

  #lease(): Lease {
    return { holder: this.#holder, node: this.#node, pid: process.pid, expiresAt: new Date(this.#now() + this.#ttlMs).toISOString() };
  }

  async acquire(): Promise<boolean> {
    const current = await this.objects.readJson(this.#key);
    if (current && isLease(current.value)) {
      // A holder on this node whose process is gone (killed mid-run) left a lease nobody will renew: stale now,
      // not only at expiry, so the restarted daemon or the next `retention --run` finishes what it began.
      const dead = current.value.node === this.#node && current.value.pid !== process.pid && !pidAlive(current.value.pid);
      const expired = dead || Date.parse(current.value.expiresAt) <= this.#now();
      if (current.value.holder === this.#holder && !expired) {
        await this.objects.putJson(this.#key, this.#lease());
        return true;
      }
      if (!expired) return false;
      // Expired: taken over. Read again so a holder that renewed a moment ago keeps it.
      const again = await this.objects.readJson(this.#key);
      if (again && again.version !== current.version) return false;
      await this.objects.remove(this.#key);
    } else if (current) {
      // Unreadable (a torn write, a hand edit): no holder can be told from it, so it is replaced.
      await this.objects.remove(this.#key);
    }
    if (!(await this.objects.createJson(this.#key, this.#lease()))) return false;
    if (this.#settleMs > 0) await new Promise((r) => setTimeout(r, this.#settleMs));
    const mine = await this.objects.readJson(this.#key);
    return !!mine && isLease(mine.value) && mine.value.holder === this.#holder;
  }

  async release(): Promise<void> {
    const current = await this.objects.readJson(this.#key);
    if (current && isLease(current.value) && current.value.holder === this.#holder) await this.objects.remove(this.#key);
  }
}
