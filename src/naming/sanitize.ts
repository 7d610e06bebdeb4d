/**
 * Makes values path-safe. A caller ID is whatever a carrier sent (capture 09 delivered `../../etc/passwd`);
 * every variable is cleaned BEFORE rendering, so only the template's own `/` make directories. The result
 * keeps Wazo's character set minus the blank: uuid_record splits its arguments on blanks.
 */
import { isFileExtension } from '../config/file-extension';

export const MAX_VAR_LENGTH = 64;
export const MAX_SEGMENT_BYTES = 200;

/** ASCII letters, digits, `-` and `_`; accents transliterated; everything else becomes `_`; bounded; never empty. */
export function sanitizeVar(value: unknown, maxLength = MAX_VAR_LENGTH): string {
  const text = value === undefined || value === null ? '' : String(value);
  const ascii = text.normalize('NFKD').replace(/\p{M}/gu, '');
  const cleaned = ascii
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .slice(0, maxLength)
    .replace(/^[_-]+|_+$/g, '');
  return cleaned || 'unknown';
}

/**
 * Cleans each `/`-separated segment of a rendered template: accents transliterated, every character outside
 * `unsafe`'s complement replaced by `_`, runs of `_` folded, the segment cut at `maxSegment`; segments `drop`
 * refuses (empty, `.`, `..`) go. File names and object keys differ only in those three settings.
 */
export function sanitizeSegments(rendered: string, unsafe: RegExp, maxSegment: number, drop: (seg: string) => boolean): string {
  return rendered
    .split('/')
    .map((seg) =>
      seg
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .replace(unsafe, '_')
        .replace(/_+/g, '_')
        .slice(0, maxSegment),
    )
    .filter((seg) => !drop(seg))
    .join('/');
}

/** Cleans a rendered template: [A-Za-z0-9/_-] only, no empty, `.` or `..` segments, bounded segments. */
export function sanitizeRendered(rendered: string): string {
  return sanitizeSegments(rendered, /[^A-Za-z0-9_-]+/g, MAX_SEGMENT_BYTES, (seg) => seg === '' || seg === '_');
}

export function sanitizeExtension(ext: string | undefined, fallback: string): string {
  const e = (ext ?? '').toLowerCase().replace(/^\./, '');
  return isFileExtension(e) ? e : fallback;
}
