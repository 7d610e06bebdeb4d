/**
 * Reads who is on a leg from a channel event (or a `uuid_dump … json` record, which has the same headers).
 * docs/design.md section 2 and the captures' README say which headers carry what.
 */
import type { EslEvent } from '../esl/types';
import type { Leg, LegDirection } from './types';

export interface LegVariableNames {
  /** Channel variable that names an on-demand recording (features.on_demand.name_variable). */
  recordName: string;
  /** Channel variable that picks an on-demand recording's format. */
  recordFormat: string;
}

function microsToMs(value: string | undefined): number | undefined {
  if (!value || value === '0') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n / 1000) : undefined;
}

function direction(ev: EslEvent): LegDirection {
  return ev.get('Call-Direction') === 'outbound' ? 'outbound' : 'inbound';
}

/** The device (directory user) on a leg: the authenticated caller, or the dialled user on a leg to a phone. */
function device(ev: EslEvent, dir: LegDirection): string | undefined {
  if (dir === 'inbound') {
    return ev.get('variable_user_name') ?? ev.get('variable_sip_auth_username') ?? undefined;
  }
  return ev.get('variable_dialed_user') ?? ev.get('variable_user_name') ?? undefined;
}

function otherLeg(ev: EslEvent): string | undefined {
  return ev.get('Other-Leg-Unique-ID') ?? ev.get('variable_bridge_uuid') ?? ev.get('variable_signal_bond') ?? undefined;
}

export function legFromEvent(ev: EslEvent, names: LegVariableNames, fallbackNowMs: number): Leg | undefined {
  const uuid = ev.get('Unique-ID');
  if (!uuid) return undefined;
  const dir = direction(ev);
  const context = ev.get('Caller-Context') ?? '';
  const answerState = ev.get('Answer-State');
  const answeredAt = microsToMs(ev.get('Caller-Channel-Answered-Time'));
  const bridgedAt = microsToMs(ev.get('Caller-Channel-Bridged-Time'));
  const leg: Leg = {
    uuid,
    callUuid: ev.get('Channel-Call-UUID') || ev.get('variable_call_uuid') || uuid,
    direction: dir,
    callerNumber: ev.get('Caller-Caller-ID-Number') ?? '',
    callerName: ev.get('Caller-Caller-ID-Name') ?? '',
    destinationNumber: ev.get('Caller-Destination-Number') ?? '',
    context,
    // After a reconnect the dump says where the leg is now; the channel list says where it entered.
    entryContext: ev.get('X-Fsrecd-Initial-Context') ?? context,
    domain: ev.get('variable_domain_name') ?? ev.get('variable_dialed_domain') ?? '',
    device: device(ev, dir),
    userVar: ev.get('variable_fsrecd_user'),
    gateway: ev.get('variable_sip_gateway_name'),
    otherLegUuid: otherLeg(ev),
    channelName: ev.get('Channel-Name') ?? '',
    node: ev.get('FreeSWITCH-Hostname') ?? '',
    sipCallId: ev.get('variable_sip_call_id'),
    ccQueue: ev.get('variable_cc_queue'),
    ccAgent: ev.get('variable_cc_agent'),
    recordName: ev.get(`variable_${names.recordName}`),
    recordFormat: ev.get(`variable_${names.recordFormat}`),
    recordingPath: ev.get('variable_fsrecd_recording'),
    answered: answerState === 'answered' || answeredAt !== undefined,
    bridged: bridgedAt !== undefined && otherLeg(ev) !== undefined,
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
export function refreshLeg(leg: Leg, ev: EslEvent, names: LegVariableNames): void {
  const context = ev.get('Caller-Context');
  if (context) leg.context = context;
  leg.domain ||= ev.get('variable_domain_name') ?? ev.get('variable_dialed_domain') ?? '';
  leg.device ??= device(ev, leg.direction);
  leg.userVar ??= ev.get('variable_fsrecd_user');
  leg.gateway ??= ev.get('variable_sip_gateway_name');
  leg.ccQueue ??= ev.get('variable_cc_queue');
  leg.ccAgent ??= ev.get('variable_cc_agent');
  leg.recordName = ev.get(`variable_${names.recordName}`) ?? leg.recordName;
  leg.recordFormat = ev.get(`variable_${names.recordFormat}`) ?? leg.recordFormat;
  leg.recordingPath = ev.get('variable_fsrecd_recording') ?? leg.recordingPath;
  const callerNumber = ev.get('Caller-Caller-ID-Number');
  if (callerNumber !== undefined) leg.callerNumber = callerNumber;
}
