/**
 * Directories the daemon owns must not overlap: the spool scan adopts, uploads and deletes every file in
 * spool_dir, so a state_dir or storage dir within it would have the daemon ship off its own journal,
 * toggles and index. Pure: paths are compared after path.resolve, by whole segments
 * (/var/spool/fsrecd2 is not inside /var/spool/fsrecd); symlinks are not followed (the directories may
 * not exist yet when the configuration is checked).
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type Overlap = 'equal' | 'inside' | 'contains';

/** How `dir` relates to `other`: the same directory, inside it, containing it, or apart (undefined). */
export function overlap(dir: string, other: string): Overlap | undefined {
  const a = resolve(dir);
  const b = resolve(other);
  if (a === b) return 'equal';
  if (isWithin(b, a)) return 'inside';
  if (isWithin(a, b)) return 'contains';
  return undefined;
}

/** `path` strictly inside `root`, by whole segments. */
function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The first segment of `path` below `root`, when it is strictly inside it. */
export function firstSegmentBelow(root: string, path: string): string | undefined {
  const a = resolve(root);
  const b = resolve(path);
  return isWithin(a, b) ? relative(a, b).split(sep)[0] : undefined;
}

/** "is the same directory as", "is inside", "contains": for error messages. */
export function describeOverlap(o: Overlap): string {
  return o === 'equal' ? 'is the same directory as' : o === 'inside' ? 'is inside' : 'contains';
}

/**
 * What the daemon keeps in state_dir (journal/, toggles.json, recordings.sqlite and SQLite's companions):
 * a storage directory may sit in state_dir (the default is <state_dir>/recordings) but not on these.
 */
export function isStateEntry(name: string): boolean {
  return name === 'journal' || name.startsWith('toggles.json') || name.startsWith('recordings.sqlite');
}
