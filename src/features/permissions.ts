/** Who may use which feature code: user setting, else the account's (Wazo: online_call_record_enabled). */
import type { Leg } from '../calls/types';
import type { AccountConfig, FsrecdConfig, UserConfig } from '../config/types';

export interface Endpoint {
  account: AccountConfig;
  device?: string;
  userId?: string;
  user?: UserConfig;
}

export function endpointOf(cfg: FsrecdConfig, leg: Leg): Endpoint {
  const account = cfg.accounts.get(leg.domain) ?? cfg.defaultAccount;
  const device = leg.device;
  // A phone whose YAML names no owner and whose directory sets no fsrecd_user is its own user: on a plain
  // FreeSWITCH, directory user 1000 is both the device and the person.
  const userId = (device ? account.devices.get(device)?.user : undefined) ?? leg.userVar ?? device;
  return { account, device, userId, user: userId ? account.users.get(userId) : undefined };
}

export function mayRecordOnDemand(ep: Endpoint): boolean {
  return ep.user?.onlineCallRecordEnabled ?? ep.account.onlineCallRecordEnabled;
}

export function mayToggle(ep: Endpoint): boolean {
  return ep.user?.toggleEnabled ?? ep.account.toggleEnabled;
}
