import { jsonEvent, plainEvent } from '../../src/esl/event';
import { FrameParser, type EslFrame } from '../../src/esl/frame-parser';
import type { EslEvent } from '../../src/esl/types';

export function parseAll(chunks: Buffer[]): { frames: EslFrame[]; malformed: string[] } {
  const frames: EslFrame[] = [];
  const malformed: string[] = [];
  const parser = new FrameParser({ frame: (f) => frames.push(f), malformed: (r) => malformed.push(r) });
  for (const c of chunks) parser.push(c);
  return { frames, malformed };
}

export function eventsOf(frames: EslFrame[]): EslEvent[] {
  return frames.flatMap((f) => {
    const type = f.headers.get('Content-Type');
    if (type === 'text/event-plain') return [plainEvent(f.body)];
    if (type === 'text/event-json') {
      const ev = jsonEvent(f.body);
      return ev ? [ev] : [];
    }
    return [];
  });
}

/** Splits a buffer at pseudo-random points (seeded, so a failure reproduces). */
export function randomChunks(buf: Buffer, seed: number, maxLen = 97): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let i = 0; i < buf.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % maxLen);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}
