/**
 * Turns what the daemon knows (a journal entry) or what storage holds (an object and its .json metadata
 * object) into one RecordingEntry, so both feed the same index.
 */
import { createHash } from 'node:crypto';
import type { Direction, Network } from '../config/types';
import type { JournalEntry } from '../spool/journal';
import type { SegmentStart, TransferKind } from '../model/recording';
import type { PartyInfo, RecordingEntry, Trigger } from './types';

export function triggerOf(onDemand: boolean, adopted: boolean): Trigger {
  return onDemand ? 'on-demand' : adopted ? 'adopted' : 'rule';
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v) && !v.includes('..');
const STARTS: readonly SegmentStart[] = ['answer', 'bridge', 'armed', 'transfer', 'on-demand', 'adopted'];
const KINDS: readonly TransferKind[] = ['attended', 'blind', 'pickup', 'park'];
/** A caller ID can be long; a party list cannot be (a conversation has a handful). */
const MAX_PARTIES = 16;
const MAX_TEXT = 200;

type ConversationFields = Pick<RecordingEntry, 'conversationId' | 'segment' | 'startedBy' | 'parties' | 'transferFrom' | 'queue' | 'agent'>;

function shortText(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v.slice(0, MAX_TEXT) : undefined;
}

function partyOf(v: unknown): PartyInfo | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  if (p.role !== 'caller' && p.role !== 'callee') return undefined;
  const party: PartyInfo = { role: p.role, number: shortText(p.number) ?? '' };
  for (const k of ['name', 'user', 'device', 'legUuid'] as const) {
    const text = shortText(p[k]);
    if (text !== undefined) party[k] = text;
  }
  return party;
}

/**
 * The conversation a recording belongs to, from a RecordingMeta (the journal's, or a metadata object that
 * may come from another node, an older version or a hand edit). Anything missing or malformed leaves the
 * recording a conversation of one: its call uuid (or, lacking one, its own id), segment 1.
 */
export function conversationFields(m: Record<string, unknown>, id: string): ConversationFields {
  const conversationId = isId(m.conversationId) ? m.conversationId : isId(m.callUuid) ? m.callUuid : id;
  const segment = typeof m.segment === 'number' && Number.isInteger(m.segment) && m.segment >= 1 && m.segment <= 1_000_000 ? m.segment : 1;
  const out: ConversationFields = { conversationId, segment };
  if (typeof m.startedBy === 'string' && (STARTS as readonly string[]).includes(m.startedBy)) out.startedBy = m.startedBy as SegmentStart;
  if (Array.isArray(m.parties)) {
    const parties = m.parties.slice(0, MAX_PARTIES).map(partyOf).filter((p): p is PartyInfo => p !== undefined);
    if (parties.length) out.parties = parties;
  }
  const from = m.transferFrom && typeof m.transferFrom === 'object' ? (m.transferFrom as Record<string, unknown>) : undefined;
  if (from && isId(from.recordingId) && typeof from.kind === 'string' && (KINDS as readonly string[]).includes(from.kind)) {
    out.transferFrom = { recordingId: from.recordingId, kind: from.kind as TransferKind };
  }
  const queue = shortText(m.queue);
  if (queue !== undefined) out.queue = queue;
  const agent = shortText(m.agent);
  if (agent !== undefined) out.agent = agent;
  return out;
}

export function entryFromJournal(e: JournalEntry): RecordingEntry {
  const m = e.meta;
  return {
    id: e.id,
    callUuid: m.callUuid,
    legUuid: m.legUuid,
    startedAt: m.startedAt,
    endedAt: e.result?.endedAt,
    durationMs: e.result?.durationMs || undefined,
    state: e.state,
    direction: m.direction,
    network: m.network,
    srcnum: m.srcnum,
    dstnum: m.dstnum,
    callerName: m.callerName,
    user: m.user,
    device: m.device,
    domain: m.domain,
    tenant: m.tenantUuid,
    node: m.node,
    reasons: m.reasons,
    trigger: triggerOf(m.onDemand, e.adopted === true),
    format: m.format,
    key: e.key,
    size: e.size ?? e.result?.reportedSize,
    md5: e.md5,
    localPath: e.state === 'stored' ? undefined : m.path,
    completionCause: e.result?.completionCause,
    lastError: e.lastError,
    journalUpdatedAt: e.updatedAt,
    source: 'journal',
    ...conversationFields(m as unknown as Record<string, unknown>, e.id),
  };
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  /** The object's ETag: its MD5 for single-part uploads. */
  etag?: string;
  lastModified?: Date;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** An id for an object whose metadata is missing or names none: stable, so reindexing twice changes nothing. */
export function idForKey(key: string): string {
  return `obj-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/**
 * From an object and its metadata object (the JSON fsrecd writes beside every recording, possibly from
 * another node or an older version; anything missing or mistyped falls back to what the object tells).
 */
export function entryFromStorage(obj: StoredObjectInfo, metaJson: unknown): RecordingEntry {
  const m = (metaJson && typeof metaJson === 'object' ? metaJson : {}) as Record<string, unknown>;
  const result = (m.result && typeof m.result === 'object' ? m.result : {}) as Record<string, unknown>;
  const base = obj.key.split('/').pop() ?? obj.key;
  const etag = obj.etag?.replace(/"/g, '');
  const direction: Direction = m.direction === 'outbound' ? 'outbound' : 'inbound';
  const network: Network = m.network === 'external' ? 'external' : 'internal';
  const reasons = Array.isArray(m.reasons) ? m.reasons.filter((r): r is string => typeof r === 'string') : [];
  const id = optStr(m.id) && /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(str(m.id)) ? str(m.id) : idForKey(obj.key);
  const startedAt = optStr(m.startedAt) && !Number.isNaN(Date.parse(str(m.startedAt))) ? str(m.startedAt) : (obj.lastModified ?? new Date(0)).toISOString();
  return {
    id,
    callUuid: str(m.callUuid),
    legUuid: str(m.legUuid),
    startedAt,
    endedAt: optStr(result.endedAt),
    durationMs: num(result.durationMs) || undefined,
    state: 'stored',
    direction,
    network,
    srcnum: str(m.srcnum),
    dstnum: str(m.dstnum),
    callerName: str(m.callerName),
    user: optStr(m.user),
    device: optStr(m.device),
    domain: str(m.domain),
    tenant: str(m.tenantUuid),
    node: str(m.node),
    reasons: reasons.length ? reasons : ['found in storage'],
    trigger: triggerOf(m.onDemand === true, id.startsWith('adopted-')),
    format: str(m.format) || (base.includes('.') ? (base.split('.').pop() as string) : ''),
    key: obj.key,
    size: obj.size,
    md5: etag && /^[0-9a-f]{32}$/.test(etag) ? etag : optStr(m.md5),
    completionCause: optStr(result.completionCause),
    source: 'storage',
    ...conversationFields(m, id),
  };
}
