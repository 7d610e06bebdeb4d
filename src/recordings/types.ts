/** A stored recording as the index, the CLI and the HTTP API show it. */
import type { Direction, Network } from '../config/types';
import type { SegmentStart, TransferKind, Party } from '../model/recording';

/** Why it was recorded: a rule (account, user, device, queue, *26 toggle), *3 on demand, or found in spool_dir. */
export type Trigger = 'rule' | 'on-demand' | 'adopted';

export type RecordingState = 'recording' | 'finished' | 'uploading' | 'stored' | 'failed' | 'discarded' | 'lost';

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
