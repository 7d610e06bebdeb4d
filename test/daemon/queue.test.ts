/**
 * mod_callcenter queue calls end to end (#12 item 5): the daemon over TCP against the simulator's queue call
 * built from capture 13 (member answered by the dialplan, then queued; the agent's leg a separate call).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { Decision } from '../../src/policy/types';
import { PHONE, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const RULES = `
accounts:
  acme.example:
    tenant_uuid: acme
    record_account: off
    devices:
      "1000": {record: off}
    queues:
      support: {record: on}
      support@night: {record: off}
`;

const AGENT_CONTACT = { number: '7710', domain: '127.0.0.1:5090' };

interface StoredMeta {
  callUuid: string;
  legUuid: string;
  reasons: string[];
  queue?: string;
  agent?: string;
}

/** Every decision the recorder made, with the call it was about and the trigger. */
function decisions(s: Stack): Array<{ call: string; trigger: string; decision: Decision }> {
  const out: Array<{ call: string; trigger: string; decision: Decision }> = [];
  s.app.daemon.bus.on('decided', (call, decision, trigger) => out.push({ call: call.uuid, trigger, decision }));
  return out;
}

t.test('a queue on records the member–agent conversation once, on the member leg, queue and agent in the metadata', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const seen = decisions(s);
  const q = await s.sim.queueCall({ member: PHONE('1000'), to: '7720', queue: 'support@default', agent: '1001@default', agentContact: AGENT_CONTACT });
  const agentUuid = q.agentUuid ?? '';
  t.not(agentUuid, '', 'an agent took the call');
  await waitFor(() => s.sim.recordingsOf(q.memberUuid).length === 1, "recording on the member's leg");
  await q.hangup('member');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');

  t.same(s.sim.recordingsOf(agentUuid), [], "nothing on the agent's leg");
  const starts = s.sim.commands.filter((c) => c.startsWith('uuid_record') && c.includes(' start '));
  t.equal(starts.length, 1, 'one uuid_record for the queue call');
  t.match(starts[0], new RegExp(`^uuid_record ${q.memberUuid} start \\S+\\.wav 0 \\{RECORD_STEREO=true,RECORD_BRIDGE_REQ=true\\}$`), 'the conversation from the bridge to the agent');
  const byCall = (uuid: string, trigger: string): Decision | undefined => seen.find((d) => d.call === uuid && d.trigger === trigger)?.decision;
  t.equal(byCall(q.memberUuid, 'answer')?.record, false, "at the member's answer nothing says on: the account and its device say off, no queue yet");
  t.equal(byCall(agentUuid, 'answer')?.record, false, "the agent's own call is not recorded");
  t.ok(byCall(agentUuid, 'answer')?.notes.includes("agent leg of a queue call: recorded on the member's leg"), 'and the log says why');
  t.equal(byCall(q.memberUuid, 'bridge')?.record, true, 'decided at the bridge to the agent');

  const stored = s.files('stored').filter((f) => f.endsWith('.wav'));
  t.equal(stored.length, 1, 'one file per queue call');
  t.equal(readFileSync(stored[0] as string).subarray(0, 4).toString(), 'RIFF');
  const meta = JSON.parse(readFileSync(`${stored[0]}.json`, 'utf8')) as StoredMeta;
  t.equal(meta.callUuid, q.memberUuid);
  t.equal(meta.legUuid, q.memberUuid);
  t.same(meta.reasons, ['queue support@default (queues.support) inbound×internal on']);
  t.equal(meta.queue, 'support@default', 'the queue in the stored metadata');
  t.equal(meta.agent, '1001@default', 'the agent in the stored metadata');
});

t.test('a member waiting in the queue is not recorded until an agent is bridged', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const seen = decisions(s);
  const q = await s.sim.queueCall({ member: PHONE('1000'), queue: 'support@default', agent: '1001@default', agentContact: AGENT_CONTACT, holdInQueue: true });
  await waitFor(() => seen.some((d) => d.call === q.memberUuid && d.trigger === 'answer'), "the member's answer decided");
  t.same(s.sim.recordingsOf(q.memberUuid), [], 'nothing while it waits');
  await q.connectAgent();
  await waitFor(() => s.sim.recordingsOf(q.memberUuid).length === 1, 'recording once bridged');
  await q.hangup('agent');
  await q.hangup('member');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.equal(s.files('stored').filter((f) => f.endsWith('.wav')).length, 1);
});

t.test('an exact key beats the bare one: support@night says off, support@default falls back to `support: on`', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const seen = decisions(s);
  const night = await s.sim.queueCall({ member: PHONE('1000'), queue: 'support@night', agent: '1001@night', agentContact: AGENT_CONTACT });
  await waitFor(() => seen.some((d) => d.call === night.memberUuid && d.trigger === 'bridge'), 'night call decided at the bridge');
  const nightDecision = seen.find((d) => d.call === night.memberUuid && d.trigger === 'bridge')?.decision;
  t.equal(nightDecision?.record, false);
  t.match(nightDecision?.considered.map((r) => r.text), ['account acme.example inbound×internal off', 'device 1000 outbound×internal off', 'queue support@night inbound×internal off']);
  await night.hangup();
  const day = await s.sim.queueCall({ member: PHONE('1000'), queue: 'support@default', agent: '1001@default', agentContact: AGENT_CONTACT });
  await waitFor(() => s.sim.recordingsOf(day.memberUuid).length === 1, 'day call recorded');
  await day.hangup();
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  t.same(s.sim.recordingsOf(night.memberUuid), [], 'the night call was never recorded');
  t.equal(s.files('stored').filter((f) => f.endsWith('.wav')).length, 1);
});
