/**
 * The built daemon (`node dist/cli.js run`) against the simulator, fed a few hundred mutated frames of the
 * real captures (test/fuzz/mutate.ts) on its event socket — among them the RECORD_STOP of a live
 * recording with `Event-Date-Timestamp: 99999999999999999999`. Afterwards the process is alive, /healthz
 * answers and a normal call is recorded and stored. FUZZ_SEED=<n> replays a run.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { listFilesSync } from '../../src/util/list-files';
import { waitFor } from '../helpers/wait-for';
import { capturedEvents, frameOf, fuzzSeed, mutate, prng, withHeaders, type FuzzTargets } from './mutate';

const CLI = join(__dirname, '../../dist/cli.js');
const ESL_PW = 'Fuzz-Esl-Pw-9';
const FRAMES = Number(process.env.FUZZ_PROCESS_FRAMES ?? 400);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const phone = (n: string) => ({ number: n, device: n, domain: 'acme.example' });

t.test(`the daemon process survives ${FRAMES} mutated frames and records the next call`, async (t) => {
  const seed = fuzzSeed();
  t.comment(`FUZZ_SEED=${seed} (set it to replay this run)`);
  console.log(`# daemon-process.fuzz: FUZZ_SEED=${seed}`);
  const rand = prng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-procfuzz-'));
  const sim = new FreeswitchSimulator({ password: ESL_PW });
  const eslPort = await sim.start();
  const httpPort = await freePort();
  let output = '';
  writeFileSync(
    join(dir, 'fsrecd.yml'),
    `esl: {port: ${eslPort}, password: ${ESL_PW}, reconnect_min_ms: 50, reconnect_max_ms: 500}
spool_dir: ${dir}/spool
state_dir: ${dir}/state
storage: {type: local, dir: ${dir}/stored}
http: {listen: "127.0.0.1:${httpPort}"}
upload: {retry_min_ms: 50, retry_max_ms: 500}
default_account: {record_account: on}
`,
  );
  const daemon: ChildProcess = spawn(process.execPath, [CLI, 'run', '--config', join(dir, 'fsrecd.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(async () => {
    daemon.kill('SIGKILL');
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  daemon.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  daemon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  daemon.on('exit', (code, signal) => (exit = { code, signal }));
  const healthy = async (): Promise<boolean> => {
    try {
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status === 200;
    } catch {
      return false;
    }
  };
  await waitFor(healthy, 'the daemon healthy', 20_000);
  await waitFor(() => sim.connectionCount > 0, 'the daemon on the event socket');
  // The rule-made recording of each call: the mutations may also press *3 on the live call (capture 06 holds
  // `*`, `3`), which rightly makes an on-demand recording beside it.
  const storedOf = (callUuid: string): string[] =>
    listFilesSync(join(dir, 'stored')).filter((f) => {
      // The local target links the audio into place, then writes its .json: until then it is not stored yet.
      if (!f.endsWith('.wav') || !existsSync(`${f}.json`)) return false;
      const meta = JSON.parse(readFileSync(`${f}.json`, 'utf8')) as { callUuid: string; onDemand: boolean };
      return meta.callUuid === callUuid && !meta.onDemand;
    });

  // A call being recorded, so the broken events meet live state.
  const live = await sim.createCall({ from: phone('1000'), to: '1001', bridgeTo: phone('1001') });
  await live.answer();
  const [livePath] = await waitFor(() => (sim.recordingsOf(live.aUuid).length ? sim.recordingsOf(live.aUuid) : undefined), 'the live call recorded');

  // The event: a RECORD_STOP of that recording whose time no Date can hold.
  const pool = capturedEvents();
  const stopBody = pool.find((e) => e.type === 'text/event-plain' && e.body.includes('Event-Name: RECORD_STOP\n'))?.body;
  if (!stopBody || !livePath) throw new Error('no RECORD_STOP in the captures, or no live recording');
  sim.sendRaw(frameOf('text/event-plain', withHeaders(stopBody, { 'Unique-ID': live.aUuid, 'Channel-Call-UUID': live.aUuid, 'Record-File-Path': livePath, 'Event-Date-Timestamp': '99999999999999999999' })));

  const targets: FuzzTargets = {
    liveUuids: () => sim.channels().map((c) => c.uuid),
    livePaths: () => sim.channels().flatMap((c) => sim.recordingsOf(c.uuid)),
  };
  let sent = 0;
  while (sent < FRAMES) {
    const source = pool[Math.floor(rand() * pool.length)];
    if (!source) continue;
    const m = mutate(rand, source, targets);
    // A frame whose outer framing lies makes FreeSWITCH's stream unreadable until the next connection;
    // the in-process fuzz covers those. Here the socket must stay usable for the call that follows.
    if (m.desyncs) continue;
    sim.sendRaw(m.frame);
    sent++;
    if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await live.hangup();
  await waitFor(() => storedOf(live.aUuid).length === 1, 'the live call stored (its real RECORD_STOP came after the broken one)', 20_000);

  // Afterwards: alive, healthy, and a normal call is recorded and stored.
  t.equal(exit, undefined, 'the daemon process is alive');
  t.ok(await healthy(), '/healthz answers 200');
  const after = await sim.createCall({ from: phone('1000'), to: '1002', bridgeTo: phone('1002') });
  await after.answer();
  await waitFor(() => sim.recordingsOf(after.aUuid).length === 1, 'the next call recorded');
  await after.hangup();
  await waitFor(() => storedOf(after.aUuid).length === 1, 'the next call stored', 20_000);
  t.equal(storedOf(live.aUuid).length, 1, 'the live call stored exactly once');
  t.equal(exit, undefined, 'still alive');
  t.notMatch(output, /unhandled|UnhandledPromiseRejection|RangeError: Invalid time value/i, 'no unhandled error in the logs');
  t.comment(`${sent} mutated frames sent`);
});
