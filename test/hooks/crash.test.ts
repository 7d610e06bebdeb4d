/**
 * Hooks survive kill -9: for every hooks.* crash point in CRASH_POINTS (the list is the source of truth, so
 * a new hooks point is covered here without touching this file), at its first three hits, the real daemon
 * (dist/cli.js) with a webhook configured is SIGKILLed exactly there while it records calls to a real S3
 * server, then restarted without the fault. After the restart has settled, every recording the journal says
 * is stored has reached the receiver at least once (signed, with its presigned URL), nothing is pending or
 * failed (`fsrecd status`, /metrics), and the repeats a crash may cause are counted (the receiver drops them
 * by X-Fsrecd-Delivery).
 *
 * Each round starts from a hooks journal an earlier daemon left: the hook first seen an hour ago, and three
 * delivered records of recordings the journal has forgotten, which the start-up prune removes (hooks.unlink).
 */
import t from 'tap';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRASH_POINTS } from '../../src/durability/faults';
import { deliveryId } from '../../src/hooks/delivery';
import type { HookPayload } from '../../src/hooks/payload';
import { recordedCall, Rig, Round } from '../helpers/crash-harness';
import { waitFor } from '../helpers/wait-for';
import { Receiver, SECRET, storedEntry } from './fixtures';

t.setTimeout(900_000);

const HOOK_POINTS = CRASH_POINTS.filter((p) => p.startsWith('hooks.'));
/** HOOKS_CRASH_ONLY=point:hit runs that round alone (to look at one failure). */
const ONLY = process.env.HOOKS_CRASH_ONLY;

function addHook(round: Round, url: string): void {
  appendFileSync(round.configPath, `hooks:\n  - {name: crm, url: "${url}", secret: ${SECRET}, retry_min_ms: 50, retry_max_ms: 300, timeout_ms: 2000}\n`);
}

/** What an earlier daemon left in state_dir/hooks: the hook's first-seen time and three old delivered records. */
function seedHooksJournal(round: Round): void {
  const dir = join(round.stateDir, 'hooks', 'deliveries');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(round.stateDir, 'hooks', 'hooks.json'), JSON.stringify({ crm: new Date(Date.now() - 3_600_000).toISOString() }));
  for (const n of [1, 2, 3]) {
    const e = storedEntry(`forgotten-${n}`);
    const id = deliveryId('crm', 'stored', e.id);
    const at = new Date(Date.now() - 86_400_000).toISOString();
    writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id, hook: 'crm', event: 'stored', recordingId: e.id, state: 'delivered', createdAt: at, windowFrom: at, attempts: 1, settledAt: at, recording: { id: e.id } }));
  }
}

interface Row {
  point: string;
  hit: number;
  result: string;
  stored: number;
  deliveries: number;
  repeats: number;
}

t.test('a kill -9 at every hooks crash point: every stored recording is delivered at least once after the restart', async (t) => {
  t.ok(HOOK_POINTS.length >= 6, `hooks points: ${HOOK_POINTS.join(', ')}`);
  const rig = await Rig.start();
  t.teardown(() => rig.close());
  const rows: Row[] = [];
  for (const point of HOOK_POINTS) {
    for (const hit of [1, 2, 3]) {
      if (ONLY && ONLY !== `${point}:${hit}`) continue;
      const row: Row = { point, hit, result: 'FAIL', stored: 0, deliveries: 0, repeats: 0 };
      rows.push(row);
      await t.test(`${point}:${hit}`, async (t) => {
        const receiver = await Receiver.start(() => ({ status: 200 }));
        const round = await Round.create(rig, `hooks-${rows.length}`, { storage: 's3' });
        t.teardown(async () => {
          round.kill();
          await rig.hangupAll();
          await receiver.close();
        });
        addHook(round, receiver.url);
        seedHooksJournal(round);
        round.start({ FSRECD_TEST_CRASH_AT: `${point}:${hit}` });
        await round.upOrDead();
        const calls = [['1000', '1001'], ['1001', '1000'], ['1000', '1004'], ['1001', '1004']];
        for (const [from, to] of calls) {
          if (!round.running) break;
          await recordedCall(round, from as string, to as string);
          // Each recording stored and delivered before the next call, so the hits come in a known order.
          await waitFor(() => {
            const stored = round.journal().filter((e) => e.state === 'stored').length;
            return !round.running || (stored >= round.finished().filter((f) => !f.discarded).length && receiver.received.length >= stored);
          }, `${point}:${hit}: stored and delivered`, 20_000);
        }
        try {
          await waitFor(() => round.exit !== undefined, `${point}:${hit} reached`, 15_000);
        } catch {
          row.result = 'NOT REACHED';
          t.fail(`the scenario never reached ${point} ${hit} time(s)`);
          return;
        }
        t.same(round.exit, { code: null, signal: 'SIGKILL' }, 'the daemon died by SIGKILL at the point');
        await rig.hangupAll();

        round.start();
        await round.upOrDead();
        t.ok(round.running, 'the daemon starts again on what the crash left');
        await recordedCall(round, '1001', '1000');
        await waitFor(() => round.allStored(), `${point}:${hit}: every recording stored`, 30_000);
        const stored = await waitFor(() => {
          const s = round.journal().filter((e) => e.state === 'stored');
          return s.length >= round.finished().filter((f) => !f.discarded).length ? s : undefined;
        }, `${point}:${hit}: the journal says stored`, 20_000);
        const ids = (): string[] => receiver.received.map((r) => (JSON.parse(r.body) as HookPayload).recording.id);
        await waitFor(() => stored.every((e) => ids().includes(e.id)), `${point}:${hit}: every stored recording delivered`, 30_000);
        t.ok(stored.length >= 1, `${stored.length} recording(s) stored`);
        t.same(receiver.received.filter((r) => !r.verdict.ok).map((r) => r.verdict), [], 'every request signed and timely');
        const bodies = receiver.received.map((r) => JSON.parse(r.body) as HookPayload);
        t.ok(bodies.every((b) => typeof b.storage.url === 'string' && b.storage.url.includes('X-Amz-Signature')), 'each body carries a presigned URL');
        t.ok(bodies.every((b, i) => b.deliveryId === receiver.received[i]?.headers['x-fsrecd-delivery']), 'X-Fsrecd-Delivery names the delivery');
        t.same(ids().filter((id) => !stored.some((e) => e.id === id)), [], 'nothing delivered that is not stored');
        await waitFor(async () => (await round.metric('fsrecd_hook_pending')) === 0, `${point}:${hit}: nothing pending`, 20_000);
        t.equal(await round.metric('fsrecd_hook_failed'), 0, '/metrics: fsrecd_hook_failed 0');
        await waitFor(async () => /hook crm: pending 0, failed 0/.test((await round.cli('status')).stdout), `${point}:${hit}: fsrecd status shows nothing pending`, 20_000);
        row.stored = stored.length;
        row.deliveries = receiver.received.length;
        row.repeats = receiver.received.length - new Set(ids()).size;
        t.ok(row.repeats <= 1, `at most the one delivery cut short by the kill is repeated (${row.repeats})`);
        await round.stop();
        row.result = t.passing() ? 'ok' : 'FAIL';
        if (ONLY) t.comment(round.output);
      });
    }
  }
  t.comment(['point                hit  result       stored  deliveries  repeats', ...rows.map((r) => `${r.point.padEnd(20)} ${String(r.hit).padStart(3)}  ${r.result.padEnd(11)}  ${String(r.stored).padStart(6)}  ${String(r.deliveries).padStart(10)}  ${String(r.repeats).padStart(7)}`)].join('\n'));
  t.equal(rows.filter((r) => r.result === 'ok').length, rows.length, 'every point and hit passed');
});
