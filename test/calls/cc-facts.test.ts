/** mod_callcenter's variables on a leg: validated at the edge, refreshed by later events. */
import t from 'tap';
import { recordEvent } from '../../src/calls/record-event';
import { CC_NAME_MAX, legFromEvent, refreshLeg, validCcName } from '../../src/calls/leg-from-event';
import type { EslEvent } from '../../src/esl/types';

const names = { recordName: 'fsrecd_record_name', recordFormat: 'fsrecd_record_format' };
const MEMBER = '0afc2d87-ae06-42af-aefb-ae52b06816a8';
const AGENT = 'dd3c6b1d-0baa-4d94-ac7b-e4c5a5e8ceaa';

function ev(headers: Record<string, string>): EslEvent {
  const e = recordEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': MEMBER, ...headers }));
  if (!e) throw new Error('bad event');
  return e;
}

t.test('cc facts read from an event', async (t) => {
  const leg = legFromEvent(
    ev({
      variable_cc_queue: 'support@default',
      variable_cc_agent: '1001@default',
      variable_cc_side: 'member',
      variable_cc_agent_uuid: AGENT,
      variable_cc_member_session_uuid: MEMBER,
    }),
    names,
    1,
  );
  t.equal(leg?.ccQueue, 'support@default');
  t.equal(leg?.ccAgent, '1001@default');
  t.equal(leg?.ccSide, 'member');
  t.equal(leg?.ccAgentUuid, AGENT);
  t.equal(leg?.ccMemberSessionUuid, MEMBER);
});

t.test('malformed cc values are dropped, the rest of the leg is kept', async (t) => {
  const leg = legFromEvent(
    ev({
      'Caller-Caller-ID-Number': '1000',
      variable_cc_queue: 'support\r\napi uuid_kill all',
      variable_cc_agent: 'x'.repeat(CC_NAME_MAX + 1),
      variable_cc_side: 'supervisor',
      variable_cc_agent_uuid: 'not a uuid; rm -rf',
      variable_cc_member_session_uuid: '',
    }),
    names,
    1,
  );
  t.equal(leg?.callerNumber, '1000');
  t.equal(leg?.ccQueue, undefined, 'control characters');
  t.equal(leg?.ccAgent, undefined, 'too long');
  t.equal(leg?.ccSide, undefined, 'only member or agent');
  t.equal(leg?.ccAgentUuid, undefined, 'not a channel uuid');
  t.equal(leg?.ccMemberSessionUuid, undefined);
  t.equal(validCcName('x'.repeat(CC_NAME_MAX)), 'x'.repeat(CC_NAME_MAX));
  t.equal(validCcName(''), undefined);
  t.equal(validCcName('tab\there'), undefined);
  t.equal(validCcName('support@défaut'), 'support@défaut', 'any printable text');
});

t.test('refresh: the latest event wins, an event without the variables (or with bad ones) keeps them', async (t) => {
  const leg = legFromEvent(ev({}), names, 1);
  if (!leg) throw new Error('no leg');
  t.equal(leg.ccQueue, undefined, 'answered before it joined the queue');
  refreshLeg(leg, ev({ variable_cc_queue: 'support@default', variable_cc_side: 'member' }), names);
  t.equal(leg.ccQueue, 'support@default', 'member-queue-start');
  refreshLeg(leg, ev({ variable_cc_agent_uuid: AGENT }), names);
  t.equal(leg.ccQueue, 'support@default', 'kept when absent');
  t.equal(leg.ccAgentUuid, AGENT);
  refreshLeg(leg, ev({ variable_cc_agent: '1001@default' }), names);
  t.equal(leg.ccAgent, '1001@default', 'CALL_UPDATE after the bridge');
  refreshLeg(leg, ev({ variable_cc_queue: 'sales@default' }), names);
  t.equal(leg.ccQueue, 'sales@default', 'moved to another queue: the new name');
  refreshLeg(leg, ev({ variable_cc_queue: 'bad\u0000name', variable_cc_side: 'nobody' }), names);
  t.equal(leg.ccQueue, 'sales@default', 'a malformed value does not erase a good one');
  t.equal(leg.ccSide, 'member');
});
