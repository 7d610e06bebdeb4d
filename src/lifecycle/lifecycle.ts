/**
 * The one implementation of the Lifecycle contract (types.ts): delete with a tombstone, legal holds (the
 * S3 Object Lock one where the bucket has it), and the audit trail, over the recordings index and the
 * storage target. The CLI, the HTTP API and the retention enforcer all act through it, so every act is
 * checked, tenant-scoped, audited and logged in one place.
 */
import { hostname } from 'node:os';
import { NO_FAULTS, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingIndex } from '../recordings/index-store';
import type { AuditAction, AuditPage, AuditQuery, LegalHold, RecordingEntry, Tombstone } from '../recordings/types';
import { objectLifecycleOf, type ObjectLifecycle, type ObjectLockSupport } from '../storage/object-lifecycle';
import type { RecordingStore } from '../storage/target';
import { holdMarkerKey, metadataKey } from './keys';
import { LifecycleError, type Actor, type Lifecycle } from './types';

/** storage.object_lock: use the bucket's Object Lock where it has one (auto), refuse holds without it (require), or never (off). */
export type ObjectLockMode = 'auto' | 'require' | 'off';

/** The local copy a stored recording may still have in spool_dir (upload.keep_local_days). */
export interface LocalCopies {
  /** Removes the verified local copy of a stored recording, if one is there; true when one was removed. */
  remove(id: string): Promise<boolean>;
}

export interface LifecycleOptions {
  index: RecordingIndex;
  store: RecordingStore;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  objectLock?: ObjectLockMode;
  /** The spool's kept local copies (the daemon and the CLI pass the journal's); none when absent. */
  localCopies?: LocalCopies;
  /** The storage operations (default: those of `store`). */
  objects?: ObjectLifecycle;
  /** Hears each deletion step (lifecycle.*) for the crash tests. */
  faults?: Faults;
}

/** What one deletion removed. */
export interface Removal {
  entry: RecordingEntry;
  /** Bytes of the recording's object (0 when it was already gone). */
  bytes: number;
  objectExisted: boolean;
}

export const RETENTION_ACTOR: Actor = { name: 'retention', role: 'admin', from: `node ${hostname()}` };

const MAX_REASON = 500;

export function createLifecycle(opts: LifecycleOptions): LifecycleService {
  return new LifecycleService(opts);
}

export class LifecycleService implements Lifecycle {
  readonly #index: RecordingIndex;
  readonly #objects: ObjectLifecycle;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #mode: ObjectLockMode;
  readonly #local: LocalCopies | undefined;
  readonly #faults: Faults;
  /** Ids being deleted, held or released by this process: one act per recording at a time. */
  readonly #busy = new Set<string>();
  #lock: Promise<ObjectLockSupport> | undefined;

  constructor(opts: LifecycleOptions) {
    this.#index = opts.index;
    this.#objects = opts.objects ?? objectLifecycleOf(opts.store);
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#mode = opts.objectLock ?? 'auto';
    this.#local = opts.localCopies;
    this.#faults = opts.faults ?? NO_FAULTS;
  }

  /** What the bucket offers for legal holds (asked once; `fresh` asks again). */
  objectLockSupport(fresh = false): Promise<ObjectLockSupport> {
    if (this.#mode === 'off') return Promise.resolve({ enabled: false, detail: 'storage.object_lock is off: legal holds are kept in the index only' });
    if (fresh || !this.#lock) {
      this.#lock = this.#objects.objectLock();
      // A failed probe is asked again next time (the storage may be back).
      this.#lock.catch(() => (this.#lock = undefined));
    }
    return this.#lock;
  }

  async delete(id: string, actor: Actor, reason: string): Promise<RecordingEntry> {
    const { entry, why } = await this.#guarded('delete', id, actor, reason, (e) => {
      if (e.state === 'deleted') throw this.#deletedError(e);
      if (e.hold) throw new LifecycleError('held', `recording ${id} is under legal hold (${e.hold.reason}, by ${e.hold.by} at ${e.hold.at}): release it first`);
      if (e.state !== 'stored') throw new LifecycleError('not-stored', `recording ${id} is ${e.state}, not in storage yet: it can be deleted once it is stored`);
    });
    return this.#exclusive('delete', entry, actor, why, async () => {
      const removal = await this.#remove(entry, { by: actor.name, reason: why, cause: 'request' });
      await this.#audit('delete', removal.entry, actor, why, 'ok', removal.objectExisted ? undefined : 'the object was already gone');
      return removal.entry;
    });
  }

  /**
   * Retention's deletion of one expired recording (the enforcer has checked the rule). Undefined when it is
   * no longer due: held meanwhile (here or by another node: the hold marker in storage), or already deleted.
   */
  async retentionDelete(entry: RecordingEntry, reason: string): Promise<Removal | undefined> {
    if (this.#busy.has(entry.id)) return undefined;
    const now = await this.#index.get(entry.id);
    if (!now || now.state !== 'stored' || now.hold) return undefined;
    return this.#exclusive('retention-delete', now, RETENTION_ACTOR, reason, async () => {
      const marker = await this.#objects.readJson(holdMarkerKey(now.key));
      if (marker) {
        this.#log.info('retention skips a recording another node holds', { recording: now.id, key: now.key });
        return undefined;
      }
      const removal = await this.#remove(now, { by: RETENTION_ACTOR.name, reason, cause: 'retention' });
      await this.#audit('retention-delete', removal.entry, RETENTION_ACTOR, reason, 'ok', removal.objectExisted ? undefined : 'the object was already gone');
      return removal;
    });
  }

  async hold(id: string, actor: Actor, reason: string): Promise<LegalHold> {
    const { entry, why } = await this.#guarded('hold', id, actor, reason, (e) => {
      if (e.state === 'deleted') throw this.#deletedError(e);
      if (e.hold) throw new LifecycleError('held', `recording ${id} is already under legal hold (${e.hold.reason}, by ${e.hold.by} at ${e.hold.at})`);
    });
    return this.#exclusive('hold', entry, actor, why, async () => {
      let objectLock = false;
      let detail: string;
      const support = this.#mode === 'off' ? undefined : await this.#support();
      if (this.#mode === 'require' && !support?.enabled) {
        throw new LifecycleError('storage', `storage.object_lock is require but ${support?.detail ?? 'the bucket has no S3 Object Lock'}: the hold was not set`);
      }
      if (support?.enabled && entry.state === 'stored') {
        await this.#storage(() => this.#objects.setLegalHold(entry.key, true));
        await this.#storage(() => this.#objects.setLegalHold(metadataKey(entry.key), true).catch((err: unknown) => this.#log.warn('legal hold on the metadata object failed (the recording itself is held)', { recording: id, error: String(err) })));
        objectLock = true;
        detail = 'S3 Object Lock legal hold set on the object';
      } else {
        detail = support?.enabled ? `kept in the index only: the recording is ${entry.state}, not in storage yet` : `kept in the index only: ${support?.detail ?? 'storage.object_lock is off'}`;
      }
      const hold: LegalHold = { reason: why, by: actor.name, at: this.#iso(), objectLock };
      // Beside the object, so another node's retention and a reindex see the hold too.
      await this.#storage(() => this.#objects.putJson(holdMarkerKey(entry.key), { id: entry.id, ...hold }));
      const held = (await this.#index.setHold(id, hold)) ?? entry;
      await this.#audit('hold', held, actor, why, 'ok', detail);
      return hold;
    });
  }

  async release(id: string, actor: Actor, reason: string): Promise<void> {
    const { entry, why } = await this.#guarded('release', id, actor, reason, (e) => {
      if (e.state === 'deleted') throw this.#deletedError(e);
      if (!e.hold) throw new LifecycleError('not-held', `recording ${id} is not under legal hold`);
    });
    await this.#exclusive('release', entry, actor, why, async () => {
      if (entry.hold?.objectLock) {
        await this.#storage(() => this.#objects.setLegalHold(entry.key, false));
        await this.#objects.setLegalHold(metadataKey(entry.key), false).catch((err: unknown) => this.#log.warn('releasing the metadata object\'s legal hold failed', { recording: id, error: String(err) }));
      }
      await this.#storage(() => this.#objects.remove(holdMarkerKey(entry.key)));
      const released = (await this.#index.setHold(id, undefined)) ?? entry;
      await this.#audit('release', released, actor, why, 'ok', entry.hold ? `held since ${entry.hold.at} by ${entry.hold.by} (${entry.hold.reason})` : undefined);
    });
  }

  async recordAccess(action: 'download' | 'play' | 'url', entry: RecordingEntry, actor: Actor): Promise<void> {
    try {
      await this.#audit(action, entry, actor, undefined, 'ok');
    } catch (err) {
      // A read must not fail because its audit line could not be written; the log still has it.
      this.#log.error('audit write failed', { action, recording: entry.id, actor: actor.name, error: String(err) });
    }
  }

  async audit(q: AuditQuery, actor: Actor): Promise<AuditPage> {
    if (actor.role !== 'admin') throw new LifecycleError('forbidden', 'the audit trail is for admins');
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) throw new LifecycleError('bad-input', 'limit: a whole number from 1 to 1000');
    if (q.before !== undefined && !/^\d{1,15}$/.test(q.before)) throw new LifecycleError('bad-input', 'before: not a cursor this server handed out');
    // A tenant's admin sees its own tenant's trail, whatever tenant it asks for.
    return this.#index.audit.page(actor.tenant === undefined ? q : { ...q, tenant: actor.tenant });
  }

  /** Deletes the recording's bytes everywhere, then turns the entry into a tombstone. */
  async #remove(entry: RecordingEntry, t: { by: string; reason: string; cause: Tombstone['cause'] }): Promise<Removal> {
    // The local copy first: left behind by a crash after the object went, the spool would keep it (its
    // journal still says stored) until keep_local_days; gone first, the object is still there to retry.
    this.#faults.at('lifecycle.remove-local');
    if (this.#local) await this.#storage(() => (this.#local as LocalCopies).remove(entry.id));
    this.#faults.at('lifecycle.remove-object');
    const objectExisted = await this.#storage(() => this.#objects.remove(entry.key));
    this.#faults.at('lifecycle.remove-metadata');
    await this.#storage(() => this.#objects.remove(metadataKey(entry.key)));
    const tombstone: Tombstone = { deletedAt: this.#iso(), deletedBy: t.by, reason: t.reason, cause: t.cause };
    this.#faults.at('lifecycle.tombstone');
    const dead = await this.#index.markDeleted(entry.id, tombstone);
    if (!dead) throw new LifecycleError('deleted', `recording ${entry.id} was deleted meanwhile by another process`);
    this.#log.info(t.cause === 'retention' ? 'recording deleted by retention' : 'recording deleted on request', { recording: entry.id, key: entry.key, tenant: entry.tenant, by: t.by, reason: t.reason, bytes: entry.size ?? 0 });
    return { entry: dead, bytes: objectExisted ? (entry.size ?? 0) : 0, objectExisted };
  }

  /** The checks every act shares (reason, role, id, tenant, state); a refusal is audited, logged and thrown. */
  async #guarded(action: AuditAction, id: string, actor: Actor, reason: string, check: (e: RecordingEntry) => void): Promise<{ entry: RecordingEntry; why: string }> {
    const e = await this.#index.get(id);
    const visible = e && (actor.tenant === undefined || e.tenant === actor.tenant) ? e : undefined;
    try {
      if (actor.role !== 'admin') throw new LifecycleError('forbidden', `${action} is for admins; ${actor.name} may only read`);
      const why = this.#reason(reason);
      // Another tenant's recording is "not found": a tenant must not learn which ids exist elsewhere.
      if (!visible) throw new LifecycleError('not-found', `no recording ${id}${actor.tenant === undefined ? '' : ` in tenant ${actor.tenant}`}`);
      check(visible);
      return { entry: visible, why };
    } catch (err) {
      if (err instanceof LifecycleError) await this.#refused(action, id, visible?.tenant ?? actor.tenant ?? '', actor, String(reason ?? '').trim().slice(0, MAX_REASON), err);
      throw err;
    }
  }

  /** One act per recording at a time in this process; a storage failure is audited as refused. */
  async #exclusive<T>(action: AuditAction, entry: RecordingEntry, actor: Actor, reason: string, act: () => Promise<T>): Promise<T> {
    if (this.#busy.has(entry.id)) {
      const err = new LifecycleError('bad-input', `recording ${entry.id} is being changed by another request; try again`);
      await this.#refused(action, entry.id, entry.tenant, actor, reason, err);
      throw err;
    }
    this.#busy.add(entry.id);
    try {
      return await act();
    } catch (err) {
      const e = err instanceof LifecycleError ? err : new LifecycleError('storage', String(err instanceof Error ? err.message : err));
      await this.#refused(action, entry.id, entry.tenant, actor, reason, e);
      throw e;
    } finally {
      this.#busy.delete(entry.id);
    }
  }

  async #refused(action: AuditAction, id: string, tenant: string, actor: Actor, reason: string, err: LifecycleError): Promise<void> {
    try {
      await this.#index.audit.append({ at: this.#iso(), action, recordingId: id, tenant, actor: actor.name, from: actor.from, reason: reason || undefined, outcome: 'refused', detail: `${err.code}: ${err.message}` });
    } catch (e) {
      this.#log.error('audit write failed', { action, recording: id, error: String(e) });
    }
    this.#log.warn('audit', { action, recording: id, tenant, actor: actor.name, from: actor.from, reason, outcome: 'refused', detail: err.message });
  }

  async #audit(action: AuditAction, e: RecordingEntry, actor: Actor, reason: string | undefined, outcome: 'ok', detail?: string): Promise<void> {
    await this.#index.audit.append({ at: this.#iso(), action, recordingId: e.id, tenant: e.tenant, actor: actor.name, from: actor.from, reason, outcome, detail });
    this.#log.info('audit', { action, recording: e.id, tenant: e.tenant, actor: actor.name, from: actor.from, reason, outcome, detail });
  }

  #reason(reason: string): string {
    const r = (reason ?? '').trim();
    if (r === '') throw new LifecycleError('bad-input', 'a reason is required (say why: a ticket, a request, a court order)');
    if (r.length > MAX_REASON) throw new LifecycleError('bad-input', `a reason is at most ${MAX_REASON} characters`);
    return r;
  }

  #deletedError(e: RecordingEntry): LifecycleError {
    const t = e.deleted;
    return new LifecycleError('deleted', `recording ${e.id} was deleted${t ? ` on ${t.deletedAt} by ${t.deletedBy} (${t.reason})` : ''}`);
  }

  async #support(): Promise<ObjectLockSupport> {
    try {
      return await this.objectLockSupport();
    } catch (err) {
      throw new LifecycleError('storage', `cannot ask ${this.#objects.describe()} about S3 Object Lock: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async #storage<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof LifecycleError) throw err;
      throw new LifecycleError('storage', `${this.#objects.describe()}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
