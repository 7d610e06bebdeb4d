/**
 * Should this call be recorded, on which leg, and why. Pure: config, the registry's picture of the call
 * and the *26 toggles in; a Decision out. Lookups only (Map.get), so the cost does not grow with the
 * number of users and devices.
 */
import type { Call, Leg } from '../calls/types';
import type { AccountConfig, Direction, FsrecdConfig, Network, RecordingOptions, Switch } from '../config/types';
import { classify } from './classify';
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

function reason(source: Reason['source'], subject: string, direction: Direction, network: Network, value: Switch): Reason {
  const what = source === 'all_users' ? 'all users of' : source === 'toggle' ? '*26 toggle of user' : source;
  return { source, subject, direction, network, value, text: `${what} ${subject} ${direction}×${network} ${value}` };
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
  const user = deviceCfg?.user ?? leg.userVar ?? device;
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

/** cfg.recording < account < queue < user < device. */
function mergeOptions(cfg: FsrecdConfig, account: AccountConfig, ...layers: Array<Partial<RecordingOptions> | undefined>): RecordingOptions {
  return Object.assign({}, cfg.recording, account.options, ...layers.filter(Boolean)) as RecordingOptions;
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

  const queueReasons: Reason[] = [];
  let queueOptions: Partial<RecordingOptions> | undefined;
  for (const leg of [aLeg, bLeg]) {
    if (leg?.ccQueue) {
      const q = account.queues.get(leg.ccQueue);
      if (q?.record) {
        const r = reason('queue', q.id, 'inbound', fromNet, q.record);
        considered.push(r);
        if (q.record === 'on') {
          queueReasons.push(r);
          queueOptions = q.options;
        }
      }
    }
    if (leg?.ccAgent) {
      const a = account.agents.get(leg.ccAgent);
      if (a?.record) {
        const r = reason('agent', a.id, 'inbound', fromNet, a.record);
        considered.push(r);
        if (a.record === 'on') queueReasons.push(r);
      }
    }
  }

  const endpoints = [caller, callee].filter((e): e is EndpointVerdict => !!e && e.on);
  const callReasons = [...accountReasons, ...queueReasons];
  // For metadata and filters: a call from a carrier is inbound, any other call was placed by one of ours.
  const base = {
    callUuid: call.uuid,
    direction: (fromNet === 'external' ? 'inbound' : 'outbound') as Direction,
    network: (fromNet === 'external' || toNet === 'external' ? 'external' : 'internal') as Network,
    domain: account.domain,
    tenantUuid: account.tenantUuid,
    considered,
    notes,
  };
  if (callReasons.length === 0 && endpoints.length === 0) return { ...base, record: false, plans: [] };

  const specific = endpoints.find((e) => e === callee) ?? endpoints[0];
  const merged = mergeOptions(cfg, account, queueOptions, specific?.options);
  let plans: RecordingPlan[];
  if (merged.perEndpointFiles && endpoints.length > 0) {
    plans = endpoints.map((e) => ({
      legUuid: e.leg.uuid,
      reasons: e.reasons,
      options: mergeOptions(cfg, account, queueOptions, e.options),
      user: e.user,
      device: e.device,
    }));
    if (callReasons.length > 0 && !plans.some((p) => p.legUuid === aLeg.uuid)) {
      plans.push({ legUuid: aLeg.uuid, reasons: callReasons, options: mergeOptions(cfg, account, queueOptions) });
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
