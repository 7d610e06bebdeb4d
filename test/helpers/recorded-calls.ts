/** A running stack with four stored recordings: two tenants, internal and carrier calls, a hostile caller ID. */
import { PHONE, startStack, type Stack } from './stack';
import { waitFor } from './wait-for';

const RULES = `
accounts:
  acme.example:
    record_account: {inbound: on, outbound: on}
  other.example:
    record_account: {inbound: on, outbound: on}
`;

export async function callsRecorded(t: { teardown(fn: () => unknown): void }, extraCallers: string[] = []): Promise<{ s: Stack; base: string }> {
  // The simulator's clock jumps 4 s before the hangups, so each recording holds 4 s of audio to seek in.
  let skewUs = 0;
  const s = await startStack(t, RULES, { clockUs: () => Date.now() * 1000 + skewUs });
  await waitFor(() => s.app.esl.connected, 'connected');
  const calls = [
    await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') }),
    await s.sim.createCall({ from: { number: '+15551234567', context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: PHONE('1001') }),
    await s.sim.createCall({ from: { number: '../../etc/passwd', context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: PHONE('1001') }),
    await s.sim.createCall({ from: PHONE('2000', 'other.example'), to: '2001', bridgeTo: PHONE('2001', 'other.example') }),
  ];
  for (const number of extraCallers) calls.push(await s.sim.createCall({ from: { number, context: 'public' }, to: '1001', transferContext: 'default', bridgeTo: PHONE('1001') }));
  for (const c of calls) await c.answer();
  await waitFor(() => calls.every((c) => s.sim.recordingsOf(c.aUuid).length === 1), 'all recording');
  skewUs = 4_000_000;
  for (const c of calls) await c.hangup('a');
  // The index hears of a stored recording once its journal entry is durable, a moment after the spool.
  await waitFor(async () => (await s.app.index.counts()).byState.stored === calls.length, 'all stored and indexed');
  return { s, base: `http://127.0.0.1:${s.app.httpAddress()?.port}` };
}
