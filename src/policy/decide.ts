/**
 * Should this call be recorded, on which leg, and why. Pure: config, the registry's picture of the call
 * and the *26 toggles in; a Decision out. Lookups only (Map.get), so the cost does not grow with the
 * number of users and devices.
 */
import type { Call, Leg } from '../calls/types';
import type { AccountConfig, Direction, FsrecdConfig, Network, RecordingOptions, Switch } from '../config/types';
import { findCcRule } from './cc-lookup';
import { classify } from './classify';
import { userOf } from './endpoint-user';
import { accountSetting, cell, endpointSetting } from './precedence';
import type { Decision, Reason, RecordingPlan, ToggleLookup } from './types';

interface EndpointVerdict {
  leg: Leg;
  device: string;
  user: string;
  reasons: Reason[];
  on: boolean;
  options: Partial<RecordingOptions>;
}

/** `yamlKey`: the queues/agents key that matched, named in the text when it is not the subject itself. */
function reason(source: Reason['source'], subject: string, direction: Direction, network: Network, value: Switch, yamlKey?: string): Reason {
  const what = source === 'all_users' ? 'all users of' : source === 'toggle' ? '*26 toggle of user' : source;
  const key = yamlKey !== undefined && yamlKey !== subject ? ` (${source === 'queue' ? 'queues' : 'agents'}.${yamlKey})` : '';
  return { source, subject, direction, network, value, text: `${what} ${subject}${key} ${direction}×${network} ${value}` };
}

/** The endpoint on a leg: its device, and the device's user (YAML owner, else directory fsrecd_user, else itself). */
function endpoint(
  account: AccountConfig,
  leg: Leg,
  dir: Direction,
  net: Network,
  toggles: ToggleLookup,
  considered: Reason[],
): EndpointVerdict | undefined {
  const device = leg.device;
  if (!device) return undefined;
  const deviceCfg = account.devices.get(device);
  const user = userOf(account, leg) ?? device;
  const userCfg = account.users.get(user);
  const cells = {
    device: cell(deviceCfg?.record, dir, net),
    toggle: toggles(account.domain, user),
    user: cell(userCfg?.record, dir, net),
    allUsers: cell(account.recordAllUsers, dir, net),
  };
  if (cells.device) considered.push(reason('device', device, dir, net, cells.device));
  if (cells.toggle) considered.push(reason('toggle', user, dir, net, cells.toggle));
  if (cells.user) considered.push(reason('user', user, dir, net, cells.user));
  if (cells.allUsers) considered.push(reason('all_users', account.domain, dir, net, cells.allUsers));
  const setting = endpointSetting(cells);
  const subject = setting?.source === 'device' ? device : setting?.source === 'all_users' ? account.domain : user;
  const reasons = setting?.value === 'on' ? [reason(setting.source, subject, dir, net, 'on')] : [];
  // The most specific contributor's options win: device over user over account (see mergeOptions).
  const options = { ...(userCfg?.options ?? {}), ...(deviceCfg?.options ?? {}) };
  return { leg, device, user, reasons, on: setting?.value === 'on', options };
}

/** cfg.recording < account < queue < agent < user < device. */
function mergeOptions(cfg: FsrecdConfig, account: AccountConfig, ...layers: Array<Partial<RecordingOptions> | undefined>): RecordingOptions {
  return Object.assign({}, cfg.recording, account.options, ...layers.filter(Boolean)) as RecordingOptions;
}

interface QueueVerdict {
  /** The queue's and the agent's rules that said on. */
  reasons: Reason[];
  queueOptions?: Partial<RecordingOptions>;
  agentOptions?: Partial<RecordingOptions>;
}

/**
 * The queue and agent rules (KAZOO's Call Center Pro "record all calls"): judged independently of the
 * endpoints, like the account rule, so a queue `on` records even when the account or the caller's own
 * device says off. An `off` here vetoes nothing; it is listed in `considered`.
 */
function queueRules(account: AccountConfig, queue: string | undefined, agent: string | undefined, fromNet: Network, considered: Reason[]): QueueVerdict {
  const out: QueueVerdict = { reasons: [] };
  const q = findCcRule(account.queues, queue);
  if (queue !== undefined && q?.rule.record) {
    const r = reason('queue', queue, 'inbound', fromNet, q.rule.record, q.rule.id);
    considered.push(r);
    if (q.rule.record === 'on') {
      out.reasons.push(r);
      out.queueOptions = q.rule.options;
    }
  }
  const a = findCcRule(account.agents, agent);
  if (agent !== undefined && a?.rule.record) {
    const r = reason('agent', agent, 'inbound', fromNet, a.rule.record, a.rule.id);
    considered.push(r);
    if (a.rule.record === 'on') {
      out.reasons.push(r);
      out.agentOptions = a.rule.options;
    }
  }
  return out;
}

export function decideRecording(cfg: FsrecdConfig, call: Call, toggles: ToggleLookup): Decision {
  const shape = classify(cfg, call);
  if (!shape) {
    return { record: false, callUuid: call.uuid, direction: 'inbound', network: 'internal', domain: '', tenantUuid: '', plans: [], considered: [], notes: ['call has no legs'] };
  }
  const { aLeg, bLeg, fromNet, toNet, account } = shape;
  const considered: Reason[] = [];
  const notes: string[] = [];
  if (!shape.accountKnown) notes.push(`no account for domain "${aLeg.domain}"; default account applies`);
  // mod_callcenter: the member's leg carries the queue from member-queue-start on; the agent's name is on
  // the agent's leg (the member's only after the bridge), which the bridge brings into the member's call.
  const queue = aLeg.ccQueue ?? bLeg?.ccQueue;
  const agent = aLeg.ccAgent ?? bLeg?.ccAgent;
  // For metadata and filters: a call from a carrier is inbound, any other call was placed by one of ours.
  const base = {
    callUuid: call.uuid,
    direction: (fromNet === 'external' ? 'inbound' : 'outbound') as Direction,
    network: (fromNet === 'external' || toNet === 'external' ? 'external' : 'internal') as Network,
    domain: account.domain,
    tenantUuid: account.tenantUuid,
    considered,
    notes,
    ...(queue !== undefined ? { queue } : {}),
    ...(agent !== undefined ? { agent } : {}),
  };
  if (aLeg.ccSide === 'agent') {
    // mod_callcenter originated this call to the agent; at the bridge it joins the member's call, which is
    // decided then with every rule (queue, agent, both endpoints): a file here would be a second copy.
    notes.push("agent leg of a queue call: recorded on the member's leg");
    return { ...base, record: false, plans: [] };
  }

  const accountRule = accountSetting(account.recordAccount, fromNet, toNet);
  const accountReasons: Reason[] = [];
  if (accountRule) {
    const r = reason('account', account.domain, accountRule.direction, accountRule.network, accountRule.value);
    considered.push(r);
    if (accountRule.value === 'on') accountReasons.push(r);
  }

  const caller = endpoint(account, aLeg, 'outbound', toNet, toggles, considered);
  const callee = bLeg ? endpoint(account, bLeg, 'inbound', fromNet, toggles, considered) : undefined;
  if (!aLeg.device && fromNet === 'internal') notes.push('caller leg has no authenticated device');

  const cc = queueRules(account, queue, agent, fromNet, considered);

  const endpoints = [caller, callee].filter((e): e is EndpointVerdict => !!e && e.on);
  const callReasons = [...accountReasons, ...cc.reasons];
  if (callReasons.length === 0 && endpoints.length === 0) return { ...base, record: false, plans: [] };

  // A file made for the queue alone holds the member–agent conversation: from the bridge to the agent (not
  // the hold music before it), unless the queue's or agent's own `recording.start` says otherwise.
  const queueLayers = (forQueueAlone: boolean): Array<Partial<RecordingOptions> | undefined> => [
    forQueueAlone ? { startOn: 'bridge' } : undefined,
    cc.queueOptions,
    cc.agentOptions,
  ];
  const specific = endpoints.find((e) => e === callee) ?? endpoints[0];
  const merged = mergeOptions(cfg, account, ...queueLayers(accountReasons.length === 0 && endpoints.length === 0), specific?.options);
  let plans: RecordingPlan[];
  if (merged.perEndpointFiles && endpoints.length > 0) {
    plans = endpoints.map((e) => ({
      legUuid: e.leg.uuid,
      reasons: e.reasons,
      options: mergeOptions(cfg, account, cc.queueOptions, cc.agentOptions, e.options),
      user: e.user,
      device: e.device,
    }));
    if (callReasons.length > 0 && !plans.some((p) => p.legUuid === aLeg.uuid)) {
      plans.push({ legUuid: aLeg.uuid, reasons: callReasons, options: mergeOptions(cfg, account, ...queueLayers(accountReasons.length === 0)) });
    } else if (callReasons.length > 0) {
      plans.find((p) => p.legUuid === aLeg.uuid)?.reasons.push(...callReasons);
    }
  } else {
    // One recording per call, on the a-leg: it carries both parties (stereo: caller left, callee right).
    plans = [
      {
        legUuid: aLeg.uuid,
        reasons: [...callReasons, ...endpoints.flatMap((e) => e.reasons)],
        options: merged,
        user: specific?.user,
        device: specific?.device,
      },
    ];
  }
  return { ...base, record: true, plans };
}
