/**
 * Thousands of malformed and fuzzed events per run (mutations of the real captures, test/fuzz/mutate.ts)
 * through the whole in-process event path: FrameParser -> plainEvent/jsonEvent -> the Daemon of
 * src/daemon.ts (CallRegistry -> Bus -> a real Recorder and the feature codes), with a fake ESL client.
 * Nothing may throw out of it, no promise may reject unhandled, no bus listener may fail, and afterwards a
 * clean call is still recorded. The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_EVENTS=<n> sizes it.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfigFromString } from '../../src/config/load';
import type { Switch } from '../../src/config/types';
import { Daemon } from '../../src/daemon';
import { jsonEvent, plainEvent } from '../../src/esl/event';
import { FrameParser } from '../../src/esl/frame-parser';
import type { EslClient, EslEvent } from '../../src/esl/types';
import { createLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { recordingNamer } from '../../src/naming/name-recording';
import { decideRecording } from '../../src/policy/decide';
import type { RecordingMeta, RecordingResult, RecordingSink } from '../../src/model/recording';
import type { ListenerFailure } from '../../src/bus';
import { waitFor } from '../helpers/wait-for';
import { capturedEvents, frameOf, fuzzSeed, mutate, prng, withHeaders, type FuzzTargets } from './mutate';

const EVENTS = Number(process.env.FUZZ_EVENTS ?? 6000);

/** The EslClient the daemon is handed: events are pushed in by the test, api() answers as FreeSWITCH would. */
class FakeEsl extends EventEmitter {
  connected = true;
  readonly commands: string[] = [];
  /** Paths of `uuid_record … start` commands, by leg uuid. */
  readonly started = new Map<string, string>();
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  api(command: string): Promise<string> {
    this.commands.push(command);
    if (this.commands.length > 50_000) this.commands.splice(0, 25_000);
    const start = /^uuid_record (\S+) start (\S+)/.exec(command);
    if (start?.[1] && start[2]) {
      this.started.set(start[1], start[2]);
      return Promise.resolve('+OK Success\n');
    }
    if (command === 'show channels as json') return Promise.resolve('{"row_count":0}');
    if (command.startsWith('uuid_buglist')) return Promise.resolve('<media-bugs></media-bugs>');
    return Promise.resolve('+OK\n');
  }
  bgapi(command: string): Promise<string> {
    return this.api(command);
  }
}

class CollectingSink implements RecordingSink {
  readonly finishedPaths: string[] = [];
  count = 0;
  started(): Promise<void> {
    this.count++;
    return Promise.resolve();
  }
  finished(meta: RecordingMeta, result: RecordingResult): Promise<void> {
    this.count++;
    // What the spool does with a result: dates and numbers must be usable.
    if (Number.isNaN(Date.parse(result.endedAt)) || !Number.isFinite(result.durationMs) || result.durationMs < 0) {
      return Promise.reject(new Error(`unusable result ${JSON.stringify(result)}`));
    }
    this.finishedPaths.push(meta.path);
    return Promise.resolve();
  }
  discarded(): Promise<void> {
    this.count++;
    return Promise.resolve();
  }
  failed(): Promise<void> {
    this.count++;
    return Promise.resolve();
  }
}

t.test(`${EVENTS} fuzzed events through the daemon: nothing escapes, and a clean call is recorded after`, async (t) => {
  const seed = fuzzSeed();
  t.comment(`FUZZ_SEED=${seed} (set it to replay this run)`);
  console.log(`# events.fuzz: FUZZ_SEED=${seed}`);
  const rand = prng(seed);

  const escaped: string[] = [];
  const onUnhandled = (reason: unknown): void => void escaped.push(`unhandledRejection: ${String(reason)}`);
  const onUncaught = (err: unknown): void => void escaped.push(`uncaughtException: ${String(err)}`);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-fuzz-'));
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    rmSync(dir, { recursive: true, force: true });
  });

  const loaded = await loadConfigFromString(`
spool_dir: ${dir}/spool
state_dir: ${dir}/state
default_account: {record_account: on}
`, 'fuzz.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const cfg = loaded.config;
  const errorLines: string[] = [];
  const log = createLogger('error', new Writable({ write: (chunk: Buffer, _enc, done) => (errorLines.push(chunk.toString()), done()) }));
  const toggles = new Map<string, Switch>();
  const esl = new FakeEsl();
  const sink = new CollectingSink();
  const daemon = new Daemon({
    config: () => cfg,
    esl: esl as unknown as EslClient,
    sink,
    decide: (call) => decideRecording(cfg, call, (d, u) => toggles.get(`${d}/${u}`)),
    namePath: recordingNamer(cfg),
    log,
    metrics: new Metrics(),
  });
  const failures: ListenerFailure[] = [];
  daemon.bus.onError((f) => failures.push(f));
  t.teardown(() => daemon.stopAccepting());

  const emitted: EslEvent[] = [];
  const feed = (parser: FrameParser, bytes: Buffer): void => {
    try {
      parser.push(bytes);
    } catch (err) {
      escaped.push(`thrown out of the event path: ${String(err)}`);
    }
  };
  const newParser = (): FrameParser =>
    new FrameParser({
      frame: (f) => {
        const type = f.headers.get('Content-Type');
        const ev = type === 'text/event-plain' ? plainEvent(f.body) : type === 'text/event-json' ? jsonEvent(f.body) : undefined;
        if (!ev) return;
        emitted.push(ev);
        if (emitted.length > 100) emitted.shift();
        esl.emit('event', ev);
      },
      malformed: () => undefined,
    });

  const pool = capturedEvents();
  t.ok(pool.length >= 100, `${pool.length} real events from ${new Set(pool.map((e) => e.source)).size} captures`);
  const targets: FuzzTargets = {
    liveUuids: () => [...daemon.registry.calls()].flatMap((c) => [...c.legs.keys()]).slice(0, 50),
    livePaths: () => daemon.recorder.active().map((r) => r.meta.path),
  };
  const ops = new Map<string, number>();
  const startedAt = Date.now();
  let parser = newParser();
  let mutated = 0;
  for (let i = 0; i < EVENTS; i++) {
    const source = pool[Math.floor(rand() * pool.length)];
    if (!source) continue;
    if (rand() < 0.25) {
      // Clean events keep calls alive, answered and recording, so the broken ones hit real state.
      feed(parser, frameOf(source.type, source.body));
      continue;
    }
    const m = mutate(rand, source, targets);
    mutated++;
    for (const op of m.ops) ops.set(op, (ops.get(op) ?? 0) + 1);
    feed(parser, m.frame);
    if (m.desyncs) parser = newParser(); // a new connection after a frame that broke the framing
    // Let the async listeners (the recorder's) run now and then, as the event loop would between reads.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = Date.now() - startedAt;
  await new Promise((resolve) => setImmediate(resolve));
  t.comment(`${mutated} mutated of ${EVENTS} events in ${elapsed} ms; ${daemon.eventsSeen} reached the daemon; ${esl.started.size} recordings started, ${sink.count} sink calls`);
  t.comment([...ops].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${n} × ${op}`).join('; '));
  t.ok(mutated >= EVENTS * 0.7, `${mutated} mutated events`);
  t.ok(daemon.eventsSeen > EVENTS / 2, `${daemon.eventsSeen} events reached the daemon`);
  t.ok(esl.started.size > 0 && sink.count > 0, 'the fuzzed stream drove real recordings (the recorder was exercised)');
  t.ok((ops.get('RECORD_STOP of a live recording, hostile fields') ?? 0) > 0, 'RECORD_STOPs with hostile fields hit live recordings');

  // The aftermath: a clean call, built from capture 02's a-leg with a fresh uuid, is recorded and stored.
  const single = pool.filter((e) => e.source === '02-answered-call-record.raw' && e.type === 'text/event-plain');
  const of = (name: string): Buffer => {
    const e = single.find((x) => x.body.includes(`Event-Name: ${name}\n`));
    if (!e) throw new Error(`capture 02 has no ${name}`);
    return e.body;
  };
  const uuid = randomUUID();
  const clean = (name: string, extra: Record<string, string> = {}): Buffer =>
    frameOf('text/event-plain', withHeaders(of(name), { 'Unique-ID': uuid, 'Channel-Call-UUID': uuid, variable_call_uuid: uuid, 'Event-Date-Timestamp': String(Date.now() * 1000), ...extra }));
  parser = newParser();
  feed(parser, clean('CHANNEL_CREATE'));
  feed(parser, clean('CHANNEL_ANSWER'));
  const path = await waitFor(() => esl.started.get(uuid), 'uuid_record start for the clean call');
  feed(parser, clean('RECORD_STOP', { 'Record-File-Path': path, variable_record_completion_cause: 'success-silence' }));
  feed(parser, clean('CHANNEL_HANGUP_COMPLETE'));
  await waitFor(() => sink.finishedPaths.includes(path), 'the clean call handed to the spool as finished');
  t.notOk(daemon.registry.leg(uuid), 'and its leg forgotten at hangup');

  await new Promise((resolve) => setImmediate(resolve));
  t.same(escaped, [], 'no throw, no unhandled rejection, no uncaught exception');
  t.same(failures.map((f) => `${f.event}: ${String(f.error)} [${f.excerpt}]`).slice(0, 10), [], 'no bus listener failed');
  t.same(errorLines.filter((l) => l.includes('could not process an ESL event')).slice(0, 5), [], 'the registry never threw');
  t.ok(elapsed < 30_000, `well under 30 s (${elapsed} ms)`);
});
