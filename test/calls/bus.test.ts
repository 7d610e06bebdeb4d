/**
 * The bus catches every listener (docs/design.md section 9): a synchronous throw and a rejected promise
 * never leave emit() nor become an unhandled rejection (which kills Node), the other listeners still run,
 * and every failure reaches the onError hook, flagged for logging once per kind.
 */
import t from 'tap';
import type { BusEvents } from '../../src/bus';
import type { Leg } from '../../src/calls/types';
import { EXCERPT_MAX, TypedBus, type ListenerFailure } from '../../src/events/typed-bus';
import { recordToEvent } from '../../src/esl/event';
import type { EslEvent } from '../../src/esl/types';
import { waitFor } from '../helpers/wait-for';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
t.teardown(() => {
  process.off('unhandledRejection', onUnhandled);
});

/**
 * The daemon's events, with RECORD_START/STOP as the raw events they were before the registry read them at
 * the edge: what a listener might still be handed in a part that takes events straight from the socket.
 */
type RawEvents = Omit<BusEvents, 'recordStart' | 'recordStop'> & { recordStart: [event: EslEvent]; recordStop: [event: EslEvent] };
class Bus extends TypedBus<RawEvents> {}

/** Lets every pending promise settle and Node's unhandled-rejection check run (it runs before setImmediate). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recordStop(stamp: string): EslEvent {
  return recordToEvent({ 'Event-Name': 'RECORD_STOP', 'Unique-ID': 'ea69231c-2b51-4e64-9cb8-0fa6c9963645', 'Record-File-Path': '/tmp/rec/a.wav', 'Event-Date-Timestamp': stamp });
}

t.test('a listener that throws: emit returns, the next listener runs, the hook hears it', async (t) => {
  const failures: ListenerFailure[] = [];
  const bus = new Bus({ onError: (f) => failures.push(f) });
  const ran: string[] = [];
  bus.on('recordStop', () => {
    throw new RangeError('Invalid time value');
  });
  bus.on('recordStop', (ev) => void ran.push(ev.get('Record-File-Path') ?? ''));
  t.doesNotThrow(() => bus.emit('recordStop', recordStop('99999999999999999999')));
  t.same(ran, ['/tmp/rec/a.wav'], 'the listener after the failing one still ran');
  t.equal(failures.length, 1);
  t.equal(failures[0]?.event, 'recordStop');
  t.equal(failures[0]?.how, 'sync');
  t.ok(failures[0]?.error instanceof RangeError);
  t.match(failures[0]?.excerpt ?? '', /event="RECORD_STOP".*Record-File-Path="\/tmp\/rec\/a\.wav".*Event-Date-Timestamp="99999999999999999999"/, 'the excerpt says which event');
  t.equal(bus.failureCount, 1);
});

t.test('an async listener that rejects (the old RECORD_STOP bug): no unhandledRejection, counted', async (t) => {
  const failures: ListenerFailure[] = [];
  const bus = new Bus({ onError: (f) => failures.push(f) });
  // What Recorder#onRecordStop did with an out-of-range timestamp before it was validated.
  bus.on('recordStop', async (ev) => {
    await Promise.resolve();
    new Date(Math.floor(Number(ev.get('Event-Date-Timestamp')) / 1000)).toISOString();
  });
  let after = 0;
  bus.on('recordStop', () => void after++);
  for (let i = 0; i < 3; i++) bus.emit('recordStop', recordStop('99999999999999999999'));
  await waitFor(() => failures.length === 3, 'three rejections reported');
  await settle();
  t.same(unhandled, [], 'no unhandled rejection');
  t.equal(after, 3, 'the other listener ran every time');
  t.same(failures.map((f) => [f.how, f.count, f.shouldLog]), [['async', 1, true], ['async', 2, false], ['async', 3, false]], 'logged once, counted three times');
});

t.test('once per kind, again after relogAfterMs with the count it held back', async (t) => {
  let now = 1_000;
  const failures: ListenerFailure[] = [];
  const bus = new Bus({ onError: (f) => failures.push(f), relogAfterMs: 60_000, now: () => now });
  bus.on('dtmf', (_leg, _call, digit) => {
    throw new Error(`bad digit ${digit === 'x' ? 'x' : 'y'}`);
  });
  const leg = { uuid: 'l1' } as unknown as Leg;
  const emit = (digit: string): void => bus.emit('dtmf', leg, { uuid: 'c1', legs: new Map(), createdAt: 0 }, digit, 0);
  emit('x');
  emit('x');
  emit('y');
  emit('x');
  now += 60_000;
  emit('x');
  t.same(
    failures.map((f) => [f.error instanceof Error ? f.error.message : '', f.shouldLog, f.count, f.suppressed]),
    [
      ['bad digit x', true, 1, 0],
      ['bad digit x', false, 2, 1],
      ['bad digit y', true, 1, 0],
      ['bad digit x', false, 3, 2],
      ['bad digit x', true, 4, 2],
    ],
  );
});

t.test('excerpts are bounded and one line, whatever the event holds', async (t) => {
  const failures: ListenerFailure[] = [];
  const bus = new Bus({ onError: (f) => failures.push(f) });
  bus.on('recordStart', () => {
    throw new Error('boom');
  });
  const huge = `a\r\nb\u0000${'é'.repeat(4096)}`;
  bus.emit('recordStart', recordToEvent({ 'Event-Name': huge, 'Unique-ID': huge, 'Record-File-Path': huge, 'Channel-Call-UUID': huge, 'DTMF-Digit': huge }));
  const excerpt = failures[0]?.excerpt ?? '';
  t.ok(excerpt.length <= EXCERPT_MAX, `excerpt is ${excerpt.length} characters`);
  t.notOk(['\r', '\n', '\u0000'].some((c) => excerpt.includes(c)), 'no raw control characters');
});

t.test('a hook that throws, and no hook at all: still nothing escapes, nothing printed', async (t) => {
  const printed: unknown[] = [];
  const original = { error: console.error, log: console.log, warn: console.warn };
  console.error = console.log = console.warn = (...a: unknown[]) => void printed.push(a);
  t.teardown(() => Object.assign(console, original));
  const throwingHook = new Bus({
    onError: () => {
      throw new Error('logger down');
    },
  });
  throwingHook.on('callEnded', () => Promise.reject(new Error('async boom')));
  throwingHook.on('callEnded', () => {
    throw new Error('sync boom');
  });
  const silent = new Bus();
  silent.on('callEnded', () => Promise.reject(new Error('async boom')));
  const call = { uuid: 'c1', legs: new Map(), createdAt: 0 };
  t.doesNotThrow(() => throwingHook.emit('callEnded', call));
  t.doesNotThrow(() => silent.emit('callEnded', call));
  await waitFor(() => throwingHook.failureCount === 2 && silent.failureCount === 1, 'failures counted');
  await settle();
  Object.assign(console, original);
  t.same(unhandled, [], 'no unhandled rejection');
  t.same(printed, [], 'the bus printed nothing by itself');
});

t.test('off removes one registration; listeners run in order', async (t) => {
  const bus = new Bus();
  const ran: string[] = [];
  const a = (): void => void ran.push('a');
  const b = (): void => void ran.push('b');
  bus.on('eslDisconnected', a);
  bus.on('eslDisconnected', b);
  bus.on('eslDisconnected', a);
  bus.emit('eslDisconnected', 'x');
  bus.off('eslDisconnected', a);
  bus.emit('eslDisconnected', 'y');
  t.same(ran, ['a', 'b', 'a', 'a', 'b']);
});
