import t from 'tap';
import { Bus } from '../../src/bus';
import { recordEvent } from '../../src/calls/record-event';
import { CallRegistry } from '../../src/calls/registry';
import type { EslEvent } from '../../src/esl/types';

const names = { recordName: 'fsrecd_record_name', recordFormat: 'fsrecd_record_format' };
const A = 'ea69231c-2b51-4e64-9cb8-0fa6c9963645';
const B = '338730d4-f78d-4c2c-b0df-be67acf2b2db';

function ev(name: string, headers: Record<string, string>): EslEvent {
  const e = recordEvent(JSON.stringify({ 'Event-Name': name, ...headers }));
  if (!e) throw new Error('bad event');
  return e;
}

const aLeg = {
  'Unique-ID': A,
  'Channel-Call-UUID': A,
  'Call-Direction': 'inbound',
  'Caller-Caller-ID-Number': '1000',
  'Caller-Destination-Number': '7701',
  'Caller-Context': 'default',
  'variable_domain_name': '127.0.0.1',
  'variable_user_name': '1000',
  'FreeSWITCH-Hostname': 'vm',
  'Event-Date-Timestamp': '1795480419788961',
};
const bLeg = {
  'Unique-ID': B,
  'Channel-Call-UUID': A,
  'Call-Direction': 'outbound',
  'Caller-Caller-ID-Number': '1000',
  'Caller-Destination-Number': '7701',
  'Caller-Context': 'default',
  'variable_dialed_user': '7701',
  'variable_dialed_domain': '127.0.0.1',
  'Other-Leg-Unique-ID': A,
};

t.test('a bridged call: legs, identity, bridge, DTMF and forgetting', async (t) => {
  const bus = new Bus();
  const reg = new CallRegistry(bus, names, () => 42);
  const seen: string[] = [];
  bus.on('legCreated', (leg) => seen.push(`created ${leg.uuid === A ? 'a' : 'b'}`));
  bus.on('legAnswered', (leg) => seen.push(`answered ${leg.uuid === A ? 'a' : 'b'}`));
  bus.on('callBridged', (call, a, b) => seen.push(`bridged ${call.uuid === A} ${a.uuid === A} ${b?.uuid === B}`));
  bus.on('dtmf', (_leg, _call, digit, at) => seen.push(`dtmf ${digit} ${at}`));
  bus.on('legGone', (leg) => seen.push(`gone ${leg.uuid === A ? 'a' : 'b'}`));
  bus.on('callEnded', (call) => seen.push(`ended ${call.uuid === A}`));

  reg.apply(ev('CHANNEL_CREATE', aLeg));
  reg.apply(ev('CHANNEL_CREATE', bLeg));
  const a = reg.leg(A);
  const b = reg.leg(B);
  t.ok(a && b);
  t.equal(a?.device, '1000', 'a-leg device from variable_user_name');
  t.equal(b?.device, '7701', 'b-leg device from variable_dialed_user');
  t.equal(b?.domain, '127.0.0.1');
  t.equal(a?.createdAt, 1795480419788, 'created time from the event, in ms');
  t.equal(reg.callCount, 1, 'both legs in one call');
  t.equal(reg.call(A)?.legs.size, 2);

  reg.apply(ev('CHANNEL_ANSWER', { ...bLeg, 'Answer-State': 'answered' }));
  reg.apply(ev('CHANNEL_ANSWER', { ...aLeg, 'Answer-State': 'answered' }));
  reg.apply(ev('CHANNEL_BRIDGE', { ...aLeg, 'Other-Leg-Unique-ID': B }));
  t.equal(a?.bridged && b?.bridged, true);
  t.equal(a?.otherLegUuid, B);
  reg.apply(ev('DTMF', { ...aLeg, 'DTMF-Digit': '*', 'Event-Date-Timestamp': '1795480424568972' }));

  reg.apply(ev('CHANNEL_HANGUP_COMPLETE', bLeg));
  t.equal(reg.callCount, 1, 'call lives while a leg does');
  reg.apply(ev('CHANNEL_HANGUP_COMPLETE', aLeg));
  t.equal(reg.callCount, 0);
  t.equal(reg.legCount, 0);
  t.same(seen, [
    'created a',
    'created b',
    'answered b',
    'answered a',
    'bridged true true true',
    'dtmf * 1795480424568',
    'gone b',
    'gone a',
    'ended true',
  ]);
});

t.test('a carrier leg remembers where it entered after a transfer', async (t) => {
  const reg = new CallRegistry(new Bus(), names);
  const carrier = { ...aLeg, 'Caller-Caller-ID-Number': '../../etc/passwd', 'Caller-Context': 'public', variable_user_name: '' };
  reg.apply(ev('CHANNEL_CREATE', carrier));
  reg.apply(ev('CHANNEL_ANSWER', { ...carrier, 'Caller-Context': 'default' }));
  t.equal(reg.leg(A)?.entryContext, 'public');
  t.equal(reg.leg(A)?.context, 'default');
  t.equal(reg.leg(A)?.callerNumber, '../../etc/passwd', 'kept verbatim; naming makes it safe');
});

t.test('resync adds live legs, forgets legs that hung up while away, keeps legs created meanwhile', async (t) => {
  const bus = new Bus();
  const reg = new CallRegistry(bus, names);
  const ended: string[] = [];
  bus.on('callEnded', (call) => ended.push(call.uuid));
  reg.apply(ev('CHANNEL_CREATE', { ...aLeg, 'Unique-ID': 'old-1', 'Channel-Call-UUID': 'old-1' }));
  reg.apply(ev('CHANNEL_CREATE', { ...aLeg, 'Unique-ID': 'hung-1', 'Channel-Call-UUID': 'hung-1' }));
  const before = reg.beginResync();
  reg.apply(ev('CHANNEL_CREATE', { ...aLeg, 'Unique-ID': 'during-1', 'Channel-Call-UUID': 'during-1' }));
  // hung-1 hangs up after FreeSWITCH listed and dumped it, before the resync is applied.
  const staleDump = ev('CHANNEL_DATA', { ...aLeg, 'Unique-ID': 'hung-1', 'Channel-Call-UUID': 'hung-1' });
  reg.apply(ev('CHANNEL_HANGUP_COMPLETE', { 'Unique-ID': 'hung-1' }));
  reg.replaceAll([ev('CHANNEL_DATA', { ...aLeg, 'Answer-State': 'answered', 'Caller-Channel-Answered-Time': '1795480420308959' }), staleDump], before);
  t.same(ended, ['hung-1', 'old-1']);
  t.notOk(reg.leg('hung-1'), 'a stale dump does not revive a leg that hung up during the resync');
  t.ok(reg.leg('during-1'), 'created during the resync: kept');
  t.equal(reg.leg(A)?.answered, true, 'dumped leg is known and answered');
  t.equal(reg.leg(A)?.answeredAt, 1795480420308);
});

t.test('no growth: a million short calls leave nothing behind', async (t) => {
  const reg = new CallRegistry(new Bus(), names);
  for (let i = 0; i < 100_000; i++) {
    const id = `c-${i}`;
    reg.apply(ev('CHANNEL_CREATE', { ...aLeg, 'Unique-ID': id, 'Channel-Call-UUID': id }));
    reg.apply(ev('CHANNEL_HANGUP_COMPLETE', { 'Unique-ID': id }));
  }
  t.equal(reg.legCount, 0);
  t.equal(reg.callCount, 0);
});
