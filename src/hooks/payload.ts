/**
 * What a hook is told about a stored recording: one JSON object, built from the journal entry when the
 * delivery is created (so it is delivered as it was, even after the journal forgets the entry). The
 * download URL is added at each attempt (a presigned URL expires; an old one must not be re-sent).
 */
import type { Party, TransferKind, SegmentStart } from '../model/recording';
import { triggerOf } from '../recordings/entry-from';
import type { Trigger } from '../recordings/types';
import type { JournalEntry } from '../spool/journal';

/** Bumped when a field changes meaning or goes away (new fields may come without a bump). */
export const PAYLOAD_VERSION = 1;

export interface RecordingDescription {
  id: string;
  callUuid: string;
  legUuid: string;
  conversationId: string;
  segment: number;
  startedBy?: SegmentStart;
  transferFrom?: { recordingId: string; kind: TransferKind };
  tenant: string;
  domain: string;
  /** FreeSWITCH-Hostname of the node that recorded it. */
  node: string;
  direction: string;
  network: string;
  srcnum: string;
  dstnum: string;
  callerName: string;
  user?: string;
  device?: string;
  queue?: string;
  agent?: string;
  parties: Party[];
  /** Every reason the call was recorded, e.g. "account inbound×external on", "*3 by 1000". */
  reasons: string[];
  trigger: Trigger;
  format: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  completionCause?: string;
  /** Object key in storage (a path below storage.dir for a local directory). */
  key: string;
  size?: number;
  /** Checksums of the stored bytes, hex (md5: what fsrecd verified the stored copy against). */
  checksums: Record<string, string>;
}

export interface HookPayload {
  version: number;
  event: 'stored';
  /** The same for every attempt of one delivery: the receiver's key to drop a repeat. */
  deliveryId: string;
  hook: string;
  /** When the delivery was created (shortly after the recording was stored). */
  createdAt: string;
  recording: RecordingDescription;
  storage: {
    type: 'local' | 's3';
    key: string;
    /** A presigned GET URL (S3-compatible storage); absent for a local directory: fetch by key. */
    url?: string;
    urlExpiresAt?: string;
  };
}

export function describeRecording(e: JournalEntry): RecordingDescription {
  const m = e.meta;
  const d: RecordingDescription = {
    id: e.id,
    callUuid: m.callUuid,
    legUuid: m.legUuid,
    conversationId: m.conversationId ?? m.callUuid,
    segment: m.segment ?? 1,
    tenant: m.tenantUuid,
    domain: m.domain,
    node: m.node,
    direction: m.direction,
    network: m.network,
    srcnum: m.srcnum,
    dstnum: m.dstnum,
    callerName: m.callerName,
    parties: m.parties ?? [],
    reasons: m.reasons,
    trigger: triggerOf(m.onDemand, e.adopted === true),
    format: m.format,
    startedAt: m.startedAt,
    key: e.key,
    checksums: e.md5 ? { md5: e.md5 } : {},
  };
  const optional = { startedBy: m.startedBy, transferFrom: m.transferFrom, user: m.user, device: m.device, queue: m.queue, agent: m.agent, size: e.size };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(d, { [k]: v });
  if (e.result) Object.assign(d, { endedAt: e.result.endedAt, durationMs: e.result.durationMs, completionCause: e.result.completionCause });
  return d;
}
