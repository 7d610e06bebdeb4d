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

/**
 * A text/event-plain event over its raw header block. A real event has ~200 headers and the daemon reads
 * about 10: each get() finds its line with indexOf instead of splitting every header up front.
 */
class PlainEvent implements EslEvent {
  readonly name: string;
  #found: Map<string, string | undefined> | undefined;

  constructor(
    /** The header block with a leading newline, so every header is found as "\nName: ". */
    private readonly block: string,
    readonly body: string,
  ) {
    this.name = this.get('Event-Name') ?? '';
  }

  #raw(header: string): string | undefined {
    const key = `\n${header}: `;
    const at = this.block.indexOf(key);
    if (at < 0) return undefined;
    const from = at + key.length;
    const end = this.block.indexOf('\n', from);
    // A copy, not a slice: V8 makes a slice of 13+ characters a view that keeps the whole ~8 KB header block
    // alive while the value is held (a live call's legs hold a dozen: 10,000 live calls held 360 MB of event
    // text). Slicing a fresh concatenation makes V8 flatten it into a new string of the value's own size.
    return ` ${this.block.slice(from, end < 0 ? this.block.length : end)}`.slice(1);
  }

  get(header: string): string | undefined {
    const cache = (this.#found ??= new Map());
    if (cache.has(header)) return cache.get(header);
    const raw = this.#raw(header);
    const value = raw === undefined ? undefined : urlDecode(raw);
    cache.set(header, value);
    return value;
  }

  headerNames(): string[] {
    return [...parseHeaderBlock(this.block).keys()];
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
