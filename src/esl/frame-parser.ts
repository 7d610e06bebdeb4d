/**
 * Incremental parser of mod_event_socket frames: header lines, a blank line, then exactly Content-Length
 * bytes of body. Works on Buffers (byte lengths; bodies may hold UTF-8), keeps unconsumed bytes as a list
 * of chunks instead of re-concatenating the whole buffer per chunk, and never throws: a frame it cannot
 * read is reported and skipped so the stream stays aligned.
 */

export interface EslFrame {
  /** Header values as sent (frame headers are not URL-encoded in practice; event bodies are). */
  headers: Map<string, string>;
  body: Buffer;
}

export interface FrameSink {
  frame(frame: EslFrame): void;
  malformed(reason: string): void;
}

const LF = 0x0a;

export class FrameParser {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Headers parsed, waiting for this many body bytes. */
  #pending: { headers: Map<string, string>; need: number } | undefined;
  /** Bytes of #chunks already searched for the header end: rescans start there. */
  #scanned = 0;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    for (;;) {
      if (this.#pending) {
        if (this.#length < this.#pending.need) return;
        const body = this.#take(this.#pending.need);
        const headers = this.#pending.headers;
        this.#pending = undefined;
        this.sink.frame({ headers, body });
        continue;
      }
      const end = this.#findHeaderEnd();
      if (end < 0) return;
      const block = this.#take(end + 2).toString('utf8', 0, end);
      this.#scanned = 0;
      if (block.trim() === '') continue; // stray blank lines between frames
      const headers = parseHeaderBlock(block);
      const lengthText = headers.get('Content-Length');
      if (lengthText === undefined) {
        this.sink.frame({ headers, body: Buffer.alloc(0) });
        continue;
      }
      const need = /^\d{1,10}$/.test(lengthText.trim()) ? Number(lengthText.trim()) : NaN;
      if (!Number.isSafeInteger(need)) {
        this.sink.malformed(`Content-Length ${JSON.stringify(lengthText.slice(0, 32))} is not a byte count; frame taken without body`);
        this.sink.frame({ headers, body: Buffer.alloc(0) });
        continue;
      }
      this.#pending = { headers, need };
    }
  }

  /** Index (in the concatenated buffer) of the first LF of a "\n\n" pair, or -1. */
  #findHeaderEnd(): number {
    if (this.#chunks.length > 1) this.#compact();
    const buf = this.#chunks[0];
    if (!buf) return -1;
    let i = Math.max(0, this.#scanned - 1);
    for (;;) {
      const at = buf.indexOf(LF, i);
      if (at < 0 || at + 1 >= buf.length) {
        this.#scanned = buf.length;
        return -1;
      }
      if (buf[at + 1] === LF) return at;
      // Tolerate CRLF framing: "\n\r\n".
      if (buf[at + 1] === 0x0d && buf[at + 2] === LF) {
        return this.#dropCr(at);
      }
      i = at + 1;
    }
  }

  /** Rewrites "\n\r\n" at `at` to "\n\n" semantics by removing the CR. */
  #dropCr(at: number): number {
    const buf = this.#chunks[0] as Buffer;
    this.#chunks[0] = Buffer.concat([buf.subarray(0, at + 1), buf.subarray(at + 2)]);
    this.#length -= 1;
    return at;
  }

  #compact(): void {
    this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
  }

  #take(n: number): Buffer {
    if (this.#chunks.length > 1) this.#compact();
    const buf = this.#chunks[0] as Buffer;
    const out = buf.subarray(0, n);
    const rest = buf.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length -= n;
    return out;
  }
}

/** "Name: value" lines; a line without ": " is kept as a name with an empty value (FreeSWITCH never sends one). */
export function parseHeaderBlock(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf('\n', start);
    if (end < 0) end = block.length;
    let line = block.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    headers.set(line.slice(0, colon), value);
  }
  return headers;
}
