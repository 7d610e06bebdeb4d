/**
 * Malformed and fuzzed ESL frames made from the real FreeSWITCH captures (test/fixtures/freeswitch-esl):
 * a seeded PRNG (FUZZ_SEED replays a run) picks a real event and breaks it — flipped bytes, truncation,
 * duplicated or dropped headers, huge and out-of-range numbers, bad %-encoding, NUL/CR/LF, 4 KB values,
 * unicode, a lying Content-Length, another event's name, a live call's uuid or recording path.
 */
import { randomInt } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fixture, FIXTURE_DIR } from '../helpers/fixtures';
import { parseAll } from '../helpers/frames';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** FUZZ_SEED when set (to replay a failure), else a fresh one; the test prints it. */
export function fuzzSeed(): number {
  const fromEnv = process.env.FUZZ_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`FUZZ_SEED must be a non-negative integer, got ${JSON.stringify(fromEnv)}`);
    return n;
  }
  return randomInt(0, 2 ** 31);
}

/** One event as it came off the wire: its Content-Type and body (plain: header lines; json: a JSON object). */
export interface CapturedEvent {
  type: 'text/event-plain' | 'text/event-json';
  body: Buffer;
  source: string;
}

/** Every event frame of every .raw capture. */
export function capturedEvents(): CapturedEvent[] {
  const out: CapturedEvent[] = [];
  for (const file of readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.raw')).sort()) {
    for (const f of parseAll([fixture(file)]).frames) {
      const type = f.headers.get('Content-Type');
      if (type === 'text/event-plain' || type === 'text/event-json') out.push({ type, body: f.body, source: file });
    }
  }
  return out;
}

/** An event frame with a correct Content-Length, as mod_event_socket sends one. */
export function frameOf(type: string, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\nContent-Type: ${type}\n\n`), b]);
}

/** What the harness knows of the daemon's state, so mutations can aim at live calls and recordings. */
export interface FuzzTargets {
  liveUuids(): string[];
  livePaths(): string[];
}

const EVENT_NAMES = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_PARK', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_HANGUP_COMPLETE', 'DTMF', 'RECORD_START', 'RECORD_STOP', 'BACKGROUND_JOB', 'CUSTOM', '', 'record_stop', 'RECORD_STOP\u0000', 'X'.repeat(300)];
const NUMERIC_FIELDS = ['Event-Date-Timestamp', 'Caller-Channel-Created-Time', 'Caller-Channel-Answered-Time', 'Caller-Channel-Bridged-Time', 'variable_record_ms', 'variable_record_seconds', 'variable_record_file_size', 'variable_record_samples', 'Content-Length', 'Event-Sequence'];
const UUID_FIELDS = ['Unique-ID', 'Channel-Call-UUID', 'Other-Leg-Unique-ID', 'variable_call_uuid', 'variable_bridge_uuid', 'Bridge-B-Unique-ID'];
const TEXT_FIELDS = ['Caller-Caller-ID-Number', 'Caller-Caller-ID-Name', 'Caller-Destination-Number', 'Caller-Context', 'variable_domain_name', 'variable_user_name', 'variable_dialed_user', 'Call-Direction', 'Answer-State', 'DTMF-Digit', 'Record-File-Path', 'variable_record_completion_cause', 'variable_fsrecd_recording', 'variable_fsrecd_user', 'variable_sip_gateway_name', 'Channel-Name'];
/** Wire text (already %-encoded, or deliberately not) of hostile numbers. */
const HOSTILE_NUMBERS = ['99999999999999999999', '253402300800000000', '9007199254740993', '-1', '-1795480419788961', '0', '1e400', '1e308', 'NaN', 'Infinity', '-Infinity', '0x7fffffff', '1.5', '', '%20', '12abc', '٣٤٥', '1_000'];
/** Wire text of hostile values: bad %-encoding, control characters, unicode, long strings. */
const HOSTILE_TEXT = [
  '%', '%Z', '%E9%', '%C3', '%%41', '%ZZ%00', '%00', '%0D%0Auuid_kill%20all', '%0Aapi%20status', 'a%0D', '\r', 'x\ry',
  '%F0%9F%93%9E', '%E2%80%AE', '%C0%AF', '%ED%A0%80', '%FF%FE', encodeURIComponent('../../etc/passwd'), encodeURIComponent("'quoted' \"x\""),
  'é', '\u202e', '\ufeff', '%2F%2F%2F', '/tmp/rec/%00.wav', 'Ω'.repeat(50),
];

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const between = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

function longValue(r: Rand): string {
  return pick(r, ['A', '%41', 'é', '%E2%82%AC', '9']).repeat(between(r, 1000, 4096));
}

/** A text/event-plain body as header pairs (wire text) and its inner body. */
interface PlainParts {
  pairs: Array<[string, string]>;
  inner: Buffer;
  /** Text as it goes into a pair: plain bodies hold bytes (UTF-8 kept as latin1 chars), JSON holds text. */
  wire: (text: string) => string;
}

const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

function splitPlain(body: Buffer): PlainParts {
  const end = body.indexOf('\n\n');
  const head = body.toString('latin1', 0, end < 0 ? body.length : end);
  const inner = end < 0 ? Buffer.alloc(0) : body.subarray(end + 2);
  const pairs = head.split('\n').filter(Boolean).map((line): [string, string] => {
    const at = line.indexOf(': ');
    return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 2)];
  });
  return { pairs, inner, wire: asBytes };
}

function joinPlain(p: PlainParts): Buffer {
  return Buffer.concat([Buffer.from(p.pairs.map(([k, v]) => `${k}: ${v}`).join('\n'), 'latin1'), Buffer.from('\n\n'), p.inner]);
}

/** Sets a header (every occurrence), or adds it at a random place. */
function setHeader(r: Rand, p: PlainParts, name: string, value: string): void {
  let found = false;
  value = p.wire(value);
  name = p.wire(name);
  for (const pair of p.pairs) {
    if (pair[0] === name) {
      pair[1] = value;
      found = true;
    }
  }
  if (!found) p.pairs.splice(between(r, 0, p.pairs.length), 0, [name, value]);
}

/** One header-level mutation; returns its name (for the run's statistics). */
function mutateHeaders(r: Rand, p: PlainParts, targets: FuzzTargets, encode: (v: string) => string): string {
  const op = between(r, 0, 11);
  switch (op) {
    case 0:
      setHeader(r, p, pick(r, NUMERIC_FIELDS), pick(r, HOSTILE_NUMBERS));
      return 'out-of-range number';
    case 1:
      setHeader(r, p, pick(r, [...TEXT_FIELDS, ...UUID_FIELDS]), pick(r, HOSTILE_TEXT));
      return 'bad %-encoding / control / unicode';
    case 2:
      setHeader(r, p, pick(r, [...TEXT_FIELDS, ...UUID_FIELDS]), longValue(r));
      return '4 KB value';
    case 3: {
      const pair = p.pairs.length ? pick(r, p.pairs) : undefined;
      if (pair) p.pairs.splice(between(r, 0, p.pairs.length), 0, [pair[0], r() < 0.5 ? pair[1] : p.wire(pick(r, HOSTILE_TEXT))]);
      return 'duplicated header';
    }
    case 4:
      if (p.pairs.length) p.pairs.splice(between(r, 0, p.pairs.length - 1), 1);
      return 'dropped header';
    case 5:
      setHeader(r, p, 'Event-Name', pick(r, EVENT_NAMES));
      return 'other event name';
    case 6: {
      const live = targets.liveUuids();
      setHeader(r, p, pick(r, UUID_FIELDS), live.length && r() < 0.7 ? encode(pick(r, live)) : pick(r, HOSTILE_TEXT));
      return 'uuid of a live call / hostile uuid';
    }
    case 7: {
      // The case: a RECORD_STOP of a recording the daemon is making, with an impossible time.
      const paths = targets.livePaths();
      setHeader(r, p, 'Event-Name', 'RECORD_STOP');
      if (paths.length) setHeader(r, p, 'Record-File-Path', encode(pick(r, paths)));
      setHeader(r, p, pick(r, ['Event-Date-Timestamp', 'variable_record_ms', 'variable_record_file_size', 'variable_record_completion_cause']), r() < 0.5 ? pick(r, HOSTILE_NUMBERS) : pick(r, HOSTILE_TEXT));
      return 'RECORD_STOP of a live recording, hostile fields';
    }
    case 8: {
      const pair = p.pairs.length ? pick(r, p.pairs) : undefined;
      if (pair) pair[0] = p.wire(pick(r, ['', ' ', `${pair[0]} `, pair[0].toLowerCase(), `${pair[0]}\u0000`, 'X'.repeat(2000)]));
      return 'broken header name';
    }
    case 9: {
      const pair = p.pairs.length ? pick(r, p.pairs) : undefined;
      if (pair) pair[1] = `${pair[1].slice(0, between(r, 0, pair[1].length))}${p.wire(pick(r, ['%', '%0', '%0D%0A', '\r', '%00', '']))}`;
      return 'value cut mid-escape';
    }
    case 10:
      setHeader(r, p, 'Content-Length', pick(r, ['99999999', '-5', 'abc', '0', String(between(r, 1, 50))]));
      return 'inner Content-Length lie';
    default: {
      const live = targets.liveUuids();
      setHeader(r, p, 'DTMF-Digit', pick(r, ['*', '3', '#', '', '**', '%00', 'é', '10', 'A']));
      setHeader(r, p, 'Event-Name', 'DTMF');
      if (live.length) setHeader(r, p, 'Unique-ID', encode(pick(r, live)));
      return 'DTMF with a hostile digit';
    }
  }
}

function mutateJson(r: Rand, body: Buffer, targets: FuzzTargets): { body: Buffer; op: string } {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { body, op: 'json (unparsable kept)' };
  }
  const p: PlainParts = { pairs: Object.entries(obj).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]), inner: Buffer.alloc(0), wire: (v) => v };
  const op = mutateHeaders(r, p, targets, (v) => v);
  const out: Record<string, unknown> = {};
  for (const [k, v] of p.pairs) {
    // Sometimes a value of the wrong JSON type: a number, null, an array, an object.
    out[k] = r() < 0.05 ? pick(r, [1e308, -1, null, [v], { v }, true]) : decodeLoosely(v);
  }
  return { body: Buffer.from(JSON.stringify(out)), op: `json: ${op}` };
}

function decodeLoosely(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Byte-level damage to a whole frame. */
function mutateBytes(r: Rand, type: string, body: Buffer): { frame: Buffer; op: string } {
  const op = between(r, 0, 3);
  if (op === 0) {
    const b = Buffer.from(body);
    for (let i = between(r, 1, 8); i > 0; i--) b[between(r, 0, b.length - 1)] = between(r, 0, 255);
    return { frame: frameOf(type, b), op: 'flipped bytes' };
  }
  if (op === 1) return { frame: frameOf(type, body.subarray(0, between(r, 0, body.length))), op: 'truncated body' };
  if (op === 2) {
    // The outer Content-Length lies: the parser takes too little or too much, and must find its feet again.
    const lie = pick(r, [String(Math.max(0, body.length - between(r, 1, 200))), String(body.length + between(r, 1, 200)), 'abc', '-1', '99999999999']);
    return { frame: Buffer.concat([Buffer.from(`Content-Length: ${lie}\nContent-Type: ${type}\n\n`), body]), op: 'outer Content-Length lie' };
  }
  return { frame: Buffer.concat([frameOf(type, body).subarray(0, between(r, 1, 60)), Buffer.from('\n\n')]), op: 'frame cut in its headers' };
}

export interface Mutated {
  frame: Buffer;
  ops: string[];
  /** True when the frame's outer framing was broken: the parser may swallow what follows. */
  desyncs: boolean;
}

/** One mutated frame from a real event: 1–3 header mutations, sometimes byte damage on top. */
export function mutate(r: Rand, ev: CapturedEvent, targets: FuzzTargets): Mutated {
  const ops: string[] = [];
  let body = ev.body;
  for (let n = between(r, 1, 3); n > 0; n--) {
    if (ev.type === 'text/event-json') {
      const m = mutateJson(r, body, targets);
      body = m.body;
      ops.push(m.op);
    } else {
      const p = splitPlain(body);
      ops.push(mutateHeaders(r, p, targets, encodeURIComponent));
      body = joinPlain(p);
    }
  }
  if (r() < 0.15) {
    const m = mutateBytes(r, ev.type, body);
    ops.push(m.op);
    return { frame: m.frame, ops, desyncs: m.op === 'outer Content-Length lie' || m.op === 'frame cut in its headers' };
  }
  return { frame: frameOf(ev.type, body), ops, desyncs: false };
}

/** Replaces one header's wire value in a plain event body (for building clean events from captures). */
export function withHeaders(body: Buffer, values: Record<string, string>): Buffer {
  const p = splitPlain(body);
  for (const [k, v] of Object.entries(values)) {
    const pair = p.pairs.find(([name]) => name === k);
    if (pair) pair[1] = encodeURIComponent(v);
    else p.pairs.push([k, encodeURIComponent(v)]);
  }
  return joinPlain(p);
}
