/** A stored recording as the index, the CLI and the HTTP API show it. */
import type { Direction, Network } from '../config/types';
import type { SegmentStart, TransferKind, Party } from '../model/recording';

/** Why it was recorded: a rule (account, user, device, queue, *26 toggle), *3 on demand, or found in spool_dir. */
export type Trigger = 'rule' | 'on-demand' | 'adopted';

/** 'deleted': the object is gone by request or retention; the entry stays as a tombstone (`deleted`). */
export type RecordingState = 'recording' | 'finished' | 'uploading' | 'stored' | 'failed' | 'discarded' | 'lost' | 'deleted';

export interface RecordingEntry {
  id: string;
  callUuid: string;
  legUuid: string;
  /** ISO 8601 UTC. */
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  state: RecordingState;
  direction: Direction;
  network: Network;
  srcnum: string;
  dstnum: string;
  callerName: string;
  user?: string;
  device?: string;
  domain: string;
  tenant: string;
  node: string;
  reasons: string[];
  trigger: Trigger;
  format: string;
  /** Object key in the storage target. */
  key: string;
  size?: number;
  md5?: string;
  /** The spool file while it is not yet stored (or kept by keep_local_days). */
  localPath?: string;
  completionCause?: string;
  lastError?: string;
  /** The journal entry's last change (journal entries only): lets a start-up skip what the index has. */
  journalUpdatedAt?: string;
  /** Where the index learnt of it: this node's journal, or the storage target (reindex). */
  source: 'journal' | 'storage';
  /** The conversation this recording is a segment of (the first recorded call's uuid; older recordings: their call uuid). */
  conversationId: string;
  /** Its place in the conversation: 1, then 2, 3… after each transfer. */
  segment: number;
  startedBy?: SegmentStart;
  /** Who was on the call when this segment started (older recordings: none). */
  parties?: PartyInfo[];
  /** The recording this segment continues and how the call moved on. */
  transferFrom?: { recordingId: string; kind: TransferKind };
  /** mod_callcenter queue (queue@domain) and agent. */
  queue?: string;
  agent?: string;
  /** Who deleted it, when and why (state 'deleted'). */
  deleted?: Tombstone;
  /** A legal hold: retention skips it and delete refuses it until it is released. */
  hold?: LegalHold;
}

export interface LegalHold {
  reason: string;
  by: string;
  /** ISO 8601 UTC. */
  at: string;
  /** True when the object itself carries an S3 Object Lock legal hold (not only the index). */
  objectLock: boolean;
}

export interface Tombstone {
  /** ISO 8601 UTC. */
  deletedAt: string;
  deletedBy: string;
  reason: string;
  /** 'retention' or 'request'. */
  cause: 'retention' | 'request';
}

export type AuditAction = 'download' | 'play' | 'url' | 'delete' | 'retention-delete' | 'hold' | 'release';

export const AUDIT_ACTIONS: readonly AuditAction[] = ['download', 'play', 'url', 'delete', 'retention-delete', 'hold', 'release'];

export interface AuditEvent {
  /** Increasing; the cursor of the audit list. */
  seq: number;
  /** ISO 8601 UTC. */
  at: string;
  action: AuditAction;
  recordingId: string;
  /** The recording's tenant (so a tenant admin sees its own tenant's trail). */
  tenant: string;
  actor: string;
  from: string;
  reason?: string;
  /** 'refused' with the reason in `detail` when the act was not allowed (held, not found for this tenant…). */
  outcome: 'ok' | 'refused';
  detail?: string;
}

/** An audit event as it is told, before the trail numbers it. */
export type NewAuditEvent = Omit<AuditEvent, 'seq'>;

export interface AuditQuery {
  fromMs?: number;
  toMs?: number;
  action?: AuditAction;
  recordingId?: string;
  actor?: string;
  tenant?: string;
  /** 1–1000. */
  limit: number;
  /** Opaque cursor from the previous page's `next`. */
  before?: string;
}

export interface AuditPage {
  events: AuditEvent[];
  next: string | null;
}

/** A party as the index keeps it: RecordingMeta's Party, checked when read. */
export type PartyInfo = Party;

/** One conversation in a grouped list: what its visible segments add up to, and the segments in order. */
export interface ConversationSummary {
  conversationId: string;
  segmentCount: number;
  /** The first segment's start and the newest segment's start (ISO 8601 UTC). */
  startedAt: string;
  lastStartedAt: string;
  endedAt?: string;
  /** Sum of the segments' durations (those that have one). */
  durationMs: number;
  /** Everyone on the conversation across its segments, once each (by number, user and device). */
  parties: PartyInfo[];
  segments: RecordingEntry[];
}

export interface ConversationPage {
  conversations: ConversationSummary[];
  next: string | null;
}

export interface RecordingQuery {
  /** Inclusive lower and exclusive upper bound on startedAt, epoch ms. */
  fromMs?: number;
  toMs?: number;
  direction?: Direction;
  network?: Network;
  /** Substring of srcnum, dstnum, caller name, user, device, any party, queue or agent (case-insensitive). */
  text?: string;
  user?: string;
  device?: string;
  tenant?: string;
  /** The FreeSWITCH node (FreeSWITCH-Hostname) that recorded it. */
  node?: string;
  /** All segments of one conversation. */
  conversation?: string;
  /** mod_callcenter queue or agent: `support` matches `support@any.domain`; `support@default` only itself. */
  queue?: string;
  agent?: string;
  /** Substring of any reason, e.g. "account", "*26", "user 1000". */
  reason?: string;
  trigger?: Trigger;
  state?: RecordingState;
  /** Page size, 1–1000. */
  limit: number;
  /** Opaque cursor from the previous page's `next`. */
  before?: string;
}

export interface RecordingPage {
  recordings: RecordingEntry[];
  /** Cursor for the next (older) page, or null at the end. */
  next: string | null;
}
