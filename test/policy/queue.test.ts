/**
 * Queue calls (mod_callcenter), shaped like capture 13 (see the captures' README): the member's
 * leg carries the queue, the agent's leg is a call of its own until the bridge brings it into the member's.
 */
import t from 'tap';
import type { Call, Leg } from '../../src/calls/types';
import { defaultConfig, emptyAccount } from '../../src/config/defaults';
import { normalizeCcKey } from '../../src/config/cc-keys';
import type { AccountConfig, FsrecdConfig, RecordMatrix, RecordingOptions, Switch } from '../../src/config/types';
import { decideRecording } from '../../src/policy/decide';
import { call, leg } from '../helpers/calls';

const all = (v: Switch): RecordMatrix => ({ inbound: { internal: v, external: v }, outbound: { internal: v, external: v } });
const noToggles = (): Switch | undefined => undefined;

function cfg(edit: (acct: AccountConfig, c: FsrecdConfig) => void): FsrecdConfig {
  const c = defaultConfig();
  const acct = emptyAccount('acme.example');
  acct.devices.set('1000', { id: '1000', record: { inbound: {}, outbound: {} }, options: {} });
  edit(acct, c);
  c.accounts.set(acct.domain, acct);
  return c;
}

/** As the config loader keys them (src/config/cc-keys.ts). */
function queue(acct: AccountConfig, key: string, record: Switch, options: Partial<RecordingOptions> = {}): void {
  acct.queues.set(normalizeCcKey(key), { id: key, record, options });
}
function agent(acct: AccountConfig, key: string, record: Switch, options: Partial<RecordingOptions> = {}): void {
  acct.agents.set(normalizeCcKey(key), { id: key, record, options });
}

function memberLeg(over: Partial<Leg> = {}): Leg {
  return leg({
    uuid: 'member',
    callerNumber: '1000',
    destinationNumber: '7720',
    device: '1000',
    ccQueue: 'support@default',
    ccSide: 'member',
    ...over,
  });
}

function agentLeg(over: Partial<Leg> = {}): Leg {
  return leg({
    uuid: 'agent',
    direction: 'outbound',
    callerNumber: '1000',
    destinationNumber: '7710',
    domain: '',
    ccQueue: 'support@default',
    ccAgent: '1001@default',
    ccSide: 'agent',
    ccMemberSessionUuid: 'member',
    ...over,
  });
}

/** The member's call at its bridge to the agent: the agent's leg has joined it. */
function bridged(member = memberLeg(), agentSide = agentLeg()): Call {
  member.ccAgentUuid = agentSide.uuid;
  return call(member, agentSide);
}

t.test('a queue on beats an account off: one recording, on the member leg, queue and agent in the decision', async (t) => {
  const c = cfg((a) => {
    a.recordAccount = all('off');
    queue(a, 'support', 'on');
  });
  const d = decideRecording(c, bridged(), noToggles);
  t.equal(d.record, true);
  t.equal(d.plans.length, 1, 'one recording for the conversation');
  t.equal(d.plans[0]?.legUuid, 'member', "on the member's leg (the a-leg of the member's call)");
  t.same(d.plans[0]?.reasons.map((r) => r.text), ['queue support@default (queues.support) inbound×internal on']);
  t.same(d.considered.map((r) => r.text), ['account acme.example inbound×internal off', 'queue support@default (queues.support) inbound×internal on']);
  t.equal(d.queue, 'support@default');
  t.equal(d.agent, '1001@default', "the agent's name comes from the agent's leg");
  t.equal(d.plans[0]?.options.startOn, 'bridge', 'recorded for the queue alone: the conversation from the bridge to the agent');
});

t.test("the member's own device off does not veto a queue on", async (t) => {
  const c = cfg((a) => {
    a.devices.get('1000')!.record = all('off');
    queue(a, 'support@default', 'on');
  });
  const d = decideRecording(c, bridged(), noToggles);
  t.equal(d.record, true);
  t.same(d.plans[0]?.reasons.map((r) => r.text), ['queue support@default inbound×internal on']);
  t.ok(d.considered.some((r) => r.text === 'device 1000 outbound×internal off'), 'the device rule was considered');
});

t.test('exact key first, else the bare one: `support@default` and `support` side by side', async (t) => {
  const c = cfg((a) => {
    queue(a, 'support', 'on');
    queue(a, 'support@default', 'off');
  });
  const exact = decideRecording(c, bridged(), noToggles);
  t.equal(exact.record, false, 'support@default has its own entry, which says off');
  t.same(exact.considered.map((r) => r.text), ['queue support@default inbound×internal off']);
  const other = decideRecording(c, bridged(memberLeg({ ccQueue: 'support@sales' }), agentLeg({ ccQueue: 'support@sales' })), noToggles);
  t.equal(other.record, true, 'another domain falls back to the bare key');
  t.same(other.plans[0]?.reasons.map((r) => r.text), ['queue support@sales (queues.support) inbound×internal on']);
  t.equal(other.queue, 'support@sales');
});

t.test('an agent rule records the queue calls the agent takes, with its options', async (t) => {
  const c = cfg((a) => {
    a.recordAccount = all('off');
    agent(a, '1001', 'on', { format: 'mp3' });
  });
  const d = decideRecording(c, bridged(), noToggles);
  t.equal(d.record, true);
  t.equal(d.plans[0]?.legUuid, 'member');
  t.same(d.plans[0]?.reasons.map((r) => r.text), ['agent 1001@default (agents.1001) inbound×internal on']);
  t.equal(d.plans[0]?.options.format, 'mp3', 'agent options apply');
  t.equal(decideRecording(c, bridged(memberLeg(), agentLeg({ ccAgent: '1002@default' })), noToggles).record, false, 'another agent: not recorded');
});

t.test('queue and agent both on: still one recording, both reasons; an agent off vetoes nothing', async (t) => {
  const both = cfg((a) => {
    queue(a, 'support', 'on', { format: 'ogg' });
    agent(a, '1001@default', 'on', { format: 'mp3' });
  });
  const d = decideRecording(both, bridged(), noToggles);
  t.equal(d.plans.length, 1);
  t.same(d.plans[0]?.reasons.map((r) => r.source), ['queue', 'agent']);
  t.equal(d.plans[0]?.options.format, 'mp3', 'agent options over queue options');
  const agentOff = cfg((a) => {
    queue(a, 'support', 'on');
    agent(a, '1001', 'off');
  });
  t.equal(decideRecording(agentOff, bridged(), noToggles).record, true);
});

t.test("the agent's own call (cc_side=agent) is never recorded on its own", async (t) => {
  const c = cfg((a) => {
    a.recordAccount = all('on');
    queue(a, 'support', 'on');
    agent(a, '1001', 'on');
  });
  // At the agent's CHANNEL_ANSWER, before the bridge: the agent's leg is the a-leg of its own call. Give it
  // the account's domain (capture 13's agent leg has none) so the account rule would apply to it.
  const own = call(agentLeg({ domain: 'acme.example' }));
  const d = decideRecording(c, own, noToggles);
  t.equal(d.record, false, 'even though the account, queue and agent all say on');
  t.same(d.plans, []);
  t.same(d.notes, ["agent leg of a queue call: recorded on the member's leg"]);
  const noDomain = decideRecording(c, call(agentLeg()), noToggles);
  t.equal(noDomain.record, false);
  t.match(noDomain.notes, [/no account for domain ""/, "agent leg of a queue call: recorded on the member's leg"]);
  t.equal(d.queue, 'support@default');
  t.equal(d.agent, '1001@default');
  c.recording.perEndpointFiles = true;
  t.equal(decideRecording(c, own, noToggles).record, false, "per_endpoint_files: the agent's file is planned from the member's call");
});

t.test("per_endpoint_files: the agent endpoint's file comes from the member's call", async (t) => {
  const c = cfg((a, cc) => {
    cc.recording.perEndpointFiles = true;
    a.devices.set('7710', { id: '7710', record: all('on'), options: {} });
    queue(a, 'support', 'on');
  });
  const d = decideRecording(c, bridged(memberLeg(), agentLeg({ device: '7710' })), noToggles);
  t.same(d.plans.map((p) => p.legUuid).sort(), ['agent', 'member']);
  t.same(d.plans.find((p) => p.legUuid === 'member')?.reasons.map((r) => r.source), ['queue']);
  t.same(d.plans.find((p) => p.legUuid === 'agent')?.reasons.map((r) => r.text), ['device 7710 inbound×internal on']);
});

t.test('when the queue starts the file: bridge by default, its own `start`, or the account at answer', async (t) => {
  const before = call(memberLeg());
  const qOnly = cfg((a) => queue(a, 'support', 'on'));
  const waiting = decideRecording(qOnly, before, noToggles);
  t.equal(waiting.record, true, 'a member waiting in the queue (after a resync) is decided the same way');
  t.equal(waiting.plans[0]?.options.startOn, 'bridge', 'so the recorder waits for the bridge to the agent');
  t.equal(waiting.agent, undefined, 'no agent yet');
  const ownStart = cfg((a) => queue(a, 'support', 'on', { startOn: 'answer' }));
  t.equal(decideRecording(ownStart, bridged(), noToggles).plans[0]?.options.startOn, 'answer');
  const accountToo = cfg((a) => {
    a.recordAccount = all('on');
    queue(a, 'support', 'on');
  });
  const d = decideRecording(accountToo, bridged(), noToggles);
  t.equal(d.plans[0]?.options.startOn, 'answer', 'the account records the whole call, from answer');
  t.same(d.plans[0]?.reasons.map((r) => r.source), ['account', 'queue']);
});

t.test('a call that is not a queue call has no queue or agent', async (t) => {
  const c = cfg((a) => queue(a, 'support', 'on'));
  const plain = call(leg({ uuid: 'a', callerNumber: '1000', destinationNumber: '1001', device: '1000' }));
  const d = decideRecording(c, plain, noToggles);
  t.equal(d.record, false);
  t.notOk('queue' in d);
  t.notOk('agent' in d);
});
