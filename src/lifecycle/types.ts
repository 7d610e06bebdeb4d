/**
 * The recording lifecycle as the CLI, the HTTP API and the retention enforcer see it: deletion with a
 * tombstone, legal holds, and the audit trail of who touched which recording. One service (lifecycle.ts)
 * implements it over the recordings index and the storage target; callers hand it an Actor so every act is
 * tenant-scoped and audited in one place.
 */
import type { Role } from '../config/credentials-file';
import type { AuditPage, AuditQuery, LegalHold, RecordingEntry } from '../recordings/types';

/** reader: list, play, download, presign. admin: also delete, hold, release and read the audit trail. */
export type { Role };

/** Who acts, from where. The retention enforcer acts as { name: 'retention', role: 'admin', from: 'node <hostname>' }. */
export interface Actor {
  /** A user name, "token on line N", "cli:<unix user>" or "retention". */
  name: string;
  /** Limits the actor to one tenant's recordings; undefined = every tenant. */
  tenant?: string;
  role: Role;
  /** A client address ("127.0.0.1"), "cli" or "node <hostname>". */
  from: string;
}

// The records themselves live with the index that keeps them (recordings/types.ts: the layers below must
// not import this one); they are re-exported here, where the callers of the lifecycle look for them.
export type { AuditAction, AuditEvent, AuditPage, AuditQuery, LegalHold, Tombstone } from '../recordings/types';

export type LifecycleErrorCode = 'not-found' | 'forbidden' | 'held' | 'deleted' | 'not-held' | 'not-stored' | 'bad-input' | 'storage';

/** A refused or failed act; `status` is the HTTP status the API answers with. */
export class LifecycleError extends Error {
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }

  get status(): number {
    switch (this.code) {
      case 'not-found':
        return 404;
      case 'forbidden':
        return 403;
      case 'bad-input':
        return 400;
      case 'storage':
        return 502;
      default:
        return 409;
    }
  }
}

export interface Lifecycle {
  /**
   * Deletes the object, its metadata object and any local copy, then marks the index entry `deleted` with a
   * tombstone. Refused (LifecycleError) for a held, already deleted, not yet stored or unknown recording, for
   * a non-admin, or for an empty reason. Audited either way.
   */
  delete(id: string, actor: Actor, reason: string): Promise<RecordingEntry>;
  /** Sets a legal hold (and the S3 Object Lock legal hold where the bucket has Object Lock). */
  hold(id: string, actor: Actor, reason: string): Promise<LegalHold>;
  /** Clears a legal hold. */
  release(id: string, actor: Actor, reason: string): Promise<void>;
  /** Records a read (download, play, url) the caller already allowed. Never throws. */
  recordAccess(action: 'download' | 'play' | 'url', entry: RecordingEntry, actor: Actor): Promise<void>;
  /** The audit trail, newest first; an actor with a tenant sees only that tenant's events. Admins only. */
  audit(q: AuditQuery, actor: Actor): Promise<AuditPage>;
}
