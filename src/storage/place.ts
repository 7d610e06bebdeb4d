/**
 * The one placement loop both targets run: walk the candidate keys, judge each (no-replace.ts), create the
 * first free one exclusively, or reuse the one that already holds this recording. What "exclusively" means is
 * the target's business (S3: If-None-Match: *; a directory: link(2), which refuses an existing name).
 */
import { candidateKeys, judgeSlot, type ObjectAtKey } from './no-replace';

export interface LocalRecording {
  id: string;
  size: number;
  /** The local file's MD5, computed only when an object at a key must be compared with it (then kept). */
  md5: () => Promise<string>;
}

export interface PlacementOptions {
  /**
   * Create before looking (the server refuses a create over an existing key: If-None-Match honoured), and
   * look only when refused. Without it every key is looked at first (a server that ignores the condition).
   */
  createFirst?: boolean;
}

/** What a target can do at one key. */
export interface KeySlots {
  /**
   * The object at `key` (undefined: none) and the id its `<key>.json` names: undefined when there is no such
   * object, '' when there is one that names no id (it is someone's, so the key is taken).
   */
  look(key: string): Promise<{ object?: ObjectAtKey; metadataId?: string }>;
  /** The MD5 of the bytes at `key`, read in full. */
  md5Of(key: string): Promise<string>;
  /** Creates the object only if nothing is at `key`; false when something got there first. */
  createAudio(key: string): Promise<boolean>;
  /** Creates `<key>.json` only if absent; false when one already exists. */
  createMetadata(key: string): Promise<boolean>;
}

/** A placement that cannot be made without replacing something: said as is, not as a storage failure. */
export class PlacementError extends Error {
  override name = 'PlacementError';
}

export async function placeWithoutReplacing(key: string, local: LocalRecording, slots: KeySlots, describe: string, opts: PlacementOptions = {}): Promise<string> {
  for (const candidate of candidateKeys(key)) {
    let slot: Slot;
    if (opts.createFirst) slot = (await slots.createAudio(candidate)) ? { verdict: 'ours' } : await lookAt(candidate, local, slots);
    else slot = await lookAt(candidate, local, slots);
    if (slot.verdict === 'free') {
      // Lost the race (another writer created it after we looked): judge what it created, never overwrite it.
      if (await slots.createAudio(candidate)) slot = { verdict: 'ours', metadataId: slot.metadataId };
      else slot = await lookAt(candidate, local, slots);
    }
    if (slot.verdict !== 'ours') continue;
    // Our own metadata object is already there when an earlier run got that far: nothing to write.
    if (slot.metadataId === undefined && !(await slots.createMetadata(candidate))) {
      const { metadataId } = await slots.look(candidate);
      if (metadataId !== local.id) {
        throw new PlacementError(`${describe}: ${candidate}.json names recording ${metadataId ?? '(none)'}, not ${local.id}; neither is replaced (a concurrent writer)`);
      }
    }
    return candidate;
  }
  throw new PlacementError(`${describe}: ${key} and ${candidateKeys(key).length - 1} suffixed keys are all taken by other recordings`);
}

interface Slot {
  verdict: 'free' | 'ours' | 'taken';
  metadataId?: string;
}

async function lookAt(key: string, local: LocalRecording, slots: KeySlots): Promise<Slot> {
  const facts = await slots.look(key);
  // Nothing there: the verdict needs no checksum (the common case reads the file only to send it).
  const md5 = facts.object ? await local.md5() : '';
  const verdict = judgeSlot({ ...facts, local: { id: local.id, size: local.size, md5 } });
  if (verdict !== 'compare-bytes') return { verdict, metadataId: facts.metadataId };
  return { verdict: (await slots.md5Of(key)) === md5 ? 'ours' : 'taken', metadataId: facts.metadataId };
}
