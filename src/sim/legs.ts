/** A new simulated leg: its identity, channel name and the variables a real one starts with (captures 02, 06, 09). */
import { randomUUID } from 'node:crypto';
import type { CallSpec, Role, Shape, SimChannel, SimEndpoint } from './channel';
import { identityVariables } from './event-builder';

const IDENTITY_VARS = identityVariables();

export function newLeg(ep: SimEndpoint, role: Role, shape: Shape, callUuid: string | undefined, spec: CallSpec, nowUs: number): SimChannel {
  const uuid = randomUUID();
  const domain = ep.domain ?? '127.0.0.1';
  const vars = new Map<string, string>();
  const hidden = new Set<string>();
  const a = role === 'a';
  const profile = ep.gateway ? `gateway/${ep.gateway}` : ep.context === 'public' ? 'external' : 'internal';
  const channelName = ep.gateway ? `sofia/gateway/${ep.gateway}/${ep.number}` : `sofia/${profile}/${ep.number}@${domain}`;
  vars.set('direction', a ? 'inbound' : 'outbound');
  vars.set('uuid', uuid);
  vars.set('call_uuid', callUuid ?? uuid);
  vars.set('channel_name', channelName);
  vars.set('sip_call_id', `${randomUUID()}@127.0.0.1`);
  if (a) {
    vars.set('sip_from_user', ep.number);
    vars.set('sip_req_user', spec.to);
    vars.set('sip_to_user', spec.to);
  }
  if (ep.device && a) {
    for (const k of ['user_name', 'sip_auth_username', 'number_alias', 'requested_user_name', 'accountcode']) vars.set(k, ep.device);
    vars.set('domain_name', domain);
    vars.set('requested_domain_name', domain);
    vars.set('sip_auth_realm', domain);
    vars.set('user_context', ep.context ?? 'default');
    vars.set('effective_caller_id_number', ep.number);
    vars.set('effective_caller_id_name', ep.name ?? `Extension ${ep.number}`);
  } else {
    // Only a phone's a-leg carries a directory identity; captured templates must not lend it to others.
    for (const k of IDENTITY_VARS) hidden.add(k);
  }
  if (ep.device && !a) {
    vars.set('dialed_user', ep.device);
    vars.set('dialed_domain', domain);
  }
  if (ep.gateway) vars.set('sip_gateway_name', ep.gateway);
  if (!a && callUuid) {
    vars.set('originator', callUuid);
    vars.set('signal_bond', callUuid);
    vars.set('originating_leg_uuid', callUuid);
  }
  vars.set('fsrecd_sim_entry_context', ep.context ?? 'default');
  for (const [k, v] of Object.entries(ep.vars ?? {})) vars.set(k, v);
  return {
    uuid,
    callUuid: callUuid ?? uuid,
    role,
    shape,
    direction: a ? 'inbound' : 'outbound',
    channelName,
    callerNumber: a ? ep.number : (spec.from.number),
    callerName: a ? (ep.name ?? ep.number) : (spec.from.name ?? spec.from.number),
    destination: a ? spec.to : ep.number,
    context: ep.context ?? 'default',
    domain,
    vars,
    hiddenVars: hidden,
    createdUs: nowUs,
    answeredUs: 0,
    bridgedUs: 0,
    hangupUs: 0,
    media: spec.media ?? true,
    state: 'ringing',
  };
}
