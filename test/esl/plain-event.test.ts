/**
 * plainEvent reads header values from the event's bytes (it no longer decodes the whole header block into
 * a string). The reference below is the string reading it replaced, kept here as the specification: the
 * same values, name, body and header names for well-formed events and for odd ones (CRLF, a lone CR, a
 * header on the first or last line, invalid UTF-8, a body with header-like lines, no blank line at all).
 */
import t, { type Test } from 'tap';
import { plainEvent, urlDecode } from '../../src/esl/event';
import { parseHeaderBlock } from '../../src/esl/frame-parser';

/** The string reading plainEvent had before (commit 2096ed5), value for value. */
function reference(body: Buffer): { name: string; body: string; get(h: string): string | undefined; headerNames(): string[] } {
  let end = body.indexOf('\n\n');
  const text = body.toString('utf8', 0, end < 0 ? body.length : end);
  const block = `\n${text.includes('\r') ? text.replace(/\r\n/g, '\n') : text}\n`;
  let inner = '';
  if (end >= 0) {
    end += 2;
    const at = block.indexOf('\nContent-Length: ');
    const length = at < 0 ? NaN : parseInt(block.slice(at + 17, at + 30), 10);
    if (Number.isSafeInteger(length) && length > 0) inner = body.toString('utf8', end, Math.min(body.length, end + length));
  }
  const get = (header: string): string | undefined => {
    const key = `\n${header}: `;
    const at = block.indexOf(key);
    if (at < 0) return undefined;
    const from = at + key.length;
    const lineEnd = block.indexOf('\n', from);
    return urlDecode(block.slice(from, lineEnd < 0 ? block.length : lineEnd));
  };
  return { name: get('Event-Name') ?? '', body: inner, get, headerNames: () => [...parseHeaderBlock(block).keys()] };
}

const NAMES = ['Event-Name', 'Unique-ID', 'Caller-Caller-ID-Name', 'Content-Length', 'variable_x', 'A', 'Missing'];

function same(t: Test, body: Buffer, what: string): void {
  const ours = plainEvent(body);
  const ref = reference(body);
  t.equal(ours.name, ref.name, `${what}: name`);
  t.equal(ours.body, ref.body, `${what}: body`);
  for (const h of NAMES) t.equal(ours.get(h), ref.get(h), `${what}: ${h}`);
  t.same(ours.headerNames(), ref.headerNames(), `${what}: header names`);
}

t.test('a real-looking event: values, URL decoding, its own body', async (t) => {
  const inner = 'line one\nUnique-ID: not-a-header\n';
  const text = `Event-Name: CHANNEL_CREATE\nUnique-ID: 0e3c-1\nCaller-Caller-ID-Name: J%C3%BCrgen%20M\nContent-Length: ${Buffer.byteLength(inner)}\n\n${inner}`;
  const ev = plainEvent(Buffer.from(text));
  t.equal(ev.name, 'CHANNEL_CREATE');
  t.equal(ev.get('Unique-ID'), '0e3c-1', 'the header, not the body line of the same name');
  t.equal(ev.get('Caller-Caller-ID-Name'), 'Jürgen M');
  t.equal(ev.get('Event'), undefined, 'a prefix of a name is not the name');
  t.equal(ev.body, inner);
  t.same(ev.headerNames(), ['Event-Name', 'Unique-ID', 'Caller-Caller-ID-Name', 'Content-Length']);
  same(t, Buffer.from(text), 'real-looking');
});

t.test('odd blocks read as the string reading read them', async (t) => {
  const cases: Record<string, string | Buffer> = {
    'CRLF lines': 'Event-Name: CUSTOM\r\nUnique-ID: u1\r\nA: x\r\n\nbody',
    'CRLF framing throughout (no LF LF)': 'Event-Name: CUSTOM\r\nContent-Length: 3\r\n\r\nabc',
    'CR before the block end kept': 'A: v\r\n\n',
    'lone CR inside a value': 'A: a\rb\nEvent-Name: X\n\n',
    'two CRs before LF': 'A: a\r\r\nEvent-Name: X\n\n',
    'empty value': 'A: \nEvent-Name: \n\n',
    'value of only CR': 'A: \r\n\n',
    'first line is the header': 'Unique-ID: first\nX: y\nUnique-ID: second\n\n',
    'last line, no terminator': 'X: y\nUnique-ID: last',
    'name without a space after the colon': 'A:x\nEvent-Name:Y\n\n',
    'Content-Length beyond the bytes': 'Event-Name: E\nContent-Length: 999\n\nshort',
    'Content-Length not a number': 'Event-Name: E\nContent-Length: 1x\n\nabc',
    'Content-Length zero': 'Event-Name: E\nContent-Length: 0\n\nabc',
    'Content-Length on the first line': 'Content-Length: 2\nEvent-Name: E\n\nabc',
    'malformed percent': 'Event-Name: E\nA: 100%\n\n',
    'empty': '',
    'only the blank line': '\n\n',
    'header name in a value': 'X: Unique-ID: fake\nUnique-ID: real\n\n',
    'invalid UTF-8 around values': Buffer.concat([Buffer.from('A: \xff'), Buffer.from([0xc3]), Buffer.from('\nEvent-Name: '), Buffer.from([0xe2, 0x82]), Buffer.from('Z\n\n')]),
  };
  for (const [what, text] of Object.entries(cases)) same(t, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, what);
});

t.test('random blocks (seeded) read as the string reading read them', async (t) => {
  const pieces = ['\n', '\r', '\r\n', ': ', ':', ' ', 'A', 'Event-Name', 'Unique-ID', 'Content-Length', 'variable_x', '7', '%41', '%', 'é', '\u{1F600}', 'x'];
  let s = 20261127;
  const next = (n: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  for (let i = 0; i < 2000; i++) {
    let text = '';
    const n = next(40);
    for (let j = 0; j < n; j++) text += pieces[next(pieces.length)];
    const bytes = Buffer.from(text, 'utf8');
    // Now and then a stray byte that is not UTF-8.
    if (next(5) === 0 && bytes.length > 0) bytes[next(bytes.length)] = 0x80 + next(0x80);
    const ours = plainEvent(bytes);
    const ref = reference(bytes);
    const mismatch = [ours.name !== ref.name, ours.body !== ref.body, ...NAMES.map((h) => ours.get(h) !== ref.get(h)), JSON.stringify(ours.headerNames()) !== JSON.stringify(ref.headerNames())].some(Boolean);
    if (mismatch) {
      same(t, bytes, `random ${i} ${JSON.stringify(bytes.toString('latin1'))}`);
      return;
    }
  }
  t.pass('2000 random blocks agree');
});
