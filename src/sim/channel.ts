/** A simulated FreeSWITCH channel (one leg) and the endpoints a scripted call is made of. */

export interface SimEndpoint {
  /** Caller ID number (a-leg) or dialled number (b-leg). */
  number: string;
  name?: string;
  /** Authenticated directory user on a leg from a phone, or the dialled user on a leg to a phone. */
  device?: string;
  domain?: string;
  /** The leg goes through this gateway (external). */
  gateway?: string;
  /** Caller-Context at creation: 'default' for phones, 'public' for a carrier. */
  context?: string;
  /** Extra channel variables (without the variable_ prefix). */
  vars?: Record<string, string>;
}

export interface CallSpec {
  from: SimEndpoint;
  to: string;
  bridgeTo?: SimEndpoint;
  /** Carrier calls: enter in `public`, then the dialplan transfers them to this context. */
  transferContext?: string;
  /** The dialplan answers and parks (the *26 case). */
  park?: boolean;
  /** false: no audio ever reaches a recording (RECORD_STOP empty-file). */
  media?: boolean;
}

export type Role = 'a' | 'b';
export type Shape = 'bridged' | 'single' | 'carrier' | 'park';

export interface SimChannel {
  uuid: string;
  callUuid: string;
  role: Role;
  shape: Shape;
  direction: 'inbound' | 'outbound';
  channelName: string;
  callerNumber: string;
  callerName: string;
  destination: string;
  context: string;
  domain: string;
  /** Channel variables this leg has set (identity, dialplan, uuid_setvar); the rest come from the captures. */
  vars: Map<string, string>;
  /** Captured variables this leg must not show (a carrier leg has no directory identity). */
  hiddenVars: Set<string>;
  otherUuid?: string;
  /** The other leg, kept after it hangs up: FreeSWITCH's later events still describe it (Other-Leg-*). */
  other?: SimChannel;
  createdUs: number;
  answeredUs: number;
  bridgedUs: number;
  hangupUs: number;
  hangupCause?: string;
  media: boolean;
  state: 'ringing' | 'answered' | 'hangup';
  /** In a bridge right now (FreeSWITCH's CF_BRIDGED): RECORD_BRIDGE_REQ recordings write only then. */
  inBridge?: boolean;
  /**
   * The captured call flow whose events this leg's follow (src/sim/flow-templates.ts), e.g. the third party of
   * capture 11 is { flow: 'attended', role: 'c' }. Unset: the shape's templates, then capture 10's.
   */
  flow?: { name: string; role: string; peers?: Record<string, string> };
  /** Events of each name sent for this leg so far: picks the n-th captured event of that name. */
  eventCounts?: Map<string, number>;
}
