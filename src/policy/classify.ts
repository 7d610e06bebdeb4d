/**
 * Where a call comes from and goes to (docs/design.md section 2): a leg is external when it goes through a
 * gateway, entered in an external context (`public`), or is not a phone and its number looks external.
 */
import { aLegOf, bLegOf } from '../calls/a-leg';
import type { Call, Leg } from '../calls/types';
import type { AccountConfig, FsrecdConfig, Network } from '../config/types';

export interface CallShape {
  aLeg: Leg;
  /** The b-leg FreeSWITCH placed, if any; else the callee is only the a-leg's destination number. */
  bLeg?: Leg;
  fromNet: Network;
  toNet: Network;
  account: AccountConfig;
  /** False when no account names the domain and the default account stands in. */
  accountKnown: boolean;
}

function matchesExternal(cfg: FsrecdConfig, number: string): boolean {
  return cfg.network.externalNumberPatterns.some((re) => re.test(number));
}

export function callerNetwork(cfg: FsrecdConfig, a: Leg): Network {
  if (a.gateway || cfg.network.externalContexts.includes(a.entryContext)) return 'external';
  return !a.device && matchesExternal(cfg, a.callerNumber) ? 'external' : 'internal';
}

export function calleeNetwork(cfg: FsrecdConfig, a: Leg, b: Leg | undefined): Network {
  if (b) {
    if (b.gateway) return 'external';
    return !b.device && matchesExternal(cfg, b.destinationNumber) ? 'external' : 'internal';
  }
  return matchesExternal(cfg, a.destinationNumber) ? 'external' : 'internal';
}

export function classify(cfg: FsrecdConfig, call: Call): CallShape | undefined {
  const aLeg = aLegOf(call);
  if (!aLeg) return undefined;
  const bLeg = bLegOf(call, aLeg);
  const byDomain = cfg.accounts.get(aLeg.domain) ?? (bLeg ? cfg.accounts.get(bLeg.domain) : undefined);
  return {
    aLeg,
    bLeg,
    fromNet: callerNetwork(cfg, aLeg),
    toNet: calleeNetwork(cfg, aLeg, bLeg),
    account: byDomain ?? cfg.defaultAccount,
    accountKnown: byDomain !== undefined,
  };
}
