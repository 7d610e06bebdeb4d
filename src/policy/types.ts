/** The answer to "should this call be recorded, on which leg, and why" (docs/design.md section 3). */
import type { Direction, Network, RecordingOptions, Switch } from '../config/types';

/** *26 state: the user's override for all four cells of their rule, if they have toggled. */
export type ToggleLookup = (domain: string, user: string) => Switch | undefined;

/** Where an endpoint's setting came from, in KAZOO's order. */
export type RuleSource = 'device' | 'user' | 'toggle' | 'all_users' | 'account' | 'queue' | 'agent';

export interface Reason {
  source: RuleSource;
  /** The device, user, queue or agent id, or the account domain. */
  subject: string;
  direction: Direction;
  network: Network;
  value: Switch;
  /** One line for logs and metadata, e.g. "device 1000 outbound×internal on". */
  text: string;
}

/** One file to make: one per call normally; one per endpoint when perEndpointFiles asks. */
export interface RecordingPlan {
  /** Leg to run uuid_record on (the leg that carries both parties). */
  legUuid: string;
  /** Rules that said on; the metadata lists all of them. */
  reasons: Reason[];
  options: RecordingOptions;
  /** For naming and metadata. */
  user?: string;
  device?: string;
}

export interface Decision {
  record: boolean;
  callUuid: string;
  /** The call relative to the account: inbound if it came from a carrier or entered from a device. */
  direction: Direction;
  network: Network;
  domain: string;
  tenantUuid: string;
  /** Empty when record is false. */
  plans: RecordingPlan[];
  /** Every rule considered, including ones that said off or were overridden: the decision log line. */
  considered: Reason[];
  /** Facts that could not be established (unknown device, no account for a domain…), for the log. */
  notes: string[];
  /** mod_callcenter queue of a queue call, as FreeSWITCH names it (`support@default`): for RecordingMeta.queue. */
  queue?: string;
  /** mod_callcenter agent of a queue call (`1001@default`), once known (from the bridge on): for RecordingMeta.agent. */
  agent?: string;
}
