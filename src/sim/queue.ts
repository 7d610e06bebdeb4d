/**
 * A mod_callcenter queue call, as capture 13 shows it (phone 1000 calls 7720: `answer`, then
 * `callcenter support@default`; callback agent 1001@default whose contact is another phone):
 *
 *  member  CHANNEL_CREATE, CHANNEL_EXECUTE hash ×3, export, answer, CHANNEL_ANSWER (no cc_* variable yet),
 *          CHANNEL_EXECUTE callcenter <queue>
 *  member  CUSTOM callcenter::info member-queue-start (now cc_queue, cc_side=member, cc_member_uuid,
 *          cc_queue_joined_epoch are on the leg)
 *  -       members-count (CC-Count 1), agent-state-change (Receiving), agent-offering
 *  agent   CHANNEL_CREATE, CHANNEL_ANSWER: a NEW call (own Channel-Call-UUID, outbound) made by mod_callcenter
 *          (outbound_agent_thread_run), with cc_queue, cc_agent, cc_agent_type, cc_side=agent,
 *          cc_member_uuid, cc_member_session_uuid (the member leg's uuid), cc_member_pre_answer_uuid
 *  agent   bridge-agent-start; - members-count (CC-Count 0)
 *  member  CHANNEL_EXECUTE uuid_bridge (cc_agent_uuid, cc_cause=answered now set); agent the same
 *  member  CHANNEL_BRIDGE; - agent-state-change (In a queue call)
 *  agent, member CALL_UPDATE (cc_agent_bridged=true; the member gets cc_agent and cc_queue_answered_epoch only
 *          now; the agent's Channel-Call-UUID becomes the member's)
 *  hangup  the member's and agent's hangup events, then agent bridge-agent-end, member member-queue-end,
 *          - agent-state-change (Waiting).
 *
 * CUSTOM events go only to connections subscribed with `event plain CUSTOM callcenter::info` (or ALL):
 * mod_event_socket.c matches a CUSTOM event's Event-Subclass against the names given after CUSTOM.
 */
import { randomUUID } from 'node:crypto';
import type { SimChannel, SimEndpoint } from './channel';
import { CAPTURED_EVENTS } from './captured-events';
import { fillPlaceholders } from './event-builder';
import type { FlowHost } from './flow-host';

export interface QueueCallSpec {
  /** The caller (the queue member). */
  member: SimEndpoint;
  /** The number the member dialled (capture 13: 7720). */
  to?: string;
  /** The queue's full name as mod_callcenter reports it: queue@domain (`support@default`). */
  queue: string;
  /** The agent's name (`1001@default`). */
  agent: string;
  /** The agent's callback contact: the phone mod_callcenter calls. */
  agentContact: SimEndpoint;
  /** Stop once the member is in the queue (member-queue-start); connectAgent() goes on. */
  holdInQueue?: boolean;
}

export interface SimQueueCall {
  readonly memberUuid: string;
  /** The agent's leg, once offered (undefined while the member waits). */
  readonly agentUuid: string | undefined;
  /** mod_callcenter offers the call to the agent, who answers and is bridged; resolves to the agent leg's uuid. */
  connectAgent(): Promise<string>;
  /** The member (default) or the agent hangs up; mod_callcenter's closing events follow. */
  hangup(side?: 'member' | 'agent', cause?: string): Promise<void>;
}

const epoch = (us: number): string => String(Math.floor(us / 1_000_000));

class QueueCall implements SimQueueCall {
  readonly #host: FlowHost;
  readonly #spec: QueueCallSpec;
  readonly #member: SimChannel;
  #agent: SimChannel | undefined;
  readonly #memberId = randomUUID();
  readonly #counts = new Map<string, number>();
  #connected: Promise<string> | undefined;
  #joinedUs = 0;
  #answeredUs = 0;
  #calledUs = 0;

  constructor(host: FlowHost, spec: QueueCallSpec) {
    this.#host = host;
    this.#spec = spec;
    this.#member = host.makeLeg(spec.member, 'a', { from: spec.member, to: spec.to ?? '7720' });
    this.#member.flow = { name: 'queue', role: 'a', peers: { member: this.#memberId } };
  }

  get memberUuid(): string {
    return this.#member.uuid;
  }

  get agentUuid(): string | undefined {
    return this.#agent?.uuid;
  }

  /** CC-* headers of this call, by name; each event keeps only the ones its captured template has. */
  #cc(): Record<string, string> {
    const m = this.#member;
    const a = this.#agent;
    const out: Record<string, string> = {
      'CC-Queue': this.#spec.queue,
      'CC-Agent': this.#spec.agent,
      'CC-Member-UUID': this.#memberId,
      'CC-Member-Session-UUID': m.uuid,
      'CC-Member-CID-Name': m.callerName,
      'CC-Member-CID-Number': m.callerNumber,
      'CC-Member-Joined-Time': epoch(this.#joinedUs),
      'CC-Agent-Type': 'callback',
      'CC-Agent-System': 'single_box',
    };
    if (a) {
      out['CC-Agent-UUID'] = a.uuid;
      out['CC-Agent-Called-Time'] = epoch(this.#calledUs);
      out['CC-Agent-Answered-Time'] = epoch(this.#answeredUs);
    }
    return out;
  }

  /** A callcenter::info event about a leg: the captured one's headers, this call's values. */
  async #legEvent(ch: SimChannel, action: string, own: Record<string, string> = {}): Promise<void> {
    const tplName = `CUSTOM:${action}`;
    const key = `${ch.flow?.name}.${ch.flow?.role}.${tplName}`;
    const n = this.#counts.get(key) ?? 0;
    this.#counts.set(key, n + 1);
    await this.#host.emitChannelEvent('CUSTOM', ch, { ...this.#known(tplName, ch.flow?.role ?? 'a', n), ...own }, tplName);
  }

  /** The CC-* values of a captured event that this call has (the template decides which headers exist). */
  #known(tplName: string, role: string, n: number): Record<string, string> {
    const tpl = CAPTURED_EVENTS[`flow:queue.${role}.${tplName}.${n}`] ?? CAPTURED_EVENTS[`flow:queue.${role}.${tplName}.0`] ?? [];
    const cc = this.#cc();
    const out: Record<string, string> = {};
    for (const [k] of tpl) if (cc[k] !== undefined) out[k] = cc[k];
    return out;
  }

  /** A callcenter::info event about the queue or the agent alone (no channel data). */
  async #queueEvent(action: string, own: Record<string, string>): Promise<void> {
    const key = `q.CUSTOM:${action}`;
    const n = this.#counts.get(key) ?? 0;
    this.#counts.set(key, n + 1);
    const tpl = CAPTURED_EVENTS[`flow:queue.q.CUSTOM:${action}.${n}`] ?? CAPTURED_EVENTS[`flow:queue.q.CUSTOM:${action}.0`];
    if (!tpl) throw new Error(`no captured callcenter::info ${action}`);
    const values: Record<string, string> = { ...this.#known(`CUSTOM:${action}`, 'q', n), ...own };
    const placeholders = { member: this.#memberId, 'leg:a': this.#member.uuid, 'leg:b': this.#agent?.uuid ?? '' };
    await this.#host.sendEvent('CUSTOM', tpl.map(([k, v]) => [k, values[k] ?? fillPlaceholders(v, placeholders)]));
  }

  async join(): Promise<void> {
    const host = this.#host;
    const m = this.#member;
    await host.addLeg(m);
    await host.dialplanApps(m, [
      ['hash', `insert/${m.domain}-spymap/${m.callerNumber}/${m.uuid}`],
      ['hash', `insert/${m.domain}-last_dial/${m.callerNumber}/${m.destination}`],
      ['hash', `insert/${m.domain}-last_dial/global/${m.uuid}`],
      ['export', `RFC2822_DATE=${new Date(Math.floor(host.clockUs() / 1000)).toUTCString().replace('GMT', '+0000')}`],
      ['answer', ''],
    ]);
    await host.answerLeg(m);
    await host.dialplanApps(m, [['callcenter', this.#spec.queue]]);
    this.#joinedUs = host.clockUs();
    m.vars.set('cc_side', 'member');
    m.vars.set('cc_member_uuid', this.#memberId);
    m.vars.set('cc_queue_joined_epoch', epoch(this.#joinedUs));
    m.vars.set('cc_queue', this.#spec.queue);
    await this.#legEvent(m, 'member-queue-start');
    await this.#queueEvent('members-count', { 'CC-Count': '1', 'CC-Selection': 'Single-Queue' });
  }

  connectAgent(): Promise<string> {
    this.#connected ??= this.#connect();
    return this.#connected;
  }

  async #connect(): Promise<string> {
    const host = this.#host;
    const m = this.#member;
    await this.#queueEvent('agent-state-change', { 'CC-Agent-State': 'Receiving' });
    await this.#queueEvent('agent-offering', {});
    this.#calledUs = host.clockUs();
    const agent = host.makeLeg(this.#spec.agentContact, 'b', { from: { number: m.callerNumber, name: m.callerName }, to: this.#spec.agentContact.number });
    this.#agent = agent;
    // mod_callcenter originates the agent with the member's variables: capture 13's agent leg has them all.
    agent.hiddenVars.clear();
    agent.flow = { name: 'queue', role: 'b', peers: { member: this.#memberId, 'leg:a': m.uuid } };
    m.flow = { name: 'queue', role: 'a', peers: { member: this.#memberId, 'leg:b': agent.uuid } };
    for (const [k, v] of [
      ['cc_queue', this.#spec.queue],
      ['cc_queue_joined_epoch', epoch(this.#joinedUs)],
      ['cc_member_uuid', this.#memberId],
      ['cc_member_session_uuid', m.uuid],
      ['cc_member_pre_answer_uuid', this.#memberId],
      ['cc_agent', this.#spec.agent],
      ['cc_agent_type', 'callback'],
      ['cc_side', 'agent'],
    ] as const) agent.vars.set(k, v);
    await host.addLeg(agent);
    await host.answerLeg(agent);
    this.#answeredUs = host.clockUs();
    await this.#legEvent(agent, 'bridge-agent-start');
    await this.#queueEvent('members-count', { 'CC-Count': '0', 'CC-Selection': 'Single-Queue' });
    m.vars.set('cc_agent_uuid', agent.uuid);
    m.vars.set('cc_cause', 'answered');
    // uuid_bridge_on_soft_execute already names the partner: its CHANNEL_EXECUTE carries Other-Leg-*.
    m.other = agent;
    m.otherUuid = agent.uuid;
    agent.other = m;
    agent.otherUuid = m.uuid;
    await host.dialplanApps(m, [['uuid_bridge', agent.uuid]]);
    await host.dialplanApps(agent, [['uuid_bridge', m.uuid]]);
    await host.bridgeLegs(m, agent, {
      afterBridge: async () => {
        await this.#queueEvent('agent-state-change', { 'CC-Agent-State': 'In a queue call' });
        agent.vars.set('cc_agent_bridged', 'true');
        agent.callUuid = m.uuid;
        agent.vars.set('call_uuid', m.uuid);
        m.vars.set('cc_agent_bridged', 'true');
        m.vars.set('cc_agent', this.#spec.agent);
        m.vars.set('cc_queue_answered_epoch', epoch(host.clockUs()));
      },
    });
    return agent.uuid;
  }

  async hangup(side: 'member' | 'agent' = 'member', cause = 'NORMAL_CLEARING'): Promise<void> {
    const host = this.#host;
    const m = this.#member;
    const agent = this.#agent;
    const first = side === 'agent' && agent ? agent : m;
    if (first.state === 'hangup') return;
    await host.hangupCall(first, cause);
    const endedUs = host.clockUs();
    if (!agent) {
      // Left the queue before any agent took it (mod_callcenter: member-queue-end, cause Cancel).
      await this.#legEvent(m, 'member-queue-end', { 'CC-Cause': 'Cancel', 'CC-Member-Leaving-Time': epoch(endedUs) });
      return;
    }
    m.vars.set('cc_queue_terminated_epoch', epoch(endedUs));
    await this.#legEvent(agent, 'bridge-agent-end', { 'CC-Bridge-Terminated-Time': epoch(endedUs), 'CC-Agent-Bridged': 'true', 'CC-Hangup-Cause': 'SUCCESS' });
    await this.#legEvent(m, 'member-queue-end', { 'CC-Member-Leaving-Time': epoch(endedUs), 'CC-Cause': 'Terminated', 'CC-Hangup-Cause': 'SUCCESS' });
    await this.#queueEvent('agent-state-change', { 'CC-Agent-State': 'Waiting' });
  }
}

/** Capture 13's queue call; see the file comment. */
export async function queueCall(host: FlowHost, spec: QueueCallSpec): Promise<SimQueueCall> {
  const call = new QueueCall(host, spec);
  await call.join();
  if (!spec.holdInQueue) await call.connectAgent();
  return call;
}
