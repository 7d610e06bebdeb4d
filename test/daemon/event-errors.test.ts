/** A failing event handler costs that event for that handler, never the process: counted and logged once. */
import t from 'tap';
import { PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

t.test('a handler that throws and one that rejects: counted per event, the call is still recorded', async (t) => {
  const s = await startStack(t, 'accounts: {acme.example: {record_account: {inbound: {internal: on}, outbound: {internal: on}}}}');
  await waitFor(() => s.app.esl.connected, 'connected');
  s.app.daemon.bus.on('legAnswered', () => {
    throw new Error('boom in a sync handler');
  });
  s.app.daemon.bus.on('recordStop', async () => {
    throw new Error('boom in an async handler');
  });
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording started despite the failing handler');
  await call.hangup('a');
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
  const metrics = s.app.metrics.render();
  t.match(metrics, /fsrecd_event_errors_total\{event="legAnswered"\} [1-9]/, 'sync failures counted');
  t.match(metrics, /fsrecd_event_errors_total\{event="recordStop"\} 1/, 'async failures counted');
  t.equal(unhandled, 0, 'no unhandled rejection');
});
