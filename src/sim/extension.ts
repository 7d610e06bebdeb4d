/**
 * What a leg does at the extension it is transferred or originated to (FreeswitchSimulator.dialplan):
 * 'echo' = the vanilla 7700 of captures 10 and 12 (CHANNEL_EXECUTE answer, echo), 'park' (CHANNEL_EXECUTE park,
 * CHANNEL_PARK), or a phone: CHANNEL_EXECUTE bridge, the new outbound leg's CREATE and ANSWER, the bridge.
 */
import type { SimChannel, SimEndpoint } from './channel';
import type { FlowHost } from './flow-host';

/** What the transferred (or originated) leg does at its new extension (FlowHost.dialplan). */
export async function runExtension(host: FlowHost, ch: SimChannel, dest: string): Promise<void> {
  const target = host.dialplan.get(dest) ?? 'echo';
  if (target === 'park') {
    await host.dialplanApps(ch, [['park', '']]);
    await host.emitChannelEvent('CHANNEL_PARK', ch);
    return;
  }
  if (target === 'echo') {
    await host.dialplanApps(ch, [['answer', '']]);
    await host.answerLeg(ch);
    await host.dialplanApps(ch, [['echo', '']]);
    return;
  }
  await bridgeToPhone(host, ch, target);
}

async function bridgeToPhone(host: FlowHost, ch: SimChannel, ep: SimEndpoint): Promise<void> {
  await host.dialplanApps(ch, [['bridge', `sofia/internal/${ep.number}@${ep.domain ?? ch.domain}`]]);
  const spec = { from: { number: ch.callerNumber, name: ch.callerName }, to: ep.number };
  const b = host.makeLeg(ep, 'b', spec, ch.uuid);
  b.other = ch;
  b.otherUuid = ch.uuid;
  await host.addLeg(b);
  await host.answerLeg(b);
  await host.answerLeg(ch);
  await host.bridgeLegs(ch, b);
}

