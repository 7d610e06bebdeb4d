/**
 * Incremental parser of mod_event_socket frames: header lines, a blank line, then exactly Content-Length
 * bytes of body. Works on Buffers (byte lengths; bodies may hold UTF-8), keeps unconsumed bytes as a list
 * of chunks instead of re-concatenating the whole buffer per chunk, and never throws: a frame it cannot
 * read is reported and skipped so the stream stays aligned.
 *
 * The header block ends at "\n\n" or, with CRLF framing, "\n\r\n" (so "\r\n\r\n" too), wherever the
 * chunks happen to be cut. Memory is bounded: a Content-Length above maxFrameBytes, or a header block that
 * grows past maxHeaderBytes without ending, is fatal — the sink hears why and the parser discards
 * everything from then on (the connection can no longer be trusted to be in step; the client drops it).
 */

export interface EslFrame {
  /** Header values as sent (frame headers are not URL-encoded in practice; event bodies are). */
  headers: Map<string, string>;
  body: Buffer;
}

export interface FrameSink {
  frame(frame: EslFrame): void;
  malformed(reason: string): void;
  /** The stream broke a bound: nothing more will be parsed. Without this, the reason goes to malformed(). */
  fatal?(reason: string): void;
}

export interface FrameLimits {
  /** Largest body accepted (Content-Length). Default 64 MiB: FreeSWITCH's biggest replies are a few MB. */
  maxFrameBytes?: number;
  /** Largest header block accepted while its end has not been seen. Default 1 MiB (real ones are < 200 bytes). */
  maxHeaderBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
/** The least a header search takes in from the next chunk at a time: frame headers are < 200 bytes. */
const HEADER_STEP = 1024;

export class FrameParser {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Headers parsed, waiting for this many body bytes. */
  #pending: { headers: Map<string, string>; need: number } | undefined;
  /** Where the next header-end search starts: bytes before it cannot begin a terminator. */
  #scanned = 0;
  #failed = false;
  readonly #maxFrameBytes: number;
  readonly #maxHeaderBytes: number;

  constructor(
    private readonly sink: FrameSink,
    limits: FrameLimits = {},
  ) {
    this.#maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Bytes held waiting for the rest of a frame (never more than a bound above the limits). */
  get bufferedBytes(): number {
    return this.#length;
  }

  /** True once a bound was broken: the parser ignores everything after. */
  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.#failed) return;
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
      if (!end) {
        if (this.#length > this.#maxHeaderBytes) {
          this.#fail(`a frame header grew past ${this.#maxHeaderBytes} bytes without ending (not an event socket, or out of step)`);
        }
        return;
      }
      const block = this.#take(end.at + end.size).toString('utf8', 0, end.at);
      this.#scanned = 0;
      if (block.trim() === '') continue; // stray blank lines between frames
      const headers = parseHeaderBlock(block);
      const lengthText = headers.get('Content-Length');
      if (lengthText === undefined) {
        this.sink.frame({ headers, body: Buffer.alloc(0) });
        continue;
      }
      const digits = lengthText.trim();
      if (!/^\d+$/.test(digits)) {
        this.sink.malformed(`Content-Length ${JSON.stringify(lengthText.slice(0, 32))} is not a byte count; frame taken without body`);
        this.sink.frame({ headers, body: Buffer.alloc(0) });
        continue;
      }
      // Compared as a number only when it is short enough to be one exactly.
      const need = digits.length <= 15 ? Number(digits) : Infinity;
      if (need > this.#maxFrameBytes) {
        this.#fail(`a frame announced Content-Length ${digits.slice(0, 24)}, above the ${this.#maxFrameBytes}-byte limit; not buffering it`);
        return;
      }
      this.#pending = { headers, need };
    }
  }

  #fail(reason: string): void {
    this.#failed = true;
    this.#chunks = [];
    this.#length = 0;
    this.#pending = undefined;
    if (this.sink.fatal) this.sink.fatal(reason);
    else this.sink.malformed(reason);
  }

  /**
   * The header block's end: `at` is the index of the LF that ends its last line, `size` the terminator's
   * length from there ("\n\n" 2, "\n\r\n" 3). undefined while no terminator is complete; the search then
   * resumes at the last LF, so a terminator cut anywhere (after the LF, between CR and LF) is still found.
   * The search runs in the first chunk; while it finds nothing there, the first chunk takes in the start of
   * the next (at least as much as it holds, so the copying stays linear in the header's length): a frame
   * header cut between two 64 KB socket reads costs a copy of the header, not of the whole next read.
   */
  #findHeaderEnd(): { at: number; size: 2 | 3 } | undefined {
    for (;;) {
      const buf = this.#chunks[0];
      if (!buf) return undefined;
      const end = this.#searchFirstChunk(buf);
      if (end || this.#chunks.length === 1) return end;
      const next = this.#chunks[1] as Buffer;
      const n = Math.min(next.length, Math.max(HEADER_STEP, buf.length));
      this.#chunks[0] = Buffer.concat([buf, next.subarray(0, n)], buf.length + n);
      if (n === next.length) this.#chunks.splice(1, 1);
      else this.#chunks[1] = next.subarray(n);
    }
  }

  #searchFirstChunk(buf: Buffer): { at: number; size: 2 | 3 } | undefined {
    for (let i = this.#scanned; ; ) {
      const at = buf.indexOf(LF, i);
      if (at < 0) {
        this.#scanned = buf.length;
        return undefined;
      }
      const next = buf[at + 1];
      if (next === LF) return { at, size: 2 };
      if (next === CR) {
        const after = buf[at + 2];
        if (after === LF) return { at, size: 3 };
        if (after === undefined) {
          this.#scanned = at;
          return undefined;
        }
      } else if (next === undefined) {
        this.#scanned = at;
        return undefined;
      }
      i = at + 1;
    }
  }

  /**
   * The next n bytes. Within the first chunk they are a view of it; across chunks only those n bytes are
   * copied (a body cut between socket reads), and the rest of the last chunk they reach stays a view.
   */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0); // Content-Length: 0 may end the buffer: there may be no chunk
    const first = this.#chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length > n) this.#chunks[0] = first.subarray(n);
      else this.#chunks.shift();
    } else {
      const parts: Buffer[] = [];
      let left = n;
      while (left > 0) {
        const chunk = this.#chunks[0] as Buffer;
        if (chunk.length <= left) {
          parts.push(chunk);
          this.#chunks.shift();
          left -= chunk.length;
        } else {
          parts.push(chunk.subarray(0, left));
          this.#chunks[0] = chunk.subarray(left);
          left = 0;
        }
      }
      out = Buffer.concat(parts, n);
    }
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
