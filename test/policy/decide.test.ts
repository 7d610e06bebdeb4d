import t from 'tap';
import { defaultConfig, emptyAccount } from '../../src/config/defaults';
import type { FsrecdConfig, RecordMatrix, Switch } from '../../src/config/types';
import { decideRecording } from '../../src/policy/decide';
import { call, leg, shapedCall } from '../helpers/calls';

const all = (v: Switch): RecordMatrix => ({ inbound: { internal: v, external: v }, outbound: { internal: v, external: v } });
const none = (): RecordMatrix => ({ inbound: {}, outbound: {} });
const noToggles = (): Switch | undefined => undefined;

function cfg(edit: (acct: ReturnType<typeof emptyAccount>, c: FsrecdConfig) => void): FsrecdConfig {
  const c = defaultConfig();
  const acct = emptyAccount('acme.example');
  acct.tenantUuid = 'tenant-1';
  acct.users.set('alice', { id: 'alice', record: none(), options: {} });
  acct.devices.set('1000', { id: '1000', user: 'alice', record: none(), options: {} });
  acct.users.set('bob', { id: 'bob', record: none(), options: {} });
  acct.devices.set('1001', { id: '1001', user: 'bob', record: none(), options: {} });
  edit(acct, c);
  c.accounts.set(acct.domain, acct);
  return c;
}

t.test('a device explicitly off beats its user on, and beats a *26 toggle on', async (t) => {
  const c = cfg((a) => {
    a.users.get('alice')!.record = all('on');
    a.devices.get('1000')!.record = all('off');
  });
  const d = decideRecording(c, shapedCall('internal->internal'), noToggles);
  t.equal(d.record, false);
  t.match(d.considered.map((r) => r.text), ['device 1000 outbound×internal off', 'user alice outbound×internal on']);
  const toggled = decideRecording(c, shapedCall('internal->internal'), (_d, u) => (u === 'alice' ? 'on' : undefined));
  t.equal(toggled.record, false, 'toggle is the user rule: the device still wins');
});

t.test('a *26 toggle overrides the user YAML rule', async (t) => {
  const c = cfg((a) => (a.users.get('alice')!.record = all('off')));
  const d = decideRecording(c, shapedCall('internal->internal'), (_d, u) => (u === 'alice' ? 'on' : undefined));
  t.equal(d.record, true);
  t.same(d.plans[0]?.reasons.map((r) => r.text), ['*26 toggle of user alice outbound×internal on']);
});

t.test('the account rule records a user who switched recording off', async (t) => {
  const c = cfg((a) => {
    a.users.get('alice')!.record = all('off');
    a.recordAccount.inbound.internal = 'on';
  });
  const d = decideRecording(c, shapedCall('internal->internal'), noToggles);
  t.equal(d.record, true);
  t.same(d.plans[0]?.reasons.map((r) => r.text), ['account acme.example inbound×internal on']);
  t.equal(d.tenantUuid, 'tenant-1');
});

t.test('a queue on beats an account off', async (t) => {
  const c = cfg((a) => {
    a.recordAccount = all('off');
    a.queues.set('support', { id: 'support', record: 'on', options: { format: 'mp3' } });
  });
  const x = shapedCall('carrier->internal');
  const b = x.legs.get('b');
  if (b) b.ccQueue = 'support';
  const d = decideRecording(c, x, noToggles);
  t.equal(d.record, true);
  t.equal(d.plans[0]?.options.format, 'mp3', 'queue options apply');
  t.match(d.plans[0]?.reasons.map((r) => r.text), ['queue support inbound×external on']);
});

t.test('one recording per call, whatever the number of reasons; per-endpoint files on request', async (t) => {
  const c = cfg((a) => {
    a.recordAccount.inbound.internal = 'on';
    a.users.get('alice')!.record = all('on');
    a.users.get('bob')!.record = all('on');
  });
  const d = decideRecording(c, shapedCall('internal->internal'), noToggles);
  t.equal(d.plans.length, 1);
  t.equal(d.plans[0]?.legUuid, 'a', 'the a-leg carries both parties');
  t.equal(d.plans[0]?.reasons.length, 3, 'every reason listed');
  c.recording.perEndpointFiles = true;
  const per = decideRecording(c, shapedCall('internal->internal'), noToggles);
  t.same(per.plans.map((p) => p.legUuid).sort(), ['a', 'b']);
  t.equal(per.plans.find((p) => p.legUuid === 'a')?.reasons.length, 2, 'a-leg plan: alice + the account');
});

t.test('unknown domain: the default account applies, with a note', async (t) => {
  const c = defaultConfig();
  c.defaultAccount.recordAccount.inbound.external = 'on';
  const x = call(leg({ uuid: 'a', callerNumber: '+331234', destinationNumber: '7700', entryContext: 'public', domain: 'nowhere' }));
  const d = decideRecording(c, x, noToggles);
  t.equal(d.record, true);
  t.equal(d.direction, 'inbound');
  t.equal(d.network, 'external');
  t.match(d.notes, [/no account for domain "nowhere"/]);
});

t.test('external number patterns and gateways make a call external', async (t) => {
  const c = cfg((a, cc) => {
    cc.network.externalNumberPatterns = [/^\+?[0-9]{8,}$/];
    a.recordAccount.outbound.external = 'on';
  });
  const single = call(leg({ uuid: 'a', callerNumber: '1000', destinationNumber: '+14155550100', device: '1000' }));
  t.equal(decideRecording(c, single, noToggles).record, true, 'destination matches the pattern');
  t.equal(decideRecording(c, shapedCall('internal->carrier'), noToggles).record, true, 'b-leg via a gateway');
  t.equal(decideRecording(c, shapedCall('internal->internal'), noToggles).record, false);
});
