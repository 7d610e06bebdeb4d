import t from 'tap';
import { PassThrough } from 'node:stream';
import { fixture, RAW_FIXTURES } from '../helpers/fixtures';
import { eventsOf, parseAll, randomChunks } from '../helpers/frames';

interface ModeslEvent {
  headers: Array<{ name: string; value: string }>;
  getHeader(name: string): string | null;
}

// modesl is the reference: our parser must see the same events and headers in the real captures.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const modesl = require('modesl') as { Parser: new (socket: PassThrough) => NodeJS.EventEmitter };

function modeslEvents(buf: Buffer): Promise<ModeslEvent[]> {
  const socket = new PassThrough();
  const parser = new modesl.Parser(socket);
  const events: ModeslEvent[] = [];
  parser.on('esl::event', (ev: ModeslEvent) => events.push(ev));
  socket.write(buf);
  return new Promise((resolve) => setImmediate(() => resolve(events)));
}

for (const name of RAW_FIXTURES) {
  t.test(`${name}: whole, byte by byte and in random chunks give the same frames`, async (t) => {
    const buf = fixture(name);
    const whole = parseAll([buf]);
    const bytes = parseAll([...buf].map((b) => Buffer.from([b])));
    const random = parseAll(randomChunks(buf, name.length * 7919));
    t.ok(whole.frames.length > 0, 'frames found');
    t.same(whole.malformed, []);
    const shape = (fs: typeof whole.frames): string[] => fs.map((f) => `${[...f.headers].join('|')}#${f.body.toString('base64')}`);
    t.same(shape(bytes.frames), shape(whole.frames), 'byte by byte');
    t.same(shape(random.frames), shape(whole.frames), 'random chunks');
  });

  t.test(`${name}: same events and header values as modesl`, async (t) => {
    const buf = fixture(name);
    const ours = eventsOf(parseAll([buf]).frames);
    const theirs = (await modeslEvents(buf)).filter((e) => e.getHeader('Event-Name'));
    t.equal(ours.length, theirs.length, 'event count');
    for (let i = 0; i < ours.length; i++) {
      const o = ours[i];
      const m = theirs[i];
      if (!o || !m) continue;
      t.equal(o.name, m.getHeader('Event-Name'), `event ${i} name`);
      for (const h of ['Unique-ID', 'Caller-Caller-ID-Number', 'Event-Date-Local', 'Record-File-Path', 'variable_sip_full_from', 'DTMF-Digit']) {
        t.equal(o.get(h) ?? null, m.getHeader(h), `event ${i} ${h}`);
      }
    }
  });
}

t.test('several events in one packet, one split mid-header and mid-body', async (t) => {
  const ev = (id: number, body = ''): string => {
    const inner = `Event-Name: CUSTOM\nUnique-ID: u${id}\nX-Note: line%0Abreak\n${body ? `Content-Length: ${Buffer.byteLength(body)}\n\n${body}` : '\n'}`;
    return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-plain\n\n${inner}`;
  };
  const stream = Buffer.from(ev(1) + ev(2, 'héllo\nwörld') + ev(3));
  const cut1 = stream.indexOf('Unique-ID: u2') + 5;
  const cut2 = stream.indexOf('wörld') + 2;
  const { frames } = parseAll([stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]);
  const events = eventsOf(frames);
  t.same(events.map((e) => e.get('Unique-ID')), ['u1', 'u2', 'u3']);
  t.equal(events[1]?.body, 'héllo\nwörld', 'inner body by byte length, UTF-8 intact');
  t.equal(events[0]?.get('X-Note'), 'line\nbreak', '%0A decoded on get()');
});

t.test('a malformed % neither throws nor hides the event', async (t) => {
  const inner = 'Event-Name: CHANNEL_CREATE\nCaller-Caller-ID-Number: %E0%A4%A\nUnique-ID: ok\n\n';
  const frame = Buffer.from(`Content-Length: ${inner.length}\nContent-Type: text/event-plain\n\n${inner}`);
  const events = eventsOf(parseAll([frame]).frames);
  t.equal(events.length, 1);
  t.equal(events[0]?.get('Caller-Caller-ID-Number'), '%E0%A4%A', 'raw value instead of a URIError');
  t.equal(events[0]?.get('Unique-ID'), 'ok');
});

t.test('a malformed frame does not wedge the stream', async (t) => {
  const bad = 'Content-Type: api/response\nContent-Length: banana\n\n';
  const good = 'Content-Type: api/response\nContent-Length: 3\n\n+OK';
  const { frames, malformed } = parseAll([Buffer.from(bad + good)]);
  t.equal(malformed.length, 1, 'reported');
  t.equal(frames.at(-1)?.body.toString(), '+OK', 'the next good frame still arrives');
  const junk = parseAll([Buffer.from('garbage without colon\n\n' + good)]);
  t.equal(junk.frames.at(-1)?.body.toString(), '+OK');
});

t.test('Content-Length: 0 as the last bytes of a chunk is an empty body, not a crash', async (t) => {
  const empty = 'Content-Type: api/response\nContent-Length: 0\n\n';
  const next = 'Content-Type: api/response\nContent-Length: 3\n\n+OK';
  const { frames, malformed } = parseAll([Buffer.from(empty), Buffer.from(next)]);
  t.same(malformed, []);
  t.same(frames.map((f) => f.body.toString()), ['', '+OK']);
});
