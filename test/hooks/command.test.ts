/**
 * Command hooks: the argv run without a shell (a small node script here), the description on its standard
 * input; exit 0 is delivered, exit 1 is retried, a run past timeout_ms is killed and retried.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandHookConfig } from '../../src/config/hooks';
import { HookDispatcher } from '../../src/hooks/dispatcher';
import type { HookPayload } from '../../src/hooks/payload';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { waitFor } from '../helpers/wait-for';
import { commandHook, storedEntry } from './fixtures';

/**
 * Appends "<delivery id> <recording id>" to argv[2] for each run it accepts. argv[3]: ok; fail-once (exit 1
 * the first time, counting in argv[2].count); sleep-once (sleeps 30 s the first time, then ok).
 */
const SCRIPT = `
const fs = require('node:fs');
const [out, mode] = process.argv.slice(2);
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const n = fs.existsSync(out + '.count') ? Number(fs.readFileSync(out + '.count', 'utf8')) : 0;
  fs.writeFileSync(out + '.count', String(n + 1));
  if (mode === 'fail-once' && n === 0) { process.stderr.write('receiver not ready\\n'); process.exit(1); }
  if (mode === 'sleep-once' && n === 0) { fs.writeFileSync(out + '.sleeping', String(process.pid)); setTimeout(() => {}, 30000); return; }
  const p = JSON.parse(input);
  fs.appendFileSync(out, process.env.FSRECD_DELIVERY_ID + ' ' + p.recording.id + '\\n');
});
`;

function setup(t: Test, mode: string, more: Partial<CommandHookConfig> = {}): { dispatcher: HookDispatcher; out: string; metrics: Metrics } {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cmd-hook-'));
  const script = join(dir, 'hook.cjs');
  writeFileSync(script, SCRIPT);
  const out = join(dir, 'delivered.txt');
  const metrics = new Metrics();
  const dispatcher = new HookDispatcher({ hooks: [commandHook('script', [process.execPath, script, out, mode], more)], stateDir: join(dir, 'state'), store: { presign: async () => undefined }, storageType: 'local', urlExpirySeconds: 60, log: silentLogger(), metrics });
  t.teardown(async () => {
    await dispatcher.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dispatcher, out, metrics };
}

const lines = (out: string): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []);

t.test('exit 0: delivered once, the JSON on stdin, the delivery id in the environment', async (t) => {
  const s = setup(t, 'ok');
  await s.dispatcher.open({ stored: () => [], has: () => false });
  s.dispatcher.onStored(storedEntry('cmd-1'));
  await waitFor(() => s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'script', outcome: 'delivered' }) === 1, 'delivered');
  const d = [...s.dispatcher.deliveries.values()][0];
  t.same(lines(s.out), [`${d?.id} cmd-1`]);
  t.equal(d?.state, 'delivered');
});

t.test('exit 1: retried, the end of its standard error as the reason; delivered by the next run', async (t) => {
  const s = setup(t, 'fail-once');
  await s.dispatcher.open({ stored: () => [], has: () => false });
  s.dispatcher.onStored(storedEntry('cmd-2'));
  await waitFor(() => s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'script', outcome: 'delivered' }) === 1, 'delivered');
  t.equal(s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'script', outcome: 'retry' }), 1);
  t.equal(readFileSync(`${s.out}.count`, 'utf8'), '2', 'run twice');
  t.equal(lines(s.out).length, 1);
});

t.test('a run past timeout_ms is killed and retried', async (t) => {
  const s = setup(t, 'sleep-once', { timeoutMs: 500 });
  await s.dispatcher.open({ stored: () => [], has: () => false });
  s.dispatcher.onStored(storedEntry('cmd-3'));
  const retried = await waitFor(() => [...s.dispatcher.deliveries.values()].find((d) => d.lastError !== undefined), 'the first run timed out');
  t.match(retried.lastError, /killed after 500 ms/);
  const pid = Number(readFileSync(`${s.out}.sleeping`, 'utf8'));
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 'the sleeping run is gone');
  await waitFor(() => lines(s.out).length === 1, 'delivered by the second run');
});

t.test('a program that cannot run: retried with the reason, pending', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cmd-hook-'));
  const metrics = new Metrics();
  const dispatcher = new HookDispatcher({ hooks: [commandHook('missing', [join(dir, 'no-such-program')])], stateDir: dir, store: { presign: async () => undefined }, storageType: 'local', urlExpirySeconds: 60, log: silentLogger(), metrics });
  t.teardown(async () => {
    await dispatcher.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });
  await dispatcher.open({ stored: () => [], has: () => false });
  dispatcher.onStored(storedEntry('cmd-4'));
  await waitFor(() => [...dispatcher.deliveries.values()].some((d) => d.attempts >= 1), 'attempted');
  t.match(dispatcher.status()[0], { hook: 'missing', pending: 1, failed: 0, lastError: /cannot run .*ENOENT/ });
});

t.test('the command reads the recording description on its standard input', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cmd-hook-'));
  const script = join(dir, 'cat.cjs');
  writeFileSync(script, `let s='';process.stdin.on('data',(c)=>(s+=c));process.stdin.on('end',()=>require('node:fs').writeFileSync(process.argv[2], s));`);
  const dispatcher = new HookDispatcher({ hooks: [commandHook('cat', [process.execPath, script, join(dir, 'body.json')])], stateDir: join(dir, 'state'), store: { presign: async () => undefined }, storageType: 'local', urlExpirySeconds: 60, log: silentLogger(), metrics: new Metrics() });
  t.teardown(async () => {
    await dispatcher.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });
  await dispatcher.open({ stored: () => [], has: () => false });
  dispatcher.onStored(storedEntry('cmd-5'));
  const body = await waitFor(() => (existsSync(join(dir, 'body.json')) ? readFileSync(join(dir, 'body.json'), 'utf8') : undefined), 'the body written');
  const p = JSON.parse(body) as HookPayload;
  t.match(p, { event: 'stored', hook: 'cat', recording: { id: 'cmd-5', tenant: 'acme', key: 'acme/2026/cmd-5.wav' }, storage: { type: 'local', key: 'acme/2026/cmd-5.wav' } });
});
