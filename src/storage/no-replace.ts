/**
 * The no-replace rule, as pure decisions: a stored object is never replaced by different content. A key that
 * is taken moves the recording to `<name>-2<ext>`, `-3`…; a key that already holds this very recording (a
 * run that died before journaling it) is reused without uploading again.
 */

/** How many keys are tried (the key itself, then -2 … -MAX_KEY_ATTEMPTS) before put gives up. */
export const MAX_KEY_ATTEMPTS = 100;

/** The n-th key to try for `key`: n = 1 is the key itself, then `dir/name-2.wav`, `dir/name-3.wav`… */
export function suffixedKey(key: string, n: number): string {
  if (n <= 1) return key;
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  // Only a dot inside the last segment, and not its first character, starts an extension.
  const ext = dot > slash + 1 ? key.slice(dot) : '';
  return `${key.slice(0, key.length - ext.length)}-${n}${ext}`;
}

/** Every key put may use for `key`, in the order it tries them. */
export function candidateKeys(key: string, max = MAX_KEY_ATTEMPTS): string[] {
  return Array.from({ length: max }, (_, i) => suffixedKey(key, i + 1));
}

/** What the storage says is at a key. */
export interface ObjectAtKey {
  size: number;
  /** The MD5 of the bytes as the storage computed it (a single-part ETag, a local file's hash). */
  md5?: string;
  /** The object's multipart ETag matches the one computed from the local file's parts. */
  multipartEtagMatches?: boolean;
  /** The recording id the uploader attached to the object (S3 `x-amz-meta-fsrecd-id`). */
  recordingId?: string;
}

export interface SlotFacts {
  /** The object at the key, or undefined when there is none. */
  object?: ObjectAtKey;
  /** The `id` named by the metadata object `<key>.json`, or undefined when there is none (or it names none). */
  metadataId?: string;
  /** The recording being stored. */
  local: { id: string; size: number; md5: string };
}

/**
 * - free: nothing is there (and no other recording's metadata): create it, exclusively.
 * - ours: this recording's bytes are already there: use the key, upload nothing.
 * - taken: another recording, or different bytes: try the next key.
 * - compare-bytes: the headers cannot settle it (no MD5, or this recording's id with an ETag that disagrees,
 *   e.g. a proxy that rewrote it): read the object and compare its MD5 with the local file's.
 */
export type SlotVerdict = 'free' | 'ours' | 'taken' | 'compare-bytes';

export function judgeSlot(f: SlotFacts): SlotVerdict {
  const { object, metadataId, local } = f;
  if (metadataId !== undefined && metadataId !== local.id) return 'taken';
  if (object?.recordingId !== undefined && object.recordingId !== local.id) return 'taken';
  if (!object) return 'free';
  if (object.size !== local.size) return 'taken';
  if (object.md5 === local.md5 || object.multipartEtagMatches === true) return 'ours';
  const namesUs = object.recordingId === local.id || metadataId === local.id;
  // An MD5 the storage computed that differs settles it, unless the object says it is this recording.
  if (object.md5 !== undefined && !namesUs) return 'taken';
  return 'compare-bytes';
}

/** The recording id a metadata object (`<key>.json`) names, if it is one. */
export function idIn(metadata: unknown): string | undefined {
  const id = (metadata as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}
