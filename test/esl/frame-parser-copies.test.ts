/**
 * What the frame parser copies when a frame is cut between two socket reads: only the cut frame's bytes
 * (its header, or its body), never the whole next read. Before, every read that did not start on a frame
 * boundary (nearly all of them under load) was concatenated whole with the leftover: a second copy of
 * every byte FreeSWITCH sent, in native memory the daemon's RSS kept.
 */
import t from 'tap';
import { FrameParser, type EslFrame } from '../../src/esl/frame-parser';

function frame(body: string): Buffer {
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`);
}

function parser(): { frames: EslFrame[]; push(b: Buffer): void } {
  const frames: EslFrame[] = [];
  const p = new FrameParser({ frame: (f) => frames.push(f), malformed: (r) => t.fail(r) });
  return { frames, push: (b) => p.push(b) };
}

/** The read that follows the cut, as a socket hands it over: a Buffer of its own memory. */
function ownRead(bytes: Buffer): Buffer {
  const b = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(b);
  return b;
}

t.test('a frame header cut between reads: the frames after it are views of the next read', async (t) => {
  // The header search takes in the next read 1 KB at a time; the frames after the cut one start past that.
  const second = 's'.repeat(2000);
  const stream = Buffer.concat([frame('first'), frame(second), frame('third'), frame('x'.repeat(4000))]);
  const cut = stream.indexOf('Content-Type', frame('first').length); // inside the second frame's header
  const p = parser();
  p.push(stream.subarray(0, cut));
  const next = ownRead(stream.subarray(cut));
  p.push(next);
  t.same(p.frames.map((f) => f.body.toString()), ['first', second, 'third', 'x'.repeat(4000)]);
  t.equal(p.frames[2]?.body.buffer, next.buffer, 'a whole frame in the next read is not copied');
  t.equal(p.frames[3]?.body.buffer, next.buffer, 'nor is the last one');
});

t.test('a body cut between reads: only that body is copied, the rest stays a view', async (t) => {
  const stream = Buffer.concat([frame('a'.repeat(3000)), frame('after'), frame('y'.repeat(5000))]);
  const cut = 1500;
  const p = parser();
  p.push(stream.subarray(0, cut));
  const next = ownRead(stream.subarray(cut));
  p.push(next);
  t.same(p.frames.map((f) => f.body.length), [3000, 5, 5000]);
  t.equal(p.frames[0]?.body.toString(), 'a'.repeat(3000), 'the cut body is whole');
  t.not(p.frames[0]?.body.buffer, next.buffer, 'the cut body is a copy of its own');
  t.equal(p.frames[1]?.body.buffer, next.buffer, 'the next frame is a view of the read');
  t.equal(p.frames[2]?.body.buffer, next.buffer, 'and so is the one after');
});

t.test('a header cut many times (byte by byte) still parses, with linear copying', async (t) => {
  const stream = Buffer.concat([frame('one'), frame('two')]);
  const p = parser();
  for (const b of stream) p.push(Buffer.from([b]));
  t.same(p.frames.map((f) => f.body.toString()), ['one', 'two']);
});
