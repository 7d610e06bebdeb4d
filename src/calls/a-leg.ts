/** Which leg of a call is its a-leg (the caller's) and which the b-leg: one rule for policy, naming and the recorder. */
import type { Call, Leg } from './types';

/** The leg whose uuid is the call's; after a transfer took it away, the first inbound leg, else the first. */
export function aLegOf(call: Call): Leg | undefined {
  return call.legs.get(call.uuid) ?? [...call.legs.values()].find((l) => l.direction === 'inbound') ?? call.legs.values().next().value;
}

/** The a-leg's bridge partner, else the first outbound leg. */
export function bLegOf(call: Call, aLeg: Leg): Leg | undefined {
  if (aLeg.otherLegUuid) {
    const other = call.legs.get(aLeg.otherLegUuid);
    if (other) return other;
  }
  return [...call.legs.values()].find((l) => l.uuid !== aLeg.uuid && l.direction === 'outbound');
}
