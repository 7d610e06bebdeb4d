/**
 * KAZOO's precedence over the FULL cross product of rule cells, for the three call shapes. The expected
 * outcome comes from the rules written once below as plain tables, not from the implementation.
 */
import t from 'tap';
import { emptyAccount, defaultConfig } from '../../src/config/defaults';
import type { FsrecdConfig, Switch } from '../../src/config/types';
import { decideRecording } from '../../src/policy/decide';
import { shapedCall, type Shape } from '../helpers/calls';

type Cell = Switch | undefined;
const VALUES: Cell[] = ['on', 'off', undefined];

/** KAZOO: an endpoint's setting is the first defined of these, in this order. */
const ENDPOINT_ORDER = ['device', 'toggle', 'user', 'allUsers'] as const;
/** KAZOO's recording settings matrix: inbound keyed by the origin, else outbound keyed by the destination. */
const ACCOUNT_ORDER = ['accountIn', 'accountOut'] as const;
/** Which cells matter per shape: [fromNet, toNet, caller is a device, callee is a device]. */
const SHAPES: Record<Shape, { from: 'internal' | 'external'; to: 'internal' | 'external'; caller: boolean; callee: boolean }> = {
  'internal->internal': { from: 'internal', to: 'internal', caller: true, callee: true },
  'internal->carrier': { from: 'internal', to: 'external', caller: true, callee: false },
  'carrier->internal': { from: 'external', to: 'internal', caller: false, callee: true },
};

interface Case {
  accountIn: Cell;
  accountOut: Cell;
  caller: Record<(typeof ENDPOINT_ORDER)[number], Cell>;
  callee: Record<(typeof ENDPOINT_ORDER)[number], Cell>;
}

function firstDefined<K extends string>(order: readonly K[], cells: Record<K, Cell>): Cell {
  for (const k of order) if (cells[k] !== undefined) return cells[k];
  return undefined;
}

function expected(c: Case, s: (typeof SHAPES)[Shape]): boolean {
  const account = firstDefined(ACCOUNT_ORDER, { accountIn: c.accountIn, accountOut: c.accountOut });
  const caller = s.caller ? firstDefined(ENDPOINT_ORDER, c.caller) : undefined;
  const callee = s.callee ? firstDefined(ENDPOINT_ORDER, c.callee) : undefined;
  return account === 'on' || caller === 'on' || callee === 'on';
}

function* product(n: number): Generator<Cell[]> {
  if (n === 0) {
    yield [];
    return;
  }
  for (const rest of product(n - 1)) for (const v of VALUES) yield [v, ...rest];
}

function configFor(c: Case, shape: Shape): FsrecdConfig {
  const s = SHAPES[shape];
  const cfg = defaultConfig();
  const acct = emptyAccount('acme.example');
  acct.recordAccount.inbound[s.from] = c.accountIn;
  acct.recordAccount.outbound[s.to] = c.accountOut;
  acct.recordAllUsers.outbound[s.to] = c.caller.allUsers;
  acct.recordAllUsers.inbound[s.from] = c.callee.allUsers;
  const m = (dir: 'inbound' | 'outbound', net: 'internal' | 'external', v: Cell) => {
    const x = { inbound: {}, outbound: {} } as FsrecdConfig['defaultAccount']['recordAccount'];
    x[dir][net] = v;
    return x;
  };
  acct.users.set('alice', { id: 'alice', record: m('outbound', s.to, c.caller.user), options: {} });
  acct.devices.set('1000', { id: '1000', user: 'alice', record: m('outbound', s.to, c.caller.device), options: {} });
  acct.users.set('bob', { id: 'bob', record: m('inbound', s.from, c.callee.user), options: {} });
  acct.devices.set('1001', { id: '1001', user: 'bob', record: m('inbound', s.from, c.callee.device), options: {} });
  cfg.accounts.set('acme.example', acct);
  cfg.network.externalContexts = ['public'];
  return cfg;
}

for (const shape of Object.keys(SHAPES) as Shape[]) {
  t.test(`${shape}: every combination of account, all-users, user, toggle and device cells`, async (t) => {
    const s = SHAPES[shape];
    const endpointCells = (s.caller ? 4 : 0) + (s.callee ? 4 : 0);
    let cases = 0;
    let recorded = 0;
    const wrong: string[] = [];
    const call = shapedCall(shape);
    for (const cells of product(2 + endpointCells)) {
      const [accountIn, accountOut, ...rest] = cells;
      const none = { device: undefined, toggle: undefined, user: undefined, allUsers: undefined };
      const take = (): Case['caller'] => ({ device: rest.shift(), toggle: rest.shift(), user: rest.shift(), allUsers: rest.shift() });
      const c: Case = { accountIn, accountOut, caller: s.caller ? take() : none, callee: s.callee ? take() : none };
      const cfg = configFor(c, shape);
      const toggles = (_domain: string, user: string): Switch | undefined => (user === 'alice' ? c.caller.toggle : user === 'bob' ? c.callee.toggle : undefined);
      const d = decideRecording(cfg, call, toggles);
      const want = expected(c, s);
      cases++;
      if (want) recorded++;
      if (d.record !== want) wrong.push(JSON.stringify({ c, got: d.record }));
      else if (d.record && (d.plans.length !== 1 || d.plans[0]?.legUuid !== 'a' || (d.plans[0]?.reasons.length ?? 0) === 0)) {
        wrong.push(JSON.stringify({ c, plans: d.plans }));
      }
    }
    t.equal(cases, 3 ** (2 + endpointCells), 'the whole cross product was generated');
    t.ok(recorded > 0 && recorded < cases, 'both outcomes occur');
    t.same(wrong.slice(0, 5), [], `${wrong.length} wrong decisions`);
  });
}
