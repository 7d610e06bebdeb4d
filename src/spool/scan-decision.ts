/**
 * What the spool scan does with one file it finds in spool_dir: a pure decision over the file's facts and
 * the journal entry naming its path, so every rule is tested without a disk. Files that might still be
 * written by FreeSWITCH (adoptions and finishes) are only candidates: the spool asks FreeSWITCH first.
 */
import type { FileIdentity, JournalEntry } from './journal';

export interface FoundFile extends FileIdentity {
  path: string;
}

export interface ScanContext {
  now: number;
  /** A file unchanged for this long may be finished (FreeSWITCH has stopped writing it, or is asked). */
  stableMs: number;
  /** keep_local_days in ms: a verified local copy goes once it is this old. */
  keepLocalMs: number;
  /** The recorder of this process is following the recording at this path (RECORD_STOP will come). */
  recorderFollows: (path: string) => boolean;
}

export type ScanAction =
  | { kind: 'keep'; why: string }
  /** The verified local copy of a stored recording, past keep_local_days. */
  | { kind: 'remove-stored-copy'; entry: JournalEntry }
  /** An entry whose file exists and is not being followed: finish it (upload) once FreeSWITCH is not writing it. */
  | { kind: 'finish'; entry: JournalEntry; cause: string }
  /** A file no entry can act on: adopt it as a new recording once FreeSWITCH is not writing it. */
  | { kind: 'adopt' };

export function sameFile(a: FileIdentity, b: FileIdentity | undefined): boolean {
  return !!b && a.size === b.size && a.ino === b.ino && a.dev === b.dev && Math.abs(a.mtimeMs - b.mtimeMs) < 1;
}

/**
 * Entries stored before fsrecd recorded the verified file's identity: the file is that copy only if it has
 * the stored size and was not written after the entry was stored.
 */
function legacyStoredCopy(file: FoundFile, e: JournalEntry): boolean {
  return e.verified === undefined && e.size === file.size && file.mtimeMs <= (Date.parse(e.updatedAt) || 0);
}

export function decideScan(file: FoundFile, owner: JournalEntry | undefined, ctx: ScanContext): ScanAction {
  const age = ctx.now - file.mtimeMs;
  const stable = age >= ctx.stableMs;
  if (owner?.state === 'stored') {
    if (sameFile(file, owner.verified) || legacyStoredCopy(file, owner)) {
      return age >= ctx.keepLocalMs ? { kind: 'remove-stored-copy', entry: owner } : { kind: 'keep', why: 'verified copy kept (keep_local_days)' };
    }
    // Another file at a stored recording's path (a reused name, a dialplan recording): a new recording.
    return stable && file.size > 0 ? { kind: 'adopt' } : { kind: 'keep', why: 'new file at a stored path, not stable yet' };
  }
  if (!owner) return stable && file.size > 0 ? { kind: 'adopt' } : { kind: 'keep', why: file.size === 0 ? 'empty' : 'not stable yet' };
  switch (owner.state) {
    case 'finished':
    case 'uploading':
      return { kind: 'keep', why: 'queued for upload' };
    case 'recording':
      if (ctx.recorderFollows(owner.meta.path)) return { kind: 'keep', why: 'recording' };
      return stable ? { kind: 'finish', entry: owner, cause: 'recovered-after-restart' } : { kind: 'keep', why: 'recording (earlier run), still changing' };
    case 'failed':
    case 'discarded':
    case 'lost':
      // A start whose reply was lost, a discard FreeSWITCH did not carry out: the file is real audio.
      if (ctx.recorderFollows(owner.meta.path)) return { kind: 'keep', why: 'recording' };
      return stable && file.size > 0 ? { kind: 'finish', entry: owner, cause: `file-present-after-${owner.state}` } : { kind: 'keep', why: `${owner.state}, file not stable yet` };
    default:
      return { kind: 'keep', why: 'unknown state' };
  }
}
