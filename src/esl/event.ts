/**
 * EslEvent implementations for text/event-plain and text/event-json bodies. Values are URL-decoded only
 * when asked for (most of a real event's ~150 headers are never read), and a malformed `%` sequence yields
 * the raw text instead of throwing — modesl's eager decodeURIComponent throws there and kills the process.
 */
import type { EslEvent } from './types';
import { parseHeaderBlock } from './frame-parser';

export function urlDecode(value: string): string {
  if (value.indexOf('%') < 0 && value.indexOf('+') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `\n<name>: ` as bytes, per header name: the needle a header's line is found by. */
const needles = new Map<string, Buffer>();
/** Header names are the daemon's own and a few configured variables; the bound only guards a misuse. */
const NEEDLES_MAX = 512;

function needleFor(header: string): Buffer {
  let needle = needles.get(header);
  if (!needle) {
    needle = Buffer.from(`\n${header}: `, 'utf8');
    if (needles.size < NEEDLES_MAX) needles.set(header, needle);
  }
  return needle;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The raw value of a header's first line in a header block's bytes, as the block's text (CRLF read as LF)
 * would give it; undefined when no line names it. A string of the value's own size, never a view of the block.
 */
function rawHeader(block: Buffer, header: string): string | undefined {
  const needle = needleFor(header);
  // The first line has no LF before it: it is matched by the needle without its LF, and comes first.
  const bare = needle.length - 1;
  let from: number;
  if (block.length >= bare && block.compare(needle, 1, needle.length, 0, bare) === 0) {
    from = bare;
  } else {
    const at = block.indexOf(needle);
    if (at < 0) return undefined;
    from = at + needle.length;
  }
  const lf = block.indexOf(LF, from);
  // A CR is dropped only before the LF that ends the line (CRLF framing); the block's last line keeps it.
  const end = lf < 0 ? block.length : lf > from && block[lf - 1] === CR ? lf - 1 : lf;
  return block.toString('utf8', from, end);
}

/**
 * A text/event-plain event over its raw header block, kept as the bytes it arrived in. A real event has
 * ~200 headers (~8 KB) and the daemon reads about 10: each get() finds its line in the bytes and decodes
 * only that value. Decoding the whole block into a string first cost two 8 KB strings per event (the text
 * and its flattened "\n"-framed copy): a third of everything the daemon allocated with 10,000 calls
 * arriving, and the young generation collected (promoting calls' in-flight state) that much more often.
 * The event is dropped once its listeners return, and the view of the frame's bytes with it.
 */
class PlainEvent implements EslEvent {
  readonly name: string;

  constructor(
    /** The header block (without the blank line that ends it); a view into the frame's bytes. */
    private readonly block: Buffer,
    readonly body: string,
  ) {
    this.name = this.get('Event-Name') ?? '';
  }

  get(header: string): string | undefined {
    const raw = rawHeader(this.block, header);
    return raw === undefined ? undefined : urlDecode(raw);
  }

  headerNames(): string[] {
    const text = this.block.toString('utf8');
    return [...parseHeaderBlock(text.includes('\r') ? text.replace(/\r\n/g, '\n') : text).keys()];
  }
}

class JsonEvent implements EslEvent {
  readonly name: string;
  readonly body: string;
  constructor(private readonly fields: Record<string, unknown>) {
    this.name = typeof fields['Event-Name'] === 'string' ? fields['Event-Name'] : '';
    this.body = typeof fields._body === 'string' ? fields._body : '';
  }
  get(header: string): string | undefined {
    const v = this.fields[header];
    return typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
  }
  headerNames(): string[] {
    return Object.keys(this.fields).filter((k) => k !== '_body');
  }
}

/** Parses a text/event-plain body: URL-encoded headers, blank line, then its own Content-Length body. */
export function plainEvent(body: Buffer): EslEvent {
  const end = body.indexOf('\n\n');
  const block = body.subarray(0, end < 0 ? body.length : end);
  let inner = '';
  if (end >= 0) {
    const length = parseInt(rawHeader(block, 'Content-Length')?.slice(0, 13) ?? '', 10);
    if (Number.isSafeInteger(length) && length > 0) inner = body.toString('utf8', end + 2, Math.min(body.length, end + 2 + length));
  }
  return new PlainEvent(block, inner);
}

/** Parses a text/event-json body; undefined when it is not a JSON object. */
export function jsonEvent(body: Buffer): EslEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return new JsonEvent(parsed as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** An EslEvent over a JSON object (uuid_dump … json replies have the same headers as events). */
export function recordToEvent(fields: Record<string, unknown>): EslEvent {
  return new JsonEvent(fields);
}
