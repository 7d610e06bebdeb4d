/** Who may use which feature code: user setting, else the account's (Wazo: online_call_record_enabled). */
import type { Leg } from '../calls/types';
import type { AccountConfig, FsrecdConfig, UserConfig } from '../config/types';
import { userOf } from '../policy/endpoint-user';

export interface Endpoint {
  account: AccountConfig;
  device?: string;
  userId?: string;
  user?: UserConfig;
}

export function endpointOf(cfg: FsrecdConfig, leg: Leg): Endpoint {
  const account = cfg.accounts.get(leg.domain) ?? cfg.defaultAccount;
  const userId = userOf(account, leg);
  return { account, device: leg.device, userId, user: userId ? account.users.get(userId) : undefined };
}

export function mayRecordOnDemand(ep: Endpoint): boolean {
  return ep.user?.onlineCallRecordEnabled ?? ep.account.onlineCallRecordEnabled;
}

export function mayToggle(ep: Endpoint): boolean {
  return ep.user?.toggleEnabled ?? ep.account.toggleEnabled;
}
