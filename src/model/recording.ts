/** What the daemon knows about one recording, from the decision to the stored object (the shared model). */
import type { Direction, Network } from '../config/types';

export interface RecordingMeta {
  /** Unique id of this recording: <call uuid>-<n>; also the journal key. */
  id: string;
  callUuid: string;
  /** The leg uuid_record runs on. */
  legUuid: string;
  /** Absolute path FreeSWITCH writes to. */
  path: string;
  /** Path relative to spool_dir (or to its allowed_dir) — the default object key. */
  relativePath: string;
  format: string;
  srcnum: string;
  dstnum: string;
  callerName: string;
  direction: Direction;
  network: Network;
  user?: string;
  device?: string;
  domain: string;
  tenantUuid: string;
  /** FreeSWITCH-Hostname: lets several nodes share one bucket. */
  node: string;
  /** Every reason the call is recorded, e.g. "account inbound×external on", "*3 by 1000". */
  reasons: string[];
  onDemand: boolean;
  /** ISO 8601 UTC. */
  startedAt: string;
  /**
   * The conversation this recording is a segment of: the uuid of the first recorded call. Transfers keep
   * it, so the segments of one conversation group together (absent on older recordings: the call uuid).
   */
  conversationId?: string;
  /** This recording's place in its conversation: 1, then 2, 3… after each transfer (absent: 1). */
  segment?: number;
  /** How this segment came to be recorded. */
  startedBy?: SegmentStart;
  /** Who was on the call when this segment started. */
  parties?: Party[];
  /** A segment that continues a conversation: the recording it follows and how the call moved on. */
  transferFrom?: { recordingId: string; kind: TransferKind };
  /** mod_callcenter: the queue (queue@domain) and the agent of a queue call. */
  queue?: string;
  agent?: string;
}

export type SegmentStart = 'answer' | 'bridge' | 'armed' | 'transfer' | 'on-demand' | 'adopted';

/** attended: uuid_bridge / REFER with Replaces / att_xfer; blind: uuid_transfer of a leg; pickup: intercept. */
export type TransferKind = 'attended' | 'blind' | 'pickup' | 'park';

export interface Party {
  role: 'caller' | 'callee';
  number: string;
  name?: string;
  user?: string;
  device?: string;
  legUuid?: string;
}

export type CompletionCause = string;

/** From the RECORD_STOP whose Record-File-Path matches. */
export interface RecordingResult {
  endedAt: string;
  durationMs: number;
  /** variable_record_file_size as FreeSWITCH reported it (bytes); the file on disk is the truth. */
  reportedSize?: number;
  completionCause: CompletionCause;
}

/** Where the recorder hands recordings: the spool journal (src/spool) or, in tests, a collector. */
export interface RecordingSink {
  /** uuid_record was accepted; FreeSWITCH is writing meta.path. */
  started(meta: RecordingMeta): Promise<void>;
  /** RECORD_STOP with a file: ready to store. */
  finished(meta: RecordingMeta, result: RecordingResult): Promise<void>;
  /** FreeSWITCH discarded it (empty-file, input-too-short): nothing to store, and not a loss. */
  discarded(meta: RecordingMeta, result: RecordingResult): Promise<void>;
  /** uuid_record failed or the file is gone: journaled with the reason. */
  failed(meta: RecordingMeta, reason: string): Promise<void>;
  /** A remark on a recording still in progress (e.g. its start was not answered). */
  note?(id: string, text: string): Promise<void>;
}
