/**
 * Malformed events at the edge (docs/design.md section 9): a RECORD_STOP or a channel event whose fields are
 * out of range, absent, non-numeric or hostile is used in part or dropped, and nothing throws. The events are
 * the real ones from test/fixtures/freeswitch-esl with one field changed at a time.
 */
import t from 'tap';
import { Bus } from '../../src/bus';
import { legFromEvent, microsToMs, validUuid } from '../../src/calls/leg-from-event';
import { CallRegistry } from '../../src/calls/registry';
import { recordToEvent } from '../../src/esl/event';
import type { EslEvent } from '../../src/esl/types';
import { readRecordStop } from '../../src/calls/record-stop';
import { fixture } from '../helpers/fixtures';
import { eventsOf, parseAll } from '../helpers/frames';

const names = { recordName: 'fsrecd_record_name', recordFormat: 'fsrecd_record_format' };
const NOW = Date.parse('2026-11-24T00:32:30.000Z');

function fields(ev: EslEvent): Record<string, string> {
  return Object.fromEntries(ev.headerNames().map((h) => [h, ev.get(h) ?? '']));
}

const captured = eventsOf(parseAll([fixture('02-answered-call-record.raw')]).frames);
const realStop = captured.find((e) => e.name === 'RECORD_STOP');
const realCreate = captured.find((e) => e.name === 'CHANNEL_CREATE');
if (!realStop || !realCreate) throw new Error('capture 02 lost its RECORD_STOP or CHANNEL_CREATE');
const STOP = fields(realStop);
const CREATE = fields(realCreate);

function stop(overrides: Record<string, string | undefined>): EslEvent {
  const f: Record<string, string> = { ...STOP };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete f[k];
    else f[k] = v;
  }
  return recordToEvent(f);
}

t.test('the real RECORD_STOP reads as before', async (t) => {
  const info = readRecordStop(recordToEvent(STOP), NOW);
  t.equal(info?.path, STOP['Record-File-Path']);
  t.equal(info?.result.endedAt, new Date(Math.floor(Number(STOP['Event-Date-Timestamp']) / 1000)).toISOString(), 'the event time, in ms');
  t.equal(info?.result.durationMs, Number(STOP.variable_record_ms));
  t.equal(info?.result.reportedSize, Number(STOP.variable_record_file_size));
  t.equal(info?.result.completionCause, STOP.variable_record_completion_cause);
});

t.test('RECORD_STOP with an Event-Date-Timestamp out of range: no throw, the time is now', async (t) => {
  for (const stamp of ['99999999999999999999', '253402300800000000', '9007199254740993000', '-1795480419788961', '1e400', 'NaN', 'Infinity', '0x10', ' 1795480419788961', '', '0']) {
    let info: ReturnType<typeof readRecordStop>;
    t.doesNotThrow(() => (info = readRecordStop(stop({ 'Event-Date-Timestamp': stamp }), NOW)), `Event-Date-Timestamp ${JSON.stringify(stamp)} does not throw`);
    t.equal(info?.result.endedAt, new Date(NOW).toISOString(), `${JSON.stringify(stamp)}: ended now`);
    t.equal(info?.path, STOP['Record-File-Path'], `${JSON.stringify(stamp)}: the recording is still matched by its path`);
  }
  t.equal(readRecordStop(stop({ 'Event-Date-Timestamp': undefined }), NOW)?.result.endedAt, new Date(NOW).toISOString(), 'absent: now');
  t.equal(readRecordStop(stop({ 'Event-Date-Timestamp': '253402300799999000' }), NOW)?.result.endedAt, '9999-12-31T23:59:59.999Z', 'the last printable instant is kept');
});

t.test('RECORD_STOP sizes and durations: finite and non-negative, else unknown', async (t) => {
  for (const bad of ['-1', '-0.5', '1e400', 'Infinity', 'NaN', 'abc', '99999999999999999999', '12abc', '']) {
    const info = readRecordStop(stop({ variable_record_ms: bad, variable_record_seconds: bad, variable_record_file_size: bad }), NOW);
    t.equal(info?.result.durationMs, 0, `duration ${JSON.stringify(bad)}: 0`);
    t.equal(info?.result.reportedSize, undefined, `size ${JSON.stringify(bad)}: unknown`);
  }
  t.equal(readRecordStop(stop({ variable_record_ms: 'x', variable_record_seconds: '7' }), NOW)?.result.durationMs, 7000, 'a bad record_ms falls back to record_seconds');
});

t.test('RECORD_STOP paths and causes: NUL, CR, LF, empty, huge', async (t) => {
  for (const path of ['', '/tmp/rec/a\u0000.wav', '/tmp/rec/a.wav\r\nuuid_kill x', '/tmp/rec/a\n.wav', `/tmp/${'a'.repeat(5000)}.wav`]) {
    t.equal(readRecordStop(stop({ 'Record-File-Path': path }), NOW), undefined, `path ${JSON.stringify(path.slice(0, 40))}: not a recording of ours`);
  }
  t.equal(readRecordStop(stop({ 'Record-File-Path': undefined }), NOW), undefined, 'no path: not ours');
  for (const cause of ['success\nsilence', 'a'.repeat(4096), '', '{"x":1}', 'é']) {
    t.equal(readRecordStop(stop({ variable_record_completion_cause: cause }), NOW)?.result.completionCause, 'unknown', `cause ${JSON.stringify(cause.slice(0, 20))}: unknown`);
  }
  t.equal(readRecordStop(stop({ variable_record_completion_cause: 'empty-file' }), NOW)?.discarded, true, 'a real discard cause still discards');
});

t.test('field readers: times, uuids', async (t) => {
  t.equal(microsToMs('1795480419788961'), 1795480419788);
  for (const v of ['99999999999999999999', '-1', '1.5', '1e3', '', '0', undefined]) t.equal(microsToMs(v), undefined, `micros ${JSON.stringify(v)}`);
  t.equal(validUuid('ea69231c-2b51-4e64-9cb8-0fa6c9963645'), 'ea69231c-2b51-4e64-9cb8-0fa6c9963645');
  t.equal(validUuid('old-1'), 'old-1', 'origination_uuid may be any token');
  for (const v of ['', ' ', 'a b', 'a\nuuid_kill b', 'a\u0000', '-leading', 'x'.repeat(129), 'é']) t.equal(validUuid(v), undefined, `uuid ${JSON.stringify(v.slice(0, 20))}`);
});

t.test('legFromEvent on mutated channel events: never throws, never a bad uuid, times in range', async (t) => {
  const mutations: Array<Record<string, string>> = [
    { 'Unique-ID': '' },
    { 'Unique-ID': 'a b\r\napi uuid_kill all' },
    { 'Channel-Call-UUID': 'bad uuid', variable_call_uuid: '' },
    { 'Caller-Channel-Created-Time': '99999999999999999999', 'Event-Date-Timestamp': '-5' },
    { 'Caller-Channel-Answered-Time': '1e400', 'Caller-Channel-Bridged-Time': 'NaN', 'Other-Leg-Unique-ID': '\u0000' },
    { 'Call-Direction': 'sideways', 'Answer-State': '\u0000' },
    { 'Caller-Caller-ID-Name': 'x'.repeat(100_000), variable_fsrecd_recording: '/tmp/a\nb' },
  ];
  for (const m of mutations) {
    const leg = legFromEvent(recordToEvent({ ...CREATE, ...m }), names, NOW);
    if (!leg) {
      t.notOk(validUuid(m['Unique-ID']), `${JSON.stringify(m).slice(0, 60)}: dropped only for a bad Unique-ID`);
      continue;
    }
    t.ok(validUuid(leg.uuid) && validUuid(leg.callUuid), `${JSON.stringify(m).slice(0, 60)}: uuids valid`);
    t.ok(leg.otherLegUuid === undefined || validUuid(leg.otherLegUuid), 'other leg valid or absent');
    t.ok(Number.isFinite(leg.createdAt) && leg.createdAt > 0 && leg.createdAt <= 253402300799999, 'created time printable');
    t.doesNotThrow(() => new Date(leg.createdAt).toISOString());
    t.ok(leg.callerName.length <= 1024, 'text bounded');
    t.ok(leg.recordingPath === undefined || !/[\r\n\0]/.test(leg.recordingPath), 'no control characters in a path');
    t.ok(leg.direction === 'inbound' || leg.direction === 'outbound', 'direction is one of the two');
  }
  t.equal(legFromEvent(recordToEvent({ ...CREATE, 'Channel-Call-UUID': 'bad uuid', variable_call_uuid: '' }), names, NOW)?.callUuid, CREATE['Unique-ID'], 'a bad call uuid falls back to the leg');
  t.equal(legFromEvent(recordToEvent({ ...CREATE, 'Caller-Channel-Created-Time': '99999999999999999999', 'Event-Date-Timestamp': '-5' }), names, NOW)?.createdAt, NOW, 'bad times fall back to now');
});

t.test('registry fed with mutated events: no throw, no undefined call to a listener, the real call still works', async (t) => {
  const bus = new Bus();
  const reg = new CallRegistry(bus, names, () => NOW);
  const problems: string[] = [];
  const check = (what: string) => (leg: { uuid: string }, call: { uuid: string; legs: Map<string, unknown> } | undefined) => {
    if (!call || !call.legs.has(leg.uuid)) problems.push(`${what}: leg ${leg.uuid} handed without its call`);
    if (!validUuid(leg.uuid)) problems.push(`${what}: bad uuid ${JSON.stringify(leg.uuid)}`);
  };
  bus.on('legCreated', check('legCreated'));
  bus.on('legAnswered', check('legAnswered'));
  bus.on('legParked', check('legParked'));
  bus.on('callBridged', (call, a) => check('callBridged')(a, call));
  bus.on('dtmf', (leg, call, digit, at) => {
    check('dtmf')(leg, call);
    if (!/^[0-9*#A-D]$/.test(digit)) problems.push(`dtmf digit ${JSON.stringify(digit)}`);
    if (!Number.isFinite(at)) problems.push(`dtmf time ${at}`);
  });
  const A = CREATE['Unique-ID'] ?? '';
  const hostile = ['', ' ', '\u0000', 'a\r\nb', 'x'.repeat(5000), '99999999999999999999', '-1', '%ZZ', 'é', A];
  const kinds = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_PARK', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'DTMF', 'RECORD_START', 'RECORD_STOP', 'CHANNEL_HANGUP_COMPLETE'];
  const fieldsToBreak = ['Unique-ID', 'Channel-Call-UUID', 'Other-Leg-Unique-ID', 'Event-Date-Timestamp', 'Caller-Channel-Answered-Time', 'DTMF-Digit', 'Call-Direction', 'variable_call_uuid'];
  let n = 0;
  for (const kind of kinds) {
    for (const field of fieldsToBreak) {
      for (const value of hostile) {
        t.doesNotThrow(() => reg.apply(recordToEvent({ ...CREATE, 'Event-Name': kind, [field]: value, 'Other-Leg-Unique-ID': field === 'Other-Leg-Unique-ID' ? value : A })), `${kind} ${field}=${JSON.stringify(value.slice(0, 12))}`, { diagnostic: false });
        n++;
      }
    }
  }
  t.ok(n > 500, `${n} mutated events applied`);
  t.same(problems, [], 'every listener got a valid leg and its call');
  for (const leg of reg.calls()) for (const l of leg.legs.values()) t.ok(validUuid(l.uuid), `registered leg ${JSON.stringify(l.uuid.slice(0, 40))} is valid`);

  // Afterwards a clean call goes through as ever.
  reg.apply(recordToEvent({ ...CREATE, 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' }));
  const created: string[] = [];
  bus.on('legCreated', (leg) => created.push(leg.uuid));
  reg.apply(recordToEvent({ ...CREATE, 'Event-Name': 'CHANNEL_CREATE' }));
  t.same(created, [A], 'a clean CHANNEL_CREATE after the storm is announced');
  reg.apply(recordToEvent({ ...CREATE, 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' }));
  t.equal(reg.leg(A), undefined, 'and forgotten at hangup');
});
