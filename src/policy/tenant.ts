/** The tenant a recording is filed under: one rule for its metadata and its file name. */
import type { Leg } from '../calls/types';
import type { FsrecdConfig } from '../config/types';
import type { Decision } from './types';

/** The decision's tenant, else the a-leg's account's, else its domain, else the default account's. */
export function tenantOf(cfg: FsrecdConfig, decision: Decision | undefined, aLeg: Leg): string {
  return decision?.tenantUuid || cfg.accounts.get(aLeg.domain)?.tenantUuid || aLeg.domain || cfg.defaultAccount.tenantUuid;
}
