/**
 * One upload of one finished recording: stat, put (the file read once, its checksums computed on the way),
 * verify the stored copy against the local file, journal "stored", and (keep_local_days: 0) remove the
 * verified local copy once "stored" is on disk. A failed try is journaled back to "finished" and the caller
 * schedules the retry.
 *
 * Which proof verifies (verify.ts has the rule): when the local copy goes at once (keep_local_days: 0), the
 * object is read back (HEAD: size and the server's checksum), so a 200 for an object the server does not
 * have never costs the only copy. When the local copy stays (keep_local_days > 0), the PUT's own reply is
 * the proof where it is one (a single-part ETag that is the MD5 computed while sending, without SSE-KMS/C;
 * a multipart ETag; a SHA-256 the server returned) and the entry is journaled `readBack: false`: the object
 * is read back before that copy is removed later (confirmStoredCopy).
 */
import { stat } from 'node:fs/promises';
import { isSimulatedCrash, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingSink } from '../model/recording';
import type { PutResult, StorageTarget, StoredObject } from '../storage/target';
import { verifyStored } from '../storage/verify';
import type { DurableJournal } from './durable-journal';
import { PENDING, type FileIdentity, type Journal, type JournalEntry } from './journal';
import { removeVerifiedCopy } from './stored-copy';

export interface UploaderOptions {
  journal: Journal;
  writes: DurableJournal;
  target: StorageTarget;
  keepLocalDays: number;
  log: Logger;
  metrics: Metrics;
  faults: Faults;
}

/** What became of one try: nothing more to do now, or a retry due (backoff by the attempts so far). */
export type UploadOutcome = { retry: false } | { retry: true; attempts: number };

const DONE: UploadOutcome = { retry: false };

export class Uploader {
  /** Bytes of the files being uploaded now (the backlog in bytes, before the journal knows them). */
  readonly #sizes = new Map<string, number>();
  #lastError: string | undefined;

  constructor(private readonly opts: UploaderOptions) {}

  sizeOf(id: string): number | undefined {
    return this.#sizes.get(id);
  }

  /** The latest upload error (status shows it; said once in the log until it changes). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  async upload(id: string): Promise<UploadOutcome> {
    const { journal, writes, target, log, metrics, faults } = this.opts;
    const e = journal.entries.get(id);
    if (!e || !PENDING.has(e.state)) return DONE;
    const before = await stat(e.meta.path).catch((err: NodeJS.ErrnoException) => err);
    if (before instanceof Error) {
      // The journal says finished but the file is gone: lost, said once, never retried in a loop.
      await writes.persist({ ...e, state: 'lost', lastError: `local file missing: ${before.code ?? String(before)}` });
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'lost' });
      log.error('recording lost: the local file vanished before it was stored', { recording: id, path: e.meta.path });
      return DONE;
    }
    const size = before.size;
    this.#sizes.set(id, size);
    try {
      // "uploading" is informative: a crash at any point below is recovered by re-running the upload,
      // which finds an object already stored for this recording instead of making a second one.
      writes.persist({ ...e, state: 'uploading', attempts: e.attempts + 1 }).catch(() => undefined);
      // The target numbers its own steps (upload.put-object, upload.put-metadata, local.*).
      const stored = await target.put(e.meta.path, e.key, e.meta, e.result, undefined, faults);
      const { md5, sha256 } = stored;
      faults.at('upload.verify');
      const reply = this.opts.keepLocalDays > 0 ? trustworthyReply(stored) : undefined;
      const check = await verifyStored(reply ?? (await target.stat(stored.key, { md5 })), e.meta.path, { size, md5, sha256, multipartEtag: stored.multipartEtag });
      if (!check.ok) throw new Error(`verification failed for ${stored.key}: ${check.reason}`);
      const after = await stat(e.meta.path);
      const verified: FileIdentity = { size: after.size, mtimeMs: after.mtimeMs, ino: after.ino, dev: after.dev };
      if (after.size !== size || after.mtimeMs !== before.mtimeMs || after.ino !== before.ino) {
        throw new Error(`local file ${e.meta.path} changed while it was uploaded (is something still writing it?)`);
      }
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'ok' });
      const cur = journal.entries.get(id) ?? e;
      await writes.persist({ ...cur, state: 'stored', key: stored.key, size, md5, sha256, verified, verifiedBy: check.by, readBack: reply === undefined, lastError: undefined });
      this.#sizes.delete(id);
      log.info('recording stored', { recording: id, key: stored.key, bytes: size, target: target.describe() });
      // The local copy goes only once "stored" is on disk: else a crash would leave neither file nor record.
      if (this.opts.keepLocalDays === 0 && (await writes.durable(id))) await removeVerifiedCopy(journal.entries.get(id) ?? e, journal, faults, log);
      return DONE;
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const cur = journal.entries.get(id) ?? e;
      if (cur.state !== 'stored') await writes.persist({ ...cur, state: 'finished', lastError: message });
      if (message !== this.#lastError) log.error('upload failed; will retry', { recording: id, target: target.describe(), error: message });
      this.#lastError = message;
      metrics.inc('fsrecd_uploads_total', 'Upload outcomes', { result: 'error' });
      return { retry: true, attempts: cur.attempts };
    }
  }
}

/** The PUT's reply when it carries a checksum the server computed (verify.ts, rules 1 to 3). */
function trustworthyReply(put: PutResult): StoredObject | undefined {
  const r = put.reply;
  return r && (r.md5 !== undefined || r.sha256 !== undefined || r.multipart !== undefined) ? r : undefined;
}

export interface StoredCopyCheck {
  target: StorageTarget;
  writes: DurableJournal;
  /** The spool: finished() journals the entry "finished" again and queues its upload. */
  sink: Pick<RecordingSink, 'finished'>;
  log: Logger;
}

/**
 * Before a local copy kept for keep_local_days is removed: an entry verified by the PUT's reply alone is
 * read back now (HEAD: size and checksum). False keeps the file; when the object is not what was sent the
 * entry goes back to "finished", so the next pass (sync, restart) stores it again.
 */
export async function confirmStoredCopy(e: JournalEntry, opts: StoredCopyCheck): Promise<boolean> {
  if (e.readBack !== false || e.md5 === undefined || e.size === undefined) return true;
  const check = await verifyStored(await opts.target.stat(e.key, { md5: e.md5 }).catch(() => null), e.meta.path, { size: e.size, md5: e.md5, sha256: e.sha256 });
  if (check.ok) return true;
  opts.log.error('a stored recording is not in storage as its upload said; its local copy is kept and it is stored again', { recording: e.id, key: e.key, reason: check.reason });
  if (e.result) await opts.sink.finished(e.meta, e.result);
  else await opts.writes.persist({ ...e, state: 'finished', lastError: `read back before removing the local copy: ${check.reason}` });
  return false;
}
