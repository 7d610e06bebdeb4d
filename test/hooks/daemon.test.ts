/**
 * The real daemon (dist/cli.js) with hooks: a receiver that is not there yet (retried, pending in `fsrecd
 * status`, /metrics and /healthz, while recording and upload go on), then comes up (delivered); a receiver
 * that refuses (404: failed at once, then `fsrecd hooks retry` through the CLI delivers it).
 */
import t from 'tap';
import { appendFileSync } from 'node:fs';
import type { HookPayload } from '../../src/hooks/payload';
import { freePort, recordedCall, Rig, Round, TOKEN } from '../helpers/crash-harness';
import { waitFor } from '../helpers/wait-for';
import { Receiver, SECRET } from './fixtures';

t.setTimeout(240_000);

t.test('an unreachable hook: pending and visible, recording and upload unaffected; delivered once it answers', async (t) => {
  const rig = await Rig.start();
  t.teardown(() => rig.close());
  const port = await freePort();
  const refusing = { on: true };
  const refuser = await Receiver.start(() => ({ status: refusing.on ? 404 : 200 }));
  t.teardown(() => refuser.close());
  const round = await Round.create(rig, 'hooks-daemon', { storage: 's3' });
  t.teardown(async () => {
    round.kill();
    await rig.hangupAll();
  });
  appendFileSync(
    round.configPath,
    `hooks:\n  - {name: later, url: "http://127.0.0.1:${port}/hook", secret: ${SECRET}, retry_min_ms: 100, retry_max_ms: 200}\n  - {name: refuses, url: "${refuser.url}", secret: ${SECRET}}\n`,
  );
  round.start();
  await round.upOrDead();
  t.ok(round.running, 'the daemon runs with its hooks');
  await recordedCall(round, '1000', '1001');
  await recordedCall(round, '1001', '1000');
  await waitFor(() => round.allStored(), 'both recordings stored while the hook is down', 30_000);
  await waitFor(async () => (await round.metric('fsrecd_backlog_files')) === 0, 'upload backlog 0');
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${round.httpPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  await waitFor(async () => /fsrecd_hook_pending\{hook="later"\} 2/.test(await metrics()), '/metrics: 2 pending for the hook that is down');
  t.match(await metrics(), /fsrecd_hook_deliveries_total\{hook="later",outcome="retry"\} \d+/);
  await waitFor(async () => /fsrecd_hook_failed\{hook="refuses"\} 2/.test(await metrics()), '/metrics: 2 failed for the refusing hook');
  t.equal(refuser.received.length, 2, 'a 404 is not retried by itself');
  const health = (await round.healthz()) as { status: number; body: { hooks?: Array<{ hook: string; pending: number; failed: number }> } } | undefined;
  t.equal(health?.status, 200, 'a failing hook does not make fsrecd unhealthy');
  t.match(health?.body.hooks, [{ hook: 'later', pending: 2, failed: 0 }, { hook: 'refuses', pending: 0, failed: 2 }], '/healthz shows the hooks');
  const status = await round.cli('status');
  t.match(status.stdout, /hook later: pending 2 \(oldest \d+ s\), failed 0; last error: ECONNREFUSED/, 'fsrecd status: pending, with the reason');
  t.match(status.stdout, /hook refuses: pending 0, failed 2 \(fsrecd hooks retry\); last error: HTTP 404/, 'fsrecd status: failed, with the reason');

  // The receiver comes up on the configured port: the pending deliveries go through.
  const late = await Receiver.start(() => ({ status: 200 }), port);
  t.teardown(() => late.close());
  await waitFor(() => new Set(late.delivered().map(String)).size === 2, 'both delivered once the receiver is up', 30_000);
  t.same(late.received.map((r) => (JSON.parse(r.body) as HookPayload).recording.id).sort(), round.journal().filter((e) => e.state === 'stored').map((e) => e.id).sort(), 'the two stored recordings');
  await waitFor(async () => /fsrecd_hook_pending\{hook="later"\} 0/.test(await metrics()), 'nothing pending');

  // The refusing receiver is fixed: fsrecd hooks retry (the CLI, against the running daemon) delivers.
  refusing.on = false;
  const retry = await round.cli('hooks', 'retry', '--hook', 'refuses');
  t.equal(retry.status, 0, `fsrecd hooks retry: ${retry.stdout}${retry.stderr}`);
  t.match(retry.stdout, /is retrying 2 deliveries now/);
  await waitFor(() => refuser.delivered().length === 2, 'the refused deliveries delivered after the retry');
  t.ok(refuser.received.every((r) => r.verdict.ok), 'every request signed');
  await waitFor(async () => /hook refuses: pending 0, failed 0/.test((await round.cli('hooks', 'status')).stdout), 'fsrecd hooks status: nothing failed');
  const none = await round.cli('hooks', 'retry');
  t.match(none.stdout, /no failed deliveries/);
  await round.stop();
});
