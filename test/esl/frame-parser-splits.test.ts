/**
 * The frame parser against every place TCP may cut a real FreeSWITCH stream: each capture, as sent (LF
 * framing) and with its frames re-written in CRLF framing, is cut at every byte offset, and the frames
 * must be exactly those of the uncut parse. Before this was fixed, a "\n\r\n" header end cut between the
 * CR and the LF was not seen: two frames merged and later replies went to the wrong command.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { FrameParser, type EslFrame } from '../../src/esl/frame-parser';
import { FIXTURE_DIR, fixture } from '../helpers/fixtures';
import { parseAll } from '../helpers/frames';

// every byte of every capture is a cut point: 20-30 s here, more on a slow machine.
t.setTimeout(240_000);

const CAPTURES = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.raw')).sort();

/**
 * Frame boundaries found independently of FrameParser (whole buffer at hand, no chunking): header end at
 * the first "\n\n" or "\n\r\n", then Content-Length bytes of body.
 */
function frameSpans(buf: Buffer): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let at = 0; at < buf.length; ) {
    let end = -1;
    let size = 0;
    for (let i = buf.indexOf(0x0a, at); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
      if (buf[i + 1] === 0x0a) [end, size] = [i, 2];
      else if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) [end, size] = [i, 3];
      if (end >= 0) break;
    }
    if (end < 0) throw new Error(`no header end after byte ${at}`);
    const length = /(?:^|\n)Content-Length: (\d+)/.exec(buf.toString('latin1', at, end))?.[1];
    const stop = end + size + (length ? Number(length) : 0);
    spans.push([at, stop]);
    at = stop;
  }
  return spans;
}

/** The same frames in CRLF framing (header lines and the blank line end in "\r\n"; bodies untouched). */
function crlf(frames: EslFrame[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => [Buffer.from(`${[...f.headers].map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`), f.body]),
  );
}

/** '' when equal, else what differs first. Cheap: it runs once per cut, a million times. */
function difference(got: EslFrame[], want: EslFrame[]): string {
  if (got.length !== want.length) return `${got.length} frames instead of ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as EslFrame;
    const w = want[i] as EslFrame;
    let same = g.headers.size === w.headers.size;
    if (same) {
      const gi = g.headers.entries();
      for (const [k, v] of w.headers) {
        const next = gi.next().value;
        if (!next || next[0] !== k || next[1] !== v) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      const show = (f: EslFrame): string => JSON.stringify([...f.headers].join('|').slice(0, 120));
      return `frame ${i} headers ${show(g)} instead of ${show(w)}`;
    }
    if (!g.body.equals(w.body)) return `frame ${i} body of ${g.body.length} bytes instead of ${w.body.length}`;
  }
  return '';
}

function parseCut(parts: Buffer[]): { frames: EslFrame[]; problems: string[] } {
  const frames: EslFrame[] = [];
  const problems: string[] = [];
  const parser = new FrameParser({ frame: (f) => frames.push(f), malformed: (r) => problems.push(r) });
  for (const p of parts) parser.push(p);
  return { frames, problems };
}

/**
 * Every cut of `stream`. The parser holds nothing between frames (after a frame its buffer is empty and
 * its search restarts), so cutting the whole stream at k is the same as cutting the frame that holds k,
 * followed by the next frame (which a missed header end would swallow): that window is what is parsed,
 * keeping ~1,000,000 cuts to seconds. The small captures are also cut whole, literally.
 */
function everyCut(stream: Buffer, want: EslFrame[]): { cuts: number; failures: string[] } {
  const spans = frameSpans(stream);
  if (spans.length !== want.length) return { cuts: 0, failures: [`${spans.length} spans but ${want.length} frames`] };
  const failures: string[] = [];
  let cuts = 0;
  for (let i = 0; i < spans.length; i++) {
    const [start, end] = spans[i] as [number, number];
    const windowEnd = spans[i + 1]?.[1] ?? end;
    const expected = want.slice(i, i + 2);
    for (let k = start + 1; k <= end; k++) {
      cuts++;
      const got = parseCut([stream.subarray(start, k), stream.subarray(k, windowEnd)]);
      const diff = got.problems.length > 0 ? got.problems.join('; ') : difference(got.frames, expected);
      if (diff && failures.length < 5) failures.push(`cut at byte ${k} (frame ${i}): ${diff}`);
    }
  }
  if (stream.length <= 4096) {
    for (let k = 1; k < stream.length; k++) {
      cuts++;
      const got = parseCut([stream.subarray(0, k), stream.subarray(k)]);
      const diff = got.problems.length > 0 ? got.problems.join('; ') : difference(got.frames, want);
      if (diff && failures.length < 5) failures.push(`whole stream cut at byte ${k}: ${diff}`);
    }
  }
  return { cuts, failures };
}

for (const name of CAPTURES) {
  t.test(`${name}: every cut, LF and CRLF framing, gives the uncut frames`, async (t) => {
    const lf = fixture(name);
    const whole = parseAll([lf]);
    t.ok(whole.frames.length > 0, 'frames found');
    t.same(whole.malformed, [], 'the capture parses cleanly');
    const asSent = everyCut(lf, whole.frames);
    t.same(asSent.failures, [], `LF framing: ${asSent.cuts} cuts`);
    t.equal(asSent.cuts >= lf.length - 1, true, 'every byte offset was a cut');

    const cr = crlf(whole.frames);
    const crWhole = parseAll([cr]);
    t.equal(difference(crWhole.frames, whole.frames), '', 'CRLF framing, uncut: the same frames');
    const crCut = everyCut(cr, whole.frames);
    t.same(crCut.failures, [], `CRLF framing: ${crCut.cuts} cuts`);
  });
}

t.test('a CRLF header end cut between CR and LF no longer merges two replies', async (t) => {
  const first = 'Content-Type: api/response\r\nContent-Length: 5\r\n\r\nfirst';
  const second = 'Content-Type: api/response\r\nContent-Length: 6\r\n\r\nsecond';
  const stream = Buffer.from(first + second);
  const cut = first.indexOf('\r\n\r\n') + 3; // "…\r\n\r" | "\nfirst…"
  const { frames, problems } = parseCut([stream.subarray(0, cut), stream.subarray(cut)]);
  t.same(problems, []);
  t.same(
    frames.map((f) => f.body.toString()),
    ['first', 'second'],
    'each reply keeps its own body (the old parser gave one frame, "second", with both header blocks)',
  );
});

t.test('header end cut at each of its bytes, one byte per chunk too', async (t) => {
  for (const end of ['\n\n', '\n\r\n', '\r\n\r\n']) {
    const frame = `Content-Type: command/reply${end.startsWith('\r') ? '\r\n' : '\n'}Reply-Text: +OK${end}`;
    const stream = Buffer.from(frame + frame.replace('+OK', '+OK 2'));
    const bytes = parseCut([...stream].map((b) => Buffer.from([b])));
    t.same(
      bytes.frames.map((f) => f.headers.get('Reply-Text')),
      ['+OK', '+OK 2'],
      `${JSON.stringify(end)} byte by byte`,
    );
  }
});
