/**
 * Regenerates src/sim/captured-frames.json from the real FreeSWITCH 1.10.9 captures in
 * test/fixtures/freeswitch-esl/, so the simulator's events carry the same headers, in the same order,
 * as a real FreeSWITCH's. Run: npx tsx scripts/extract-sim-templates.ts [output file]
 * (the output defaults to src/sim/captured-frames.json; test/repo/standalone.test.ts writes elsewhere and
 * compares, so the committed file is always what the captures in the repository give).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FrameParser, type EslFrame } from '../src/esl/frame-parser';
import { jsonEvent, plainEvent } from '../src/esl/event';
import type { EslEvent } from '../src/esl/types';

const dir = join(__dirname, '../test/fixtures/freeswitch-esl');

function events(file: string): EslEvent[] {
  const frames: EslFrame[] = [];
  const parser = new FrameParser({ frame: (f) => frames.push(f), malformed: (r) => console.error(r) });
  parser.push(readFileSync(join(dir, file)));
  return frames.flatMap((f) => {
    const type = f.headers.get('Content-Type');
    if (type === 'text/event-plain') return [plainEvent(f.body)];
    if (type === 'text/event-json') return [jsonEvent(f.body)].filter((e): e is EslEvent => !!e);
    return [];
  });
}

function pairs(ev: EslEvent): Array<[string, string]> {
  return ev.headerNames().map((n) => [n, ev.get(n) ?? '']);
}

const A = 'ea69231c-2b51-4e64-9cb8-0fa6c9963645';
const bridged = events('06-bridged-call-dtmf-record.raw');
const single = events('02-answered-call-record.raw').filter((e) => e.name !== 'REQUEST_PARAMS');
const carrier = events('09-carrier-hostile-callerid.raw');
const park = events('08-star26-json.raw');
const bgjob = events('01-handshake-api.raw').find((e) => e.name === 'BACKGROUND_JOB');
const heartbeat = events('14-heartbeat.raw').find((e) => e.name === 'HEARTBEAT');

const out: Record<string, Array<[string, string]>> = {};
// A second capture of the same event on a hung-up channel (RECORD_STOP at hangup) is kept as `<key>.hangup`.
const take = (key: string, ev: EslEvent | undefined): void => {
  if (!ev) return;
  if (!out[key]) out[key] = pairs(ev);
  else if (ev.get('Answer-State') === 'hangup' && !out[`${key}.hangup`]) out[`${key}.hangup`] = pairs(ev);
};
for (const ev of bridged) take(`bridged.${ev.get('Unique-ID') === A ? 'a' : 'b'}.${ev.name}`, ev);
for (const ev of single) take(`single.a.${ev.name}`, ev);
for (const ev of carrier) take(`carrier.a.${ev.name}`, ev);
for (const ev of park) take(`park.a.${ev.name}`, ev);
take('BACKGROUND_JOB', bgjob);
take('HEARTBEAT', heartbeat);

/**
 * The call flows of captures 10-13 (blind transfer, attended transfer by uuid_bridge, originate, mod_callcenter
 * queue), every event kept: `flow:<flow>.<role>.<name>.<n>` is the n-th (from 0) <name> event of that leg in
 * the capture, `<name>` being `CUSTOM:<CC-Action>` for mod_callcenter's events. Roles are the legs in order of
 * appearance (a, b, c; queue: a = member, b = agent; q = no channel). The legs' uuids (and the queue member's)
 * become `{leg:a}`, `{leg:b}`, `{leg:c}`, `{member}` so src/sim/flow-templates.ts can put this call's in.
 */
const FLOWS: Array<[string, string]> = [
  ['blind', '10-blind-transfer.raw'],
  ['attended', '11-attended-transfer-bridge.raw'],
  ['originate', '12-originate.raw'],
  ['queue', '13-callcenter-queue.raw'],
];
for (const [flow, file] of FLOWS) {
  const evs = events(file);
  const legs: string[] = [];
  for (const ev of evs) {
    const u = ev.get('Unique-ID');
    if (u && !legs.includes(u)) legs.push(u);
  }
  const member = evs.map((e) => e.get('CC-Member-UUID')).find((u): u is string => !!u);
  const placeholders = (v: string): string => {
    let out = v;
    legs.forEach((u, i) => (out = out.split(u).join(`{leg:${'abc'[i] ?? 'x'}}`)));
    return member ? out.split(member).join('{member}') : out;
  };
  const seen = new Map<string, number>();
  for (const ev of evs) {
    const u = ev.get('Unique-ID');
    const role = u ? ('abc'[legs.indexOf(u)] ?? 'x') : 'q';
    const name = ev.name === 'CUSTOM' ? `CUSTOM:${ev.get('CC-Action') ?? ''}` : ev.name;
    const base = `flow:${flow}.${role}.${name}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out[`${base}.${n}`] = pairs(ev).map(([k, v]) => [k, placeholders(v)]);
  }
}

// One line per event: headers in wire order, values decoded. Loaded by src/sim/captured-events.ts.
const body = `{\n${Object.entries(out).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
writeFileSync(process.argv[2] ? resolve(process.argv[2]) : join(__dirname, '../src/sim/captured-frames.json'), body);
console.log(Object.keys(out).join('\n'));
