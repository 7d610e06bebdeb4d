/** Everything known about a recording when it starts, from the call, the decision and why it starts. */
import { aLegOf } from '../calls/a-leg';
import type { Call, Leg } from '../calls/types';
import type { FsrecdConfig } from '../config/types';
import type { Party, RecordingMeta, SegmentStart } from '../model/recording';
import { tenantOf } from '../policy/tenant';
import type { Decision } from '../policy/types';

/** Why and how a recording starts: a rule's plan, *3, an armed decision, a transfer's continuation. */
export interface StartReason {
  onDemand: boolean;
  reasons: string[];
  user?: string;
  device?: string;
  decision?: Decision;
  startedBy: SegmentStart;
  conversationId?: string;
  segment?: number;
  transferFrom?: RecordingMeta['transferFrom'];
  parties?: Party[];
}

export function recordingMeta(cfg: FsrecdConfig, call: Call, leg: Leg, file: { path: string; relativePath: string }, about: StartReason, nowMs: number): RecordingMeta {
  const aLeg = aLegOf(call) ?? leg;
  const { decision } = about;
  return {
    id: `${call.uuid}-${nowMs.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    callUuid: call.uuid,
    legUuid: leg.uuid,
    path: file.path,
    relativePath: file.relativePath,
    format: file.path.slice(file.path.lastIndexOf('.') + 1),
    srcnum: aLeg.callerNumber,
    dstnum: aLeg.destinationNumber,
    callerName: aLeg.callerName,
    direction: decision?.direction ?? 'inbound',
    network: decision?.network ?? 'internal',
    user: about.user,
    device: about.device,
    domain: decision?.domain ?? aLeg.domain,
    tenantUuid: tenantOf(cfg, decision, aLeg),
    node: leg.node,
    reasons: about.reasons,
    onDemand: about.onDemand,
    startedAt: new Date(nowMs).toISOString(),
    ...(decision?.queue ? { queue: decision.queue } : {}),
    ...(decision?.agent ? { agent: decision.agent } : {}),
    conversationId: about.conversationId ?? call.uuid,
    segment: about.segment ?? 1,
    startedBy: about.startedBy,
    ...(about.parties ? { parties: about.parties } : {}),
    ...(about.transferFrom ? { transferFrom: about.transferFrom } : {}),
  };
}
