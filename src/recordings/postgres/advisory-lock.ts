/**
 * A ClusterLock as a PostgreSQL session-level advisory lock, held on one connection checked out of the
 * pool for as long as the lock is held. The server ties the lock to that session: when the node holding
 * it dies (killed, crashed, its host gone), its connection ends and the server drops the lock at once (or
 * when its TCP keepalive notices, for a host that vanished) — no expiry to wait for, no lease to renew.
 *
 * The cost: one pool connection per held lock, so the pool needs one more connection than the queries use.
 */
import type { Pool, PoolClient } from 'pg';
import type { ClusterLock } from '../index-store';
import type { IndexLog } from './connection';
import { lockKey } from './lock-key';

export class AdvisoryLock implements ClusterLock {
  readonly #key: string;
  /** The session holding the lock, while it is held. */
  #client: PoolClient | undefined;
  /** The held session's connection failed: the server has dropped the lock with it. */
  #broken = false;
  /** Hears the held session's connection fail. */
  #onError: ((err: Error) => void) | undefined;

  constructor(
    private readonly pool: Pool,
    readonly name: string,
    private readonly where: string,
    private readonly log: IndexLog,
  ) {
    this.#key = lockKey(name);
  }

  describe(): string {
    return `PostgreSQL advisory lock "${this.name}" (key ${this.#key}) in ${this.where}`;
  }

  get held(): boolean {
    return this.#client !== undefined && !this.#broken;
  }

  /** True when this holder has it (still alive: checked) or has just taken it; false when another session holds it. */
  async acquire(): Promise<boolean> {
    if (this.#client && !this.#broken) {
      try {
        // The session is still there, so is its lock (only its end or an unlock drops a session lock).
        await this.#client.query('SELECT 1');
        return true;
      } catch (err) {
        this.log.warn(`${this.describe()}: the holding connection failed, the lock went with it; taking it again`, { err: (err as Error).message });
        this.#broken = true;
      }
    }
    this.#drop();
    const client = await this.pool.connect();
    // A checked-out client whose connection fails emits 'error' on itself (not on the pool): unheard, that
    // would end the process.
    const onError = (err: Error): void => {
      if (this.#client !== client) return;
      this.#broken = true;
      this.log.warn(`${this.describe()}: the holding connection failed, the lock went with it`, { err: err.message });
    };
    client.on('error', onError);
    let ok = false;
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.#key]);
      ok = r.rows[0]?.ok === true;
    } catch (err) {
      client.off('error', onError);
      client.release(err as Error);
      throw err;
    }
    if (!ok) {
      client.off('error', onError);
      client.release();
      return false;
    }
    this.#client = client;
    this.#onError = onError;
    this.#broken = false;
    return true;
  }

  async release(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    if (this.#broken) {
      this.#drop();
      return;
    }
    this.#client = undefined;
    try {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.#key]);
      this.#forget(client);
      client.release();
    } catch (err) {
      // Destroying the connection ends the session, and the lock with it.
      this.#forget(client);
      client.on('error', () => undefined);
      client.release(err as Error);
    }
  }

  #forget(client: PoolClient): void {
    if (this.#onError) client.off('error', this.#onError);
    this.#onError = undefined;
  }

  /** Forgets a session that failed: its connection is destroyed rather than returned to the pool. */
  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#broken = false;
    if (!client) return;
    this.#forget(client);
    // A destroyed connection may still report its end.
    client.on('error', () => undefined);
    client.release(new Error('advisory lock session failed'));
  }
}
