/**
 * The registry and the decision over capture 13 (a real mod_callcenter queue call, README in
 * test/fixtures/freeswitch-esl): member 1000 answered by the dialplan, then `callcenter support@default`;
 * mod_callcenter originates a NEW call to callback agent 1001@default and bridges it to the member.
 */
import t from 'tap';
import { Bus } from '../../src/bus';
import { CallRegistry } from '../../src/calls/registry';
import type { Call, Leg } from '../../src/calls/types';
import { loadConfigFromString } from '../../src/config/load';
import type { FsrecdConfig } from '../../src/config/types';
import { ESL_EVENTS } from '../../src/daemon';
import type { EslEvent } from '../../src/esl/types';
import { decideRecording } from '../../src/policy/decide';
import type { Decision } from '../../src/policy/types';
import { fixture } from '../helpers/fixtures';
import { eventsOf, parseAll } from '../helpers/frames';

const MEMBER = '0afc2d87-ae06-42af-aefb-ae52b06816a8';
const AGENT = 'dd3c6b1d-0baa-4d94-ac7b-e4c5a5e8ceaa';
const names = { recordName: 'fsrecd_record_name', recordFormat: 'fsrecd_record_format' };
const noToggles = (): undefined => undefined;

const captured = eventsOf(parseAll([fixture('13-callcenter-queue.raw')]).frames);
/** What the daemon receives today: only the events it subscribes (src/daemon.ts ESL_EVENTS). */
const subscribed = captured.filter((ev) => (ESL_EVENTS as readonly string[]).includes(ev.name));

/** The capture's account (domain 127.0.0.1) says off; its queue, keyed bare as a user would write it, says on. */
async function config(queues: string): Promise<FsrecdConfig> {
  const r = await loadConfigFromString(`accounts:\n  "127.0.0.1":\n    record_account: off\n${queues}`, 'queue.yml', {});
  if (!r.ok) throw new Error(r.errors.map(String).join('\n'));
  return r.config;
}

interface Seen {
  at: string;
  call: string;
  legs: string[];
  decision: Decision;
  member?: Leg;
  agent?: Leg;
}

/** Feeds the events; at each answer and bridge (where the recorder decides) copies the picture and decides. */
function replay(events: EslEvent[], cfg: FsrecdConfig): { reg: CallRegistry; seen: Seen[]; memberAtAgentCreate?: Leg } {
  const bus = new Bus();
  const reg = new CallRegistry(bus, names, () => 1);
  const seen: Seen[] = [];
  let memberAtAgentCreate: Leg | undefined;
  const look = (at: string, call: Call): void => {
    const member = call.legs.get(MEMBER);
    const agent = call.legs.get(AGENT);
    seen.push({
      at,
      call: call.uuid,
      legs: [...call.legs.keys()],
      decision: decideRecording(cfg, call, noToggles),
      member: member && { ...member },
      agent: agent && { ...agent },
    });
  };
  bus.on('legCreated', (leg) => {
    const member = reg.leg(MEMBER);
    if (leg.uuid === AGENT && member) memberAtAgentCreate = { ...member };
  });
  bus.on('legAnswered', (leg, call) => look(`answer ${leg.uuid === MEMBER ? 'member' : 'agent'}`, call));
  bus.on('callBridged', (call) => look('bridge', call));
  for (const ev of events) reg.apply(ev);
  return { reg, seen, memberAtAgentCreate };
}

t.test('capture 13 holds what the notes say', async (t) => {
  t.equal(captured.filter((ev) => ev.name === 'CHANNEL_BRIDGE').length, 1, 'one CHANNEL_BRIDGE: the member to the agent');
  t.same(
    captured.filter((ev) => ev.name === 'CUSTOM').map((ev) => ev.get('CC-Action')),
    ['member-queue-start', 'members-count', 'agent-state-change', 'agent-offering', 'bridge-agent-start', 'members-count', 'agent-state-change', 'bridge-agent-end', 'member-queue-end', 'agent-state-change'],
  );
  t.ok(subscribed.length > 0 && subscribed.length < captured.length);
});

for (const [feed, events] of [
  ['the subscribed events', subscribed],
  ['every captured event', captured],
] as const) {
  t.test(`${feed}: the queue call is one recording on the member leg, decided at the bridge`, async (t) => {
    const cfg = await config('    queues:\n      support: {record: on}\n');
    const { reg, seen } = replay([...events], cfg);
    t.same(
      seen.map((s) => `${s.at} ${s.call === MEMBER ? 'member call' : 'agent call'} record=${s.decision.record}`),
      ['answer member member call record=false', 'answer agent agent call record=false', 'bridge member call record=true'],
    );
    const [atMemberAnswer, atAgentAnswer, atBridge] = seen;
    t.equal(atMemberAnswer?.decision.queue, undefined, 'answered before it joined the queue: no queue yet (the account says off)');
    t.same(atAgentAnswer?.decision.notes, ['no account for domain ""; default account applies', "agent leg of a queue call: recorded on the member's leg"]);
    t.equal(atAgentAnswer?.agent?.ccSide, 'agent');
    t.equal(atAgentAnswer?.agent?.ccMemberSessionUuid, MEMBER);

    t.same(atBridge?.legs, [MEMBER, AGENT], "the agent's leg is adopted into the member's call at the bridge");
    t.equal(atBridge?.member?.ccQueue, 'support@default', 'queue@domain, URL-decoded');
    t.equal(atBridge?.member?.ccSide, 'member');
    t.equal(atBridge?.member?.ccAgentUuid, AGENT);
    t.equal(atBridge?.agent?.ccAgent, '1001@default');
    const d = atBridge?.decision;
    t.equal(d?.plans.length, 1, 'one recording');
    t.equal(d?.plans[0]?.legUuid, MEMBER, "on the member's leg");
    t.same(d?.plans[0]?.reasons.map((r) => r.text), ['queue support@default (queues.support) inbound×internal on']);
    t.equal(d?.queue, 'support@default');
    t.equal(d?.agent, '1001@default');
    t.equal(reg.call(AGENT), undefined, "the agent's own call is gone once its leg joined the member's");
    t.equal(reg.legCount, 0, 'every leg left at its hangup');
    t.equal(reg.callCount, 0, 'bridge-agent-end after the hangup revives nothing');
  });
}

t.test('the exact key wins over the bare one for support@default', async (t) => {
  const cfg = await config('    queues:\n      support: {record: on}\n      support@default: {record: off}\n');
  const bridge = replay([...subscribed], cfg).seen.find((s) => s.at === 'bridge');
  t.equal(bridge?.decision.record, false);
  t.same(bridge?.decision.considered.map((r) => r.text), ['account 127.0.0.1 inbound×internal off', 'queue support@default inbound×internal off']);
});

t.test('an agent rule keyed bare records the call the agent takes', async (t) => {
  const cfg = await config('    agents:\n      "1001": {record: on}\n');
  const bridge = replay([...subscribed], cfg).seen.find((s) => s.at === 'bridge');
  t.equal(bridge?.decision.record, true);
  t.same(bridge?.decision.plans.map((p) => [p.legUuid, p.reasons.map((r) => r.text)]), [[MEMBER, ['agent 1001@default (agents.1001) inbound×internal on']]]);
});

t.test('refreshed from every event: the queue at member-queue-start, the agent at CALL_UPDATE', async (t) => {
  const cfg = await config('');
  const today = replay([...subscribed], cfg);
  t.equal(today.memberAtAgentCreate?.ccQueue, undefined, 'without callcenter::info the queue is first seen at the bridge');
  const all = replay([...captured], cfg);
  t.equal(all.memberAtAgentCreate?.ccQueue, 'support@default', 'with callcenter::info it is known from member-queue-start');
  t.equal(all.memberAtAgentCreate?.ccSide, 'member');
  // CALL_UPDATE after the bridge brings cc_agent to the member's leg; look just before its hangup.
  const bus = new Bus();
  const reg = new CallRegistry(bus, names, () => 1);
  let memberAgentAtHangup: string | undefined;
  for (const ev of captured) {
    if (ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.get('Unique-ID') === MEMBER) memberAgentAtHangup = reg.leg(MEMBER)?.ccAgent;
    reg.apply(ev);
  }
  t.equal(memberAgentAtHangup, '1001@default');
});
