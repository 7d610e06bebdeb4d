/** A live picture of FreeSWITCH channels (legs) and the calls they form. */

/** FreeSWITCH's Call-Direction: inbound = the leg came into FreeSWITCH, outbound = FreeSWITCH placed it. */
export type LegDirection = 'inbound' | 'outbound';

/** mod_callcenter's variable_cc_side. */
export type CcSide = 'member' | 'agent';

export interface Leg {
  readonly uuid: string;
  /** Channel-Call-UUID: the a-leg's uuid, shared by every leg of the call. */
  callUuid: string;
  direction: LegDirection;
  callerNumber: string;
  callerName: string;
  destinationNumber: string;
  /** Caller-Context now (changes after a dialplan transfer). */
  context: string;
  /** Caller-Context on CHANNEL_CREATE: where the leg entered (e.g. `public` for a carrier). */
  entryContext: string;
  /** variable_domain_name; '' when unknown. */
  domain: string;
  /** Device (directory user / SIP endpoint) on this leg, if any. docs/design.md section 2. */
  device?: string;
  /** variable_fsrecd_user from the directory, if set; YAML devices.<id>.user takes precedence in policy. */
  userVar?: string;
  /** variable_sip_gateway_name: the leg goes through a gateway (external). */
  gateway?: string;
  otherLegUuid?: string;
  channelName: string;
  /** FreeSWITCH-Hostname of the node that owns the leg. */
  node: string;
  sipCallId?: string;
  /**
   * mod_callcenter facts (test/fixtures/freeswitch-esl/README.md, capture 13). They appear during the call,
   * not at CHANNEL_CREATE (a member is answered before it joins the queue), so every event refreshes them.
   * ccQueue: variable_cc_queue, the queue's full name as configured (`support@default`).
   */
  ccQueue?: string;
  /** variable_cc_agent (`1001@default`): on the agent's leg from its creation, on the member's after the bridge. */
  ccAgent?: string;
  /** variable_cc_side: `member` (the caller waiting in / served by the queue) or `agent` (the leg
   *  mod_callcenter originated to the agent, a call of its own until it is bridged to the member). */
  ccSide?: CcSide;
  /** variable_cc_member_session_uuid, on the agent's leg: the member's channel uuid. */
  ccMemberSessionUuid?: string;
  /** variable_cc_agent_uuid, on the member's leg from its bridge to the agent: the agent's channel uuid. */
  ccAgentUuid?: string;
  /** Per-call overrides a dialplan may set: fsrecd_record_name, fsrecd_record_format. */
  recordName?: string;
  recordFormat?: string;
  /** variable_fsrecd_recording: set by fsrecd when it starts a recording, so a restarted daemon does not
   *  start a second one on a call FreeSWITCH is already recording. */
  recordingPath?: string;
  /** How FreeSWITCH last moved this channel (variable_transfer_history): a blind transfer or a bridge of uuids. */
  lastTransfer?: 'blind' | 'attended';
  answered: boolean;
  bridged: boolean;
  /** Unix ms. */
  createdAt: number;
  answeredAt?: number;
  bridgedAt?: number;
}

export interface Call {
  /** The a-leg's uuid (Channel-Call-UUID). */
  readonly uuid: string;
  /** Legs by uuid, in creation order. */
  readonly legs: Map<string, Leg>;
  readonly createdAt: number;
}
