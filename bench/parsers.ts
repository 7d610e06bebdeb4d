/** Parser throughput: a bare header splitter (reference), ours, and modesl's, on the same real-sized events. */
import { PassThrough } from 'node:stream';
import { plainEvent } from '../src/esl/event';
import { FrameParser } from '../src/esl/frame-parser';

const NEEDED = ['Event-Name', 'Unique-ID', 'Channel-Call-UUID', 'Call-Direction', 'Caller-Caller-ID-Number', 'Caller-Destination-Number', 'Caller-Context', 'variable_domain_name', 'variable_user_name', 'variable_dialed_user', 'Other-Leg-Unique-ID', 'DTMF-Digit', 'Record-File-Path', 'Answer-State', 'Event-Date-Timestamp'];

function chunks(bytes: Buffer, size = 65536): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** The reference: split frames on Content-Length, split headers on ': ', decode nothing. */
function bareSplitter(parts: Buffer[]): number {
  let buf: Buffer = Buffer.alloc(0);
  let events = 0;
  for (const c of parts) {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    for (;;) {
      const end = buf.indexOf('\n\n');
      if (end < 0) break;
      const head = buf.toString('latin1', 0, end);
      const m = /Content-Length: (\d+)/.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 2 + len) break;
      const body = buf.toString('utf8', end + 2, end + 2 + len);
      const headers = new Map<string, string>();
      for (const line of body.split('\n')) {
        const i = line.indexOf(': ');
        if (i > 0) headers.set(line.slice(0, i), line.slice(i + 2));
      }
      if (headers.has('Event-Name')) events++;
      buf = buf.subarray(end + 2 + len);
    }
  }
  return events;
}

function ours(parts: Buffer[]): number {
  let events = 0;
  let sink = 0;
  const p = new FrameParser({
    frame: (f) => {
      const ev = plainEvent(f.body);
      for (const h of NEEDED) sink += ev.get(h)?.length ?? 0;
      events++;
    },
    malformed: () => undefined,
  });
  for (const c of parts) p.push(c);
  return sink >= 0 ? events : 0;
}

function modesl(parts: Buffer[]): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Parser } = require('modesl') as { Parser: new (s: PassThrough) => NodeJS.EventEmitter };
  const socket = new PassThrough();
  const p = new Parser(socket);
  let events = 0;
  p.on('esl::event', () => events++);
  for (const c of parts) socket.emit('data', c);
  return events;
}

export function measureParsers(bytes: Buffer): Array<{ name: string; eventsPerSecond: number; events: number }> {
  const parts = chunks(bytes);
  const run = (name: string, fn: (p: Buffer[]) => number): { name: string; eventsPerSecond: number; events: number } => {
    fn(parts); // warm-up
    const t0 = process.hrtime.bigint();
    const events = fn(parts);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return { name, eventsPerSecond: Math.round(events / s), events };
  };
  return [run('bare header splitter (reference)', bareSplitter), run('fsrecd parser + 15 headers read', ours), run('modesl 1.2.1 parser', modesl)];
}
