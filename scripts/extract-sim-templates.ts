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

// One line per event: headers in wire order, values decoded. Loaded by src/sim/captured-events.ts.
const body = `{\n${Object.entries(out).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
writeFileSync(process.argv[2] ? resolve(process.argv[2]) : join(__dirname, '../src/sim/captured-frames.json'), body);
console.log(Object.keys(out).join('\n'));
