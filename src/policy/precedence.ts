/**
 * KAZOO's precedence (docs/design.md section 3), as small pure functions over rule cells.
 * Endpoint setting = first defined of: device rule, the user's (*26 toggle, else YAML), "all users".
 * The account rule is judged on its own: inbound keyed by where the call came from, else outbound keyed
 * by where it goes.
 */
import type { Direction, Network, RecordMatrix, Switch } from '../config/types';

export function cell(m: RecordMatrix | undefined, dir: Direction, net: Network): Switch | undefined {
  return m?.[dir][net];
}

export interface EndpointCells {
  device?: Switch;
  toggle?: Switch;
  user?: Switch;
  allUsers?: Switch;
}

export type EndpointSource = 'device' | 'toggle' | 'user' | 'all_users';

export function endpointSetting(c: EndpointCells): { value: Switch; source: EndpointSource } | undefined {
  if (c.device) return { value: c.device, source: 'device' };
  if (c.toggle) return { value: c.toggle, source: 'toggle' };
  if (c.user) return { value: c.user, source: 'user' };
  if (c.allUsers) return { value: c.allUsers, source: 'all_users' };
  return undefined;
}

export function accountSetting(m: RecordMatrix, fromNet: Network, toNet: Network): { value: Switch; direction: Direction; network: Network } | undefined {
  const inbound = m.inbound[fromNet];
  if (inbound) return { value: inbound, direction: 'inbound', network: fromNet };
  const outbound = m.outbound[toNet];
  if (outbound) return { value: outbound, direction: 'outbound', network: toNet };
  return undefined;
}
