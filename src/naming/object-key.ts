/**
 * The object key a recording is stored under, from `storage.key_template`. Pure and total: the same
 * cleaned, length-capped variables as file names (a caller ID is whatever a carrier sent), the same
 * checked nunjucks environment, and on any failure the default key, with the reason.
 *
 * The default key (no key_template) is `<node>/<relative path>`: several FreeSWITCH servers share one
 * bucket (or one storage.dir), and two of them with the same filename template naming the same call in the
 * same second would otherwise want the same key. The node is the cleaned `node` variable, so the default is
 * exactly what `{{ node }}/{{ relative_path }}` renders; a recording whose node is not known (an adopted
 * spool file) keeps the relative path alone.
 */
import type nunjucks from 'nunjucks';
import type { RecordingMeta } from '../model/recording';
import { sanitizeExtension, sanitizeSegments, sanitizeVar } from './sanitize';
import { compileTemplate, oneLine, renderTemplate } from '../templates/template-env';
import { buildNamingVars, type NamingVars } from './variables';

/**
 * S3 refuses keys over 1,024 bytes; the storage layer stores `<key>.json` beside each recording, so a key
 * keeps room for such a suffix.
 */
export const MAX_OBJECT_KEY_BYTES = 1000;
/** One path segment: what most filesystems (and s3rver's) accept as a file name. */
const MAX_KEY_SEGMENT_BYTES = 255;

export interface ObjectKey {
  key: string;
  /** Why the template was not used (the key is then the relative path); absent when all went well. */
  error?: string;
}

/** The n of a recording id `<call uuid>-<n>`; 1 when the id has another shape. */
function seqOf(meta: RecordingMeta): number {
  const rest = meta.id.startsWith(`${meta.callUuid}-`) ? meta.id.slice(meta.callUuid.length + 1) : '';
  return /^[0-9]{1,9}$/.test(rest) ? Number(rest) : 1;
}

/** The variables a key template sees: the file-name variables of this recording, plus its paths. */
export function objectKeyVars(meta: RecordingMeta): NamingVars {
  const started = new Date(meta.startedAt);
  const vars = buildNamingVars(
    {
      srcnum: meta.srcnum,
      dstnum: meta.dstnum,
      baseContext: '',
      tenantUuid: meta.tenantUuid,
      uuid: meta.callUuid,
      direction: meta.direction,
      network: meta.network,
      user: meta.user,
      device: meta.device,
      node: meta.node,
      seq: seqOf(meta),
    },
    Number.isNaN(started.getTime()) ? new Date(0) : started,
  );
  // Not known once a recording is made: a key template that names them is refused by check-config.
  delete vars.base_context;
  delete vars.call_id;
  delete vars.name;
  vars.domain = sanitizeVar(meta.domain);
  vars.id = sanitizeVar(meta.id, 128);
  vars.extension = sanitizeExtension(meta.format, 'wav');
  // Already confined and cleaned by the namer; cleaned again below with the rendered key.
  vars.relative_path = meta.relativePath;
  return vars;
}

/** Keys keep [A-Za-z0-9._-] and the template's `/`; no empty, `.` or `..` segment; no leading `/`. */
export function sanitizeObjectKey(rendered: string): string {
  return sanitizeSegments(rendered, /[^A-Za-z0-9._-]+/g, MAX_KEY_SEGMENT_BYTES, (seg) => seg === '' || seg === '.' || seg === '..');
}

/** What check-config and the docs say the default key is. */
export const DEFAULT_OBJECT_KEY = '<node>/<relative path> (the relative path alone when the node is not known)';

/**
 * The node's key segment: the `node` variable (letters, digits, `-`, `_`; at most 64; never `.` or `..`, never
 * a `/`), or undefined when FreeSWITCH did not say which node it is (blank: no segment, rather than "unknown").
 */
function nodeSegment(meta: RecordingMeta): string | undefined {
  // meta is also read back from journal files: a missing node must give a key, never a throw.
  const node = String(meta.node ?? '');
  return node.trim() === '' ? undefined : sanitizeVar(node);
}

/**
 * The default key: `<node>/<relative path>` (the namer made the path; an adopted spool file keeps its own
 * name), unless the path is not a usable key (too long, dot segments): then a short key made from the
 * recording's id, under the node as well.
 */
function defaultKey(meta: RecordingMeta): ObjectKey {
  const node = nodeSegment(meta);
  const under = (rest: string): string => (node === undefined ? rest : `${node}/${rest}`);
  const p = meta.relativePath;
  const key = under(p);
  if (p && Buffer.byteLength(key) <= MAX_OBJECT_KEY_BYTES && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')) return { key };
  return { key: under(`overlong/${sanitizeVar(meta.id, 128)}.${sanitizeExtension(meta.format, 'wav')}`), error: `the relative path is not a usable key (${Buffer.byteLength(p)} bytes, or a dot segment)` };
}

/** Compiled templates, by source: a handful per configuration, bounded for a daemon reloaded for months. */
const compiled = new Map<string, nunjucks.Template>();
const MAX_COMPILED = 32;

function compiledTemplate(source: string): nunjucks.Template {
  let t = compiled.get(source);
  if (!t) {
    t = compileTemplate(source);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

export function renderObjectKey(template: string | undefined, meta: RecordingMeta): ObjectKey {
  if (!template) return defaultKey(meta);
  try {
    const key = sanitizeObjectKey(renderTemplate(compiledTemplate(template), objectKeyVars(meta)).trim());
    if (!key) throw new Error('the key template rendered an empty key');
    const bytes = Buffer.byteLength(key);
    if (bytes > MAX_OBJECT_KEY_BYTES) throw new Error(`the key template rendered a ${bytes}-byte key; at most ${MAX_OBJECT_KEY_BYTES} are allowed`);
    return { key };
  } catch (err) {
    return { key: defaultKey(meta).key, error: oneLine(err) };
  }
}
