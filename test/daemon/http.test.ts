import t from 'tap';
import { ADMIN_TOKEN, bearer, PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

t.test('/metrics and /healthz on the loopback listener', async (t) => {
  const s = await startStack(t, 'default_account: {record_account: on}\n');
  await waitFor(() => s.app.esl.connected, 'connected');
  const addr = s.app.httpAddress();
  t.equal(addr?.host, '127.0.0.1');
  const base = `http://127.0.0.1:${addr?.port}`;
  const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
  await call.answer();
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'recording');
  await call.hangup();
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');

  await waitFor(() => s.app.daemon.registry.callCount === 0, 'hangups processed');
  t.equal((await fetch(`${base}/metrics`)).status, 401, 'metrics need a credential');
  const metrics = await (await fetch(`${base}/metrics`, bearer(ADMIN_TOKEN))).text();
  t.match(metrics, /^# TYPE fsrecd_esl_events_total counter$/m);
  t.match(metrics, /^fsrecd_recordings_started_total\{kind="rule"\} 1$/m);
  t.match(metrics, /^fsrecd_uploads_total\{result="ok"\} 1$/m);
  t.match(metrics, /^fsrecd_esl_connected 1$/m);
  t.match(metrics, /^fsrecd_calls_live 0$/m, 'the call is over');
  t.match(metrics, /^fsrecd_recordings_active 0$/m);
  t.match(metrics, /^fsrecd_esl_events_total [1-9]\d*$/m);
  t.match(metrics, /^fsrecd_disk_free_bytes [1-9]\d*$/m);

  const ok = await fetch(`${base}/healthz`);
  t.equal(ok.status, 200);
  t.match(await ok.json(), { ok: true, eslConnected: true, backlogFiles: 0 });

  await s.sim.stop();
  await waitFor(() => !s.app.esl.connected, 'disconnected');
  const down = await fetch(`${base}/healthz`);
  t.equal(down.status, 503);
  t.match(await down.json(), { ok: false, reasons: ['FreeSWITCH event socket not connected'] });
  t.equal((await fetch(`${base}/nope`)).status, 401, 'unknown paths are refused before they are looked up');
  t.equal((await fetch(`${base}/nope`, bearer(ADMIN_TOKEN))).status, 404);
});
