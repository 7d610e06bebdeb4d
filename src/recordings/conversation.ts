/**
 * Pure: what a conversation's segments add up to (times, duration, everyone on it), and a segment's
 * parties, also for recordings made before segments carried them.
 */
import type { ConversationSummary, PartyInfo, RecordingEntry } from './types';

/**
 * A segment's parties: as recorded, or, for an older recording, its caller (srcnum, caller name) and callee
 * (dstnum), with the recorded user and device on the side the direction puts them (the caller of an
 * outbound call, the callee of an inbound one).
 */
export function partiesOf(e: RecordingEntry): PartyInfo[] {
  if (e.parties?.length) return e.parties;
  const local = { ...(e.user ? { user: e.user } : {}), ...(e.device ? { device: e.device } : {}) };
  const caller: PartyInfo = { role: 'caller', number: e.srcnum, ...(e.callerName ? { name: e.callerName } : {}), ...(e.direction === 'outbound' ? local : {}) };
  const callee: PartyInfo = { role: 'callee', number: e.dstnum, ...(e.direction === 'inbound' ? local : {}) };
  return [caller, callee];
}

/** The same person in two segments: same number, user and device (a name alone can differ by who reported it). */
function partyKey(p: PartyInfo): string {
  return JSON.stringify([p.number, p.user ?? '', p.device ?? '']);
}

/** `segments` in order (RecordingIndex.segmentsOf); empty is a conversation with nothing visible. */
export function summarizeConversation(conversationId: string, segments: RecordingEntry[]): ConversationSummary {
  const parties = new Map<string, PartyInfo>();
  for (const s of segments) {
    for (const p of partiesOf(s)) {
      const key = partyKey(p);
      const known = parties.get(key);
      if (!known) parties.set(key, { ...p });
      else if (!known.name && p.name) known.name = p.name;
    }
  }
  const starts = segments.map((s) => s.startedAt).sort();
  const ends = segments.map((s) => s.endedAt).filter((e): e is string => e !== undefined).sort();
  const summary: ConversationSummary = {
    conversationId,
    segmentCount: segments.length,
    startedAt: starts[0] ?? '',
    lastStartedAt: starts.at(-1) ?? '',
    durationMs: segments.reduce((sum, s) => sum + (s.durationMs ?? 0), 0),
    parties: [...parties.values()],
    segments,
  };
  const endedAt = ends.at(-1);
  if (endedAt !== undefined) summary.endedAt = endedAt;
  return summary;
}
