/** Calls for pure tests, built the way the registry builds them from events. */
import type { Call, Leg } from '../../src/calls/types';

export function leg(over: Partial<Leg> & { uuid: string }): Leg {
  return {
    callUuid: over.uuid,
    direction: 'inbound',
    callerNumber: '',
    callerName: '',
    destinationNumber: '',
    context: 'default',
    entryContext: 'default',
    domain: 'acme.example',
    channelName: '',
    node: 'pbx1',
    answered: true,
    bridged: false,
    createdAt: 0,
    ...over,
  };
}

export function call(a: Leg, b?: Leg): Call {
  const legs = new Map<string, Leg>([[a.uuid, a]]);
  if (b) {
    b.callUuid = a.uuid;
    b.otherLegUuid = a.uuid;
    a.otherLegUuid = b.uuid;
    legs.set(b.uuid, b);
  }
  return { uuid: a.uuid, legs, createdAt: 0 };
}

export type Shape = 'internal->internal' | 'internal->carrier' | 'carrier->internal';

export function shapedCall(shape: Shape): Call {
  switch (shape) {
    case 'internal->internal':
      return call(
        leg({ uuid: 'a', callerNumber: '1000', destinationNumber: '1001', device: '1000' }),
        leg({ uuid: 'b', direction: 'outbound', callerNumber: '1000', destinationNumber: '1001', device: '1001' }),
      );
    case 'internal->carrier':
      return call(
        leg({ uuid: 'a', callerNumber: '1000', destinationNumber: '+14155550100', device: '1000' }),
        leg({ uuid: 'b', direction: 'outbound', callerNumber: '1000', destinationNumber: '+14155550100', gateway: 'carrier1' }),
      );
    case 'carrier->internal':
      return call(
        leg({ uuid: 'a', callerNumber: '+14155550100', destinationNumber: '1001', context: 'default', entryContext: 'public', domain: '' }),
        leg({ uuid: 'b', direction: 'outbound', callerNumber: '+14155550100', destinationNumber: '1001', device: '1001' }),
      );
  }
}
