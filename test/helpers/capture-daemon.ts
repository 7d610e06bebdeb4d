/**
 * The daemon fed the events of a real FreeSWITCH capture, in order, with a fake event-socket client that
 * answers every command +OK and a sink that collects what the recorder hands over. For tests that check
 * what fsrecd does with FreeSWITCH's real event sequences (transfers, queues, arming), without sockets.
 */
import { EventEmitter } from 'node:events';
import { startFeatures } from '../../src/app';
import { loadConfigFromString } from '../../src/config/load';
import { Daemon } from '../../src/daemon';
import type { EslClient, EslEvent } from '../../src/esl/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import { recordingNamer } from '../../src/naming/name-recording';
import { decideRecording } from '../../src/policy/decide';
import type { RecordingMeta, RecordingResult, RecordingSink } from '../../src/model/recording';
import { eventsOf, parseAll } from './frames';
import { fixture } from './fixtures';

export class FakeEsl extends EventEmitter {
  connected = true;
  readonly commands: string[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  api(command: string): Promise<string> {
    this.commands.push(command);
    if (command === 'show channels as json') return Promise.resolve('{"row_count":0}');
    if (command.startsWith('uuid_buglist')) return Promise.resolve('<media-bugs>\n</media-bugs>\n');
    return Promise.resolve('+OK Success\n');
  }
  bgapi(command: string): Promise<string> {
    return this.api(command);
  }
  /** Paths of our `uuid_record … start` commands, in order, with the leg each went to. */
  starts(): Array<{ leg: string; path: string; command: string }> {
    return this.commands.flatMap((c) => {
      const m = /^uuid_record (\S+) start (\S+)/.exec(c);
      return m?.[1] && m[2] ? [{ leg: m[1], path: m[2], command: c }] : [];
    });
  }
}

export class CollectingSink {
  readonly started: RecordingMeta[] = [];
  readonly finished: Array<{ meta: RecordingMeta; result: RecordingResult }> = [];
  readonly discarded: Array<{ meta: RecordingMeta; result: RecordingResult }> = [];
  readonly failed: Array<{ meta: RecordingMeta; reason: string }> = [];
  readonly sink: RecordingSink = {
    started: (meta) => (this.started.push(meta), Promise.resolve()),
    finished: (meta, result) => (this.finished.push({ meta, result }), Promise.resolve()),
    discarded: (meta, result) => (this.discarded.push({ meta, result }), Promise.resolve()),
    failed: (meta, reason) => (this.failed.push({ meta, reason }), Promise.resolve()),
  };
}

export interface CaptureDaemon {
  daemon: Daemon;
  esl: FakeEsl;
  sink: CollectingSink;
  /** Feeds one event; RECORD_* events of the capture's own recordings are redirected to ours (`paths`). */
  feed(ev: EslEvent): void;
  /** The capture's recording path -> the path fsrecd chose for that leg's recording. */
  paths: Map<string, string>;
}

/** The capture's events (text/event-plain and -json), in wire order. */
export function captureEvents(name: string): EslEvent[] {
  return eventsOf(parseAll([fixture(name)]).frames);
}

export async function captureDaemon(rules: string): Promise<CaptureDaemon> {
  const loaded = await loadConfigFromString(`spool_dir: /tmp/fsrecd-capture-test/spool\nstate_dir: /tmp/fsrecd-capture-test/state\nhttp: {listen: null}\n${rules}`, 'capture.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const cfg = loaded.config;
  const esl = new FakeEsl();
  const sink = new CollectingSink();
  const daemon = new Daemon({
    config: () => cfg,
    esl: esl as unknown as EslClient,
    sink: sink.sink,
    decide: (call) => decideRecording(cfg, call, () => undefined),
    namePath: recordingNamer(cfg),
    log: silentLogger(),
    metrics: new Metrics(),
  });
  // The features as the daemon runs them (transfer following among them).
  startFeatures({ bus: daemon.bus, config: () => cfg, recorder: daemon.recorder, toggles: { get: () => undefined, set: () => Promise.resolve() }, namePath: recordingNamer(cfg), api: (c) => esl.api(c), log: silentLogger(), metrics: new Metrics() });
  const paths = new Map<string, string>();
  const feed = (ev: EslEvent): void => {
    const captured = ev.get('Record-File-Path');
    if (captured && (ev.name === 'RECORD_START' || ev.name === 'RECORD_STOP')) {
      // The capturing client's own uuid_record: map it to the recording fsrecd started on that leg.
      const ours = paths.get(captured) ?? esl.starts().filter((s) => s.leg === ev.get('Unique-ID')).at(-1)?.path;
      if (!ours) return;
      paths.set(captured, ours);
      esl.emit('event', { ...ev, name: ev.name, body: ev.body, headerNames: () => ev.headerNames(), get: (h: string) => (h === 'Record-File-Path' ? ours : ev.get(h)) });
      return;
    }
    esl.emit('event', ev);
  };
  return { daemon, esl, sink, feed, paths };
}

/** Lets the recorder's async steps (decide, name, journal, command) run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
