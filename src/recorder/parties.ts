/** Who is on a call, as a recording's metadata names them. */
import type { Leg } from '../calls/types';
import type { Party } from '../model/recording';

/** A leg's own number: the caller's for a leg that came in, the dialled one for a leg FreeSWITCH placed. */
export function partyOf(leg: Leg, role: Party['role']): Party {
  const number = leg.direction === 'inbound' ? leg.callerNumber : leg.destinationNumber;
  return {
    role,
    number: number || leg.callerNumber,
    ...(leg.direction === 'inbound' && leg.callerName ? { name: leg.callerName } : {}),
    ...(leg.device ? { device: leg.device } : {}),
    legUuid: leg.uuid,
  };
}
