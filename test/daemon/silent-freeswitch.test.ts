/**
 * Issue #11 behaviour 11: a FreeSWITCH that vanishes without a TCP reset (sockets open, nothing sent) is a
 * drop once its HEARTBEATs stop for esl.heartbeat_timeout_ms: /healthz and fsrecd_esl_connected say so,
 * and the daemon reconnects when it is back.
 */
import t from 'tap';
import { ADMIN_TOKEN, bearer, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

t.test('silence past heartbeat_timeout_ms: disconnected, health 503, metric 0; back when FreeSWITCH is', async (t) => {
  const s = await startStack(t, '', { heartbeatMs: 200, heartbeatTimeoutMs: 1000 });
  await waitFor(() => s.app.esl.connected, 'connected');
  const addr = s.app.httpAddress();
  const base = `http://${addr?.host}:${addr?.port}`;
  const health = async (): Promise<{ status: number; reasons: string[] }> => {
    const res = await fetch(`${base}/healthz`);
    return { status: res.status, reasons: ((await res.json()) as { reasons: string[] }).reasons };
  };
  const metric = async (): Promise<string | undefined> => /fsrecd_esl_connected (\d)/.exec(await (await fetch(`${base}/metrics`, bearer(ADMIN_TOKEN))).text())?.[1];
  t.equal((await health()).status, 200, 'healthy while heartbeats arrive');
  s.sim.freeze();
  const frozenAt = Date.now();
  await waitFor(async () => (await health()).status === 503, 'health turns 503', 5000);
  // Heartbeats came every 200 ms until the freeze, so the 1,000 ms bound cannot run out before 800 ms after it.
  t.ok(Date.now() - frozenAt >= 800, 'not before the bound');
  t.match((await health()).reasons.join(';'), /not connected/);
  t.equal(await metric(), '0', 'fsrecd_esl_connected 0');
  t.equal(s.app.esl.connected, false);
  s.sim.thaw();
  await waitFor(async () => (await health()).status === 200, 'healthy again after FreeSWITCH is back', 8000);
  t.equal(await metric(), '1', 'fsrecd_esl_connected 1');
});
