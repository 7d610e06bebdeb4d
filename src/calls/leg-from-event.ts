/**
 * Reads who is on a leg from a channel event (or a `uuid_dump … json` record, which has the same headers).
 * docs/design.md section 2 and the captures' README say which headers carry what.
 *
 * Every field is validated here, at the edge (docs/design.md section 9): a uuid that could not be one (it
 * travels into `uuid_record <uuid> …` commands) drops the event, a time out of range is ignored, a text
 * field is bounded. A malformed event is used in part or not at all; nothing here throws.
 */
import type { EslEvent } from '../esl/types';
import { sharedText } from './shared-text';
import type { CcSide, Leg, LegDirection } from './types';

export interface LegVariableNames {
  /** Channel variable that names an on-demand recording (features.on_demand.name_variable). */
  recordName: string;
  /** Channel variable that picks an on-demand recording's format. */
  recordFormat: string;
}

/** 9999-12-31T23:59:59.999Z: the last instant an ISO 8601 date (and a log line) can hold with four digits. */
export const MAX_TIME_MS = 253_402_300_799_999;
/** Longest text kept from one header: a real value is far shorter; a 4 KB caller name is noise. */
export const TEXT_MAX = 1024;

/**
 * FreeSWITCH's microsecond times (Event-Date-Timestamp, Caller-Channel-*-Time) in ms; undefined for absent,
 * `0` (not yet), anything but digits, or a time outside 1970–9999 (which `new Date(...).toISOString()`
 * cannot even print).
 */
export function microsToMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,18}$/.test(value)) return undefined;
  const ms = Math.floor(Number(value) / 1000);
  return ms > 0 && ms <= MAX_TIME_MS ? ms : undefined;
}

/**
 * A channel uuid, or undefined. FreeSWITCH's are RFC 4122 text, but `origination_uuid` lets a dialplan pick
 * any; what is accepted is what can ride in an api command unquoted: letters, digits and `_ . : @ + -`.
 */
export function validUuid(value: string | undefined): string | undefined {
  return value !== undefined && /^[A-Za-z0-9][\w.:@+-]{0,127}$/.test(value) ? value : undefined;
}

/** A text header, bounded; undefined stays undefined. */
export function text(value: string | undefined): string | undefined {
  return value === undefined || value.length <= TEXT_MAX ? value : value.slice(0, TEXT_MAX);
}

/** A file path FreeSWITCH reports: non-empty, bounded, and without NUL, CR or LF. */
export function validPath(value: string | undefined): string | undefined {
  return value && value.length <= 4096 && !/[\0\r\n]/.test(value) ? value : undefined;
}

/** Longest mod_callcenter queue or agent name kept: names are short (`support@default`); more is noise. */
export const CC_NAME_MAX = 256;

/**
 * A mod_callcenter queue or agent name (`support@default`, `1001@default`), or undefined: non-empty, at most
 * CC_NAME_MAX characters, no control characters (it goes into metadata, logs and the index as it is).
 */
export function validCcName(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > CC_NAME_MAX) return undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return undefined;
  }
  return value;
}

function ccSide(value: string | undefined): CcSide | undefined {
  return value === 'member' || value === 'agent' ? value : undefined;
}

/** The mod_callcenter facts an event carries (each undefined when absent or malformed). */
function ccFacts(ev: EslEvent): Pick<Leg, 'ccQueue' | 'ccAgent' | 'ccSide' | 'ccMemberSessionUuid' | 'ccAgentUuid'> {
  return {
    ccQueue: sharedText(validCcName(ev.get('variable_cc_queue'))),
    ccAgent: sharedText(validCcName(ev.get('variable_cc_agent'))),
    ccSide: ccSide(ev.get('variable_cc_side')),
    ccMemberSessionUuid: validUuid(ev.get('variable_cc_member_session_uuid')),
    ccAgentUuid: validUuid(ev.get('variable_cc_agent_uuid')),
  };
}

function direction(ev: EslEvent): LegDirection {
  return ev.get('Call-Direction') === 'outbound' ? 'outbound' : 'inbound';
}

/** The device (directory user) on a leg: the authenticated caller, or the dialled user on a leg to a phone. */
function device(ev: EslEvent, dir: LegDirection): string | undefined {
  if (dir === 'inbound') {
    return sharedText(text(ev.get('variable_user_name') ?? ev.get('variable_sip_auth_username')));
  }
  return sharedText(text(ev.get('variable_dialed_user') ?? ev.get('variable_user_name')));
}

function otherLeg(ev: EslEvent): string | undefined {
  return validUuid(ev.get('Other-Leg-Unique-ID') ?? ev.get('variable_bridge_uuid') ?? ev.get('variable_signal_bond'));
}

function domain(ev: EslEvent): string {
  return sharedText(text(ev.get('variable_domain_name') ?? ev.get('variable_dialed_domain')) ?? '');
}

/** A leg from a channel event; undefined when the event names no valid channel uuid. */
export function legFromEvent(ev: EslEvent, names: LegVariableNames, fallbackNowMs: number): Leg | undefined {
  const uuid = validUuid(ev.get('Unique-ID'));
  if (!uuid) return undefined;
  const dir = direction(ev);
  const context = sharedText(text(ev.get('Caller-Context')) ?? '');
  const answerState = ev.get('Answer-State');
  const answeredAt = microsToMs(ev.get('Caller-Channel-Answered-Time'));
  const bridgedAt = microsToMs(ev.get('Caller-Channel-Bridged-Time'));
  const other = otherLeg(ev);
  const callUuid = validUuid(ev.get('Channel-Call-UUID')) ?? validUuid(ev.get('variable_call_uuid'));
  const leg: Leg = {
    uuid,
    // The a-leg's own uuid string, not an equal copy (the registry shares the other legs' the same way).
    callUuid: callUuid === undefined || callUuid === uuid ? uuid : callUuid,
    direction: dir,
    callerNumber: text(ev.get('Caller-Caller-ID-Number')) ?? '',
    callerName: text(ev.get('Caller-Caller-ID-Name')) ?? '',
    destinationNumber: text(ev.get('Caller-Destination-Number')) ?? '',
    context,
    // After a reconnect the dump says where the leg is now; the channel list says where it entered.
    entryContext: sharedText(text(ev.get('X-Fsrecd-Initial-Context'))) ?? context,
    domain: domain(ev),
    device: device(ev, dir),
    userVar: text(ev.get('variable_fsrecd_user')),
    gateway: sharedText(text(ev.get('variable_sip_gateway_name'))),
    otherLegUuid: other,
    channelName: text(ev.get('Channel-Name')) ?? '',
    node: sharedText(text(ev.get('FreeSWITCH-Hostname')) ?? ''),
    sipCallId: text(ev.get('variable_sip_call_id')),
    ...ccFacts(ev),
    recordName: text(ev.get(`variable_${names.recordName}`)),
    recordFormat: text(ev.get(`variable_${names.recordFormat}`)),
    recordingPath: validPath(ev.get('variable_fsrecd_recording')),
    answered: answerState === 'answered' || answeredAt !== undefined,
    bridged: bridgedAt !== undefined && other !== undefined,
    createdAt: microsToMs(ev.get('Caller-Channel-Created-Time')) ?? microsToMs(ev.get('Event-Date-Timestamp')) ?? fallbackNowMs,
    answeredAt,
    bridgedAt,
  };
  return leg;
}

/**
 * Refreshes what may change during a call (context after a transfer, identity learned late, per-call
 * variables a dialplan set) without forgetting where the leg entered.
 */
/**
 * The newest entry of variable_transfer_history, `<epoch>:<uuid>:<how>:<where>` joined by `|` (captures 10
 * and 11): `bl_xfer` is a blind transfer (uuid_transfer, REFER), `uuid_br` / `att_xfer` an attended one.
 */
export function lastTransfer(history: string | undefined): Leg['lastTransfer'] {
  const how = history?.slice(0, 4096).split('|').at(-1)?.split(':')[2];
  if (how === 'bl_xfer') return 'blind';
  if (how === 'uuid_br' || how === 'att_xfer') return 'attended';
  return undefined;
}

export function refreshLeg(leg: Leg, ev: EslEvent, names: LegVariableNames): void {
  const context = sharedText(text(ev.get('Caller-Context')));
  if (context) leg.context = context;
  leg.domain ||= domain(ev);
  leg.device ??= device(ev, leg.direction);
  leg.userVar ??= text(ev.get('variable_fsrecd_user'));
  leg.gateway ??= sharedText(text(ev.get('variable_sip_gateway_name')));
  // mod_callcenter sets these as the call goes on (member-queue-start, the bridge, CALL_UPDATE), and a member
  // moved to another queue gets the new name: the latest event wins, an event without them keeps what we knew.
  const cc = ccFacts(ev);
  leg.ccQueue = cc.ccQueue ?? leg.ccQueue;
  leg.ccAgent = cc.ccAgent ?? leg.ccAgent;
  leg.ccSide = cc.ccSide ?? leg.ccSide;
  leg.ccMemberSessionUuid = cc.ccMemberSessionUuid ?? leg.ccMemberSessionUuid;
  leg.ccAgentUuid = cc.ccAgentUuid ?? leg.ccAgentUuid;
  leg.recordName = text(ev.get(`variable_${names.recordName}`)) ?? leg.recordName;
  leg.recordFormat = text(ev.get(`variable_${names.recordFormat}`)) ?? leg.recordFormat;
  leg.recordingPath = validPath(ev.get('variable_fsrecd_recording')) ?? leg.recordingPath;
  leg.lastTransfer = lastTransfer(ev.get('variable_transfer_history')) ?? leg.lastTransfer;
  const callerNumber = text(ev.get('Caller-Caller-ID-Number'));
  if (callerNumber !== undefined) leg.callerNumber = callerNumber;
}
