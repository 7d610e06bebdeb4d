/**
 * The invariants of issue #11, as pure functions of the reference model and one observation of the world
 * (spool directory, journal on disk, storage as it really is). Each returns the violations it found.
 */
import type { JournalEntry } from '../../../src/spool/journal';
import type { SpoolStatus } from '../../../src/spool/status';
import { contentMd5, describeRecording, expectedOutcome, namesRecording, type ModelRecording } from './reference';
import type { StoredCopy } from './store-view';

export interface Observation {
  /** Regular files in spool_dir: path -> size (read first). */
  files: ReadonlyMap<string, number>;
  /** Journal entries on disk (read second). */
  journal: ReadonlyMap<string, JournalEntry>;
  /** Every object in storage, metadata included (read last: deletes follow stores, so this order is safe). */
  store: ReadonlyMap<string, StoredCopy>;
}

/** Keys of objects the storage itself corrupted: garbage the spool must step around, never count as stored. */
export type Garbage = ReadonlySet<string>;

function audioObjects(obs: Observation, garbage: Garbage): StoredCopy[] {
  return [...obs.store.values()].filter((o) => !o.key.endsWith('.json') && !garbage.has(o.key));
}

/** The stored copies of a recording: objects with its bytes whose metadata names it. */
export function copiesOf(r: ModelRecording, obs: Observation, garbage: Garbage): StoredCopy[] {
  const md5 = contentMd5(r);
  return audioObjects(obs, garbage).filter((o) => {
    if (o.md5 !== md5) return false;
    const m = obs.store.get(`${o.key}.json`)?.json;
    return !m || namesRecording(r, m.id, m.path);
  });
}

/** Which recording a journal entry is: by id, else an adoption by path and bytes. */
function recordingOf(e: JournalEntry, recs: readonly ModelRecording[]): ModelRecording | undefined {
  return recs.find((r) => r.meta?.id === e.id) ?? recs.find((r) => e.adopted && r.path === e.meta.path && (e.md5 === undefined || e.md5 === contentMd5(r)));
}

/** What must hold at every moment, even with uploads, retries and scans running. */
export function checkAlways(recs: readonly ModelRecording[], obs: Observation, garbage: Garbage): string[] {
  const bad: string[] = [];
  const byMd5 = new Map<string, ModelRecording>();
  for (const r of recs) if (r.content.length > 0) byMd5.set(contentMd5(r), r);

  // Storage holds recordings' bytes only (never a file still being written, never a part), each at most once.
  const seen = new Map<string, string>();
  for (const o of audioObjects(obs, garbage)) {
    const r = byMd5.get(o.md5);
    if (!r) {
      bad.push(`stored object ${o.key} (${o.size} B, md5 ${o.md5}) holds no recording's bytes as FreeSWITCH finished them`);
      continue;
    }
    const other = seen.get(o.md5);
    if (other !== undefined) bad.push(`recording ${describeRecording(r)} is stored twice: ${other} and ${o.key}`);
    seen.set(o.md5, o.key);
  }

  for (const r of recs) {
    if (!r.onDisk || r.overwritten) continue;
    const size = obs.files.get(r.path);
    if (size === undefined) {
      // No local file is deleted before its stored copy was verified.
      const copy = copiesOf(r, obs, garbage)[0];
      if (r.writing) bad.push(`the file FreeSWITCH is still writing vanished: ${describeRecording(r)}`);
      else if (!copy) bad.push(`local file deleted but storage has no copy of its bytes with metadata naming it: ${describeRecording(r)}`);
      else if (!obs.store.has(`${copy.key}.json`)) bad.push(`local file deleted but its stored copy ${copy.key} has no metadata object: ${describeRecording(r)}`);
    } else if (size !== r.content.length) {
      bad.push(`local file has ${size} B, FreeSWITCH wrote ${r.content.length} B: ${describeRecording(r)}`);
    }
  }

  for (const e of obs.journal.values()) {
    if (e.state === 'lost') bad.push(`journal says lost: ${e.id} ${e.meta.path} (${e.lastError ?? ''})`);
    if (e.state !== 'stored') continue;
    const o = obs.store.get(e.key);
    if (!o || garbage.has(e.key)) bad.push(`journal says ${e.id} is stored at ${e.key}, storage has ${o ? 'corrupt bytes' : 'nothing'} there`);
    else if (o.size !== e.size || o.md5 !== e.md5) bad.push(`journal says ${e.id} stored ${e.size} B md5 ${e.md5} at ${e.key}, storage has ${o.size} B md5 ${o.md5}`);
    const r = recordingOf(e, recs);
    if (!r) bad.push(`journal says stored a recording the model never made: ${e.id} ${e.meta.path}`);
    else if (e.md5 !== contentMd5(r)) bad.push(`journal says ${e.id} stored md5 ${e.md5}, FreeSWITCH's bytes have ${contentMd5(r)}: ${describeRecording(r)}`);
  }
  return bad;
}

/** What the running spool's scan can settle at a quiet check (see awaitsScan). */
export interface ScanView {
  /** The running spool instance (the model counts the starts). */
  instance: number;
  /** FreeSWITCH can be asked which files it writes: while it cannot, the scan finishes and adopts nothing. */
  freeswitchAnswers: boolean;
  /** Model clock: every scan the check waited for started at or after this. */
  from: number;
  /** upload.orphan_stable_ms. */
  stableMs: number;
}

/**
 * A settling event (finished, failed, discarded) the recorder gave to an instance that died before its journal
 * write landed: the call returns once the first write is tried, and a write that failed (ENOSPC) is retried in
 * the background of that instance only. The disk still says "recording" (or nothing), the recorder of the next
 * instance does not follow the recording, so only the scan can settle it, and the scan may not yet: it asks
 * FreeSWITCH first (README Guarantees 6) and waits for a file unchanged (with no file: a start) orphan_stable_ms
 * old. True while that is so; once FreeSWITCH answers and the time has passed, the check expects it settled.
 */
export function awaitsScan(r: ModelRecording, obs: Observation, recs: readonly ModelRecording[], scan: ScanView): boolean {
  if (!r.meta || r.told === undefined || r.told === 'started' || r.toldBy === scan.instance) return false;
  const onDisk = obs.journal.get(r.meta.id);
  if (onDisk && onDisk.state !== 'recording') return false;
  if (!scan.freeswitchAnswers) return true;
  // Another recording FreeSWITCH writes at this path (a reused name): the scan leaves the path alone.
  if (recs.some((o) => o !== r && o.path === r.path && (o.writing || o.followed))) return true;
  // The file's mtime went through utimes in seconds: a millisecond either way.
  const since = r.onDisk ? (r.writtenAtMs ?? scan.from) : Date.parse(r.meta.startedAt);
  return scan.from - since < scan.stableMs + 1;
}

/**
 * Status tells the truth: at a quiet moment (every journal write landed, nothing in flight) its counts are those
 * of the journal on disk, every recording the spool took as finished is really stored, and nothing it counts
 * as recording was settled by the recorder.
 */
export function checkStatus(recs: readonly ModelRecording[], obs: Observation, garbage: Garbage, status: SpoolStatus, storageHealthy: boolean, scan: ScanView): string[] {
  const bad: string[] = [];
  const count = (states: readonly string[]): number => [...obs.journal.values()].filter((e) => states.includes(e.state)).length;
  const want = { stored: count(['stored']), backlogFiles: count(['finished', 'uploading']), inProgress: count(['recording']), lost: count(['lost']) };
  for (const [k, v] of Object.entries(want)) {
    const got = status[k as keyof typeof want];
    if (got !== v) bad.push(`status ${k} ${got}, journal on disk has ${v}`);
  }
  if (status.journalWritesFailing !== 0) bad.push(`status: ${status.journalWritesFailing} journal writes failing at a quiet moment`);
  const pendingBytes = [...obs.journal.values()].filter((e) => e.state === 'finished' || e.state === 'uploading').reduce((sum, e) => sum + (obs.files.get(e.meta.path) ?? 0), 0);
  if (status.backlogBytes !== pendingBytes) bad.push(`status backlogBytes ${status.backlogBytes}, the waiting files have ${pendingBytes} B`);
  if (storageHealthy && status.backlogFiles !== 0) bad.push(`storage works but ${status.backlogFiles} recordings still wait`);
  for (const e of obs.journal.values()) {
    if (e.state !== 'recording') continue;
    const r = recordingOf(e, recs);
    // While FreeSWITCH still writes the file, "recording" is right whatever the recorder said: a crash may
    // have cut the journal write of its "failed", and the file is stored once FreeSWITCH stops (seed 1960399557).
    // A settling event a dead instance took but never journaled is the scan's to settle, when it may (awaitsScan).
    if (r?.told && r.told !== 'started' && !(r.writing && r.onDisk) && !awaitsScan(r, obs, recs, scan)) bad.push(`status counts ${e.id} as recording, the recorder told the spool ${r.told}: ${describeRecording(r)}`);
  }
  if (storageHealthy) {
    for (const r of recs) {
      if (r.told === 'finished' && r.onDisk && !r.writing && copiesOf(r, obs, garbage).length === 0 && !awaitsScan(r, obs, recs, scan)) bad.push(`the spool took finished and storage works, yet nothing is stored: ${describeRecording(r)}`);
    }
  }
  return bad;
}

/**
 * At the end, FreeSWITCH idle and storage healthy, every recording is settled: stored exactly once (journal
 * and storage agree), or journaled as discarded with FreeSWITCH's cause, or failed; nothing else in storage.
 */
export function checkFinal(recs: readonly ModelRecording[], obs: Observation, garbage: Garbage, history: ReadonlyMap<string, JournalEntry>): string[] {
  const bad: string[] = [];
  let expectedObjects = 0;
  for (const r of recs) {
    const outcome = expectedOutcome(r);
    const copies = copiesOf(r, obs, garbage);
    const last = r.meta ? history.get(r.meta.id) : undefined;
    if (outcome === 'open') bad.push(`still recording at the end (model error): ${describeRecording(r)}`);
    if (outcome === 'stored') {
      expectedObjects++;
      if (copies.length !== 1) bad.push(`stored ${copies.length} times, want exactly once: ${describeRecording(r)}`);
      const copy = copies[0];
      if (copy && !obs.store.get(`${copy.key}.json`)) bad.push(`stored at ${copy.key} without its metadata object: ${describeRecording(r)}`);
      for (const e of obs.journal.values()) {
        if (recordingOf(e, [r]) !== r) continue;
        if (e.state !== 'stored' || e.key !== copy?.key) bad.push(`journal entry ${e.id} says ${e.state} at ${e.key}, storage has it at ${copy?.key ?? 'nowhere'}: ${describeRecording(r)}`);
      }
    } else if (copies.length > 0) {
      bad.push(`stored though FreeSWITCH left no audio (${outcome}): ${describeRecording(r)} at ${copies.map((c) => c.key).join(', ')}`);
    }
    // A crash that cut the journal write of a discard or a failure leaves the entry "recording" with no file;
    // the next run closes it as discarded with cause no-file-after-restart (FreeSWITCH's own cause died with
    // the process that heard it). Nothing stored, nothing lost: the README's Guarantees say so.
    const closedAfterRestart = last?.state === 'discarded' && last.result?.completionCause === 'no-file-after-restart';
    // A write that failed at journal.fsync-dir had already renamed the new state into place: the disk took
    // it, no listener heard it, and the entry was later pruned (only final states are). Gone from the journal
    // with "recording" as the last state heard means a final state reached the disk (seed 219277237).
    const prunedUnheard = last?.state === 'recording' && r.meta !== undefined && !obs.journal.has(r.meta.id) && !r.onDisk;
    if (outcome === 'discarded' && !closedAfterRestart && !prunedUnheard && (last?.state !== 'discarded' || last.result?.completionCause !== r.discardCause)) {
      bad.push(`journal last said ${last ? `${last.state} (${last.result?.completionCause ?? ''})` : 'nothing'}, want discarded with FreeSWITCH's cause ${r.discardCause}: ${describeRecording(r)}`);
    }
    if (outcome === 'failed' && !closedAfterRestart && !prunedUnheard && last?.state !== 'failed') bad.push(`journal last said ${last?.state ?? 'nothing'}, want failed: ${describeRecording(r)}`);
  }
  const objects = audioObjects(obs, garbage);
  if (objects.length !== expectedObjects) bad.push(`storage holds ${objects.length} recordings, the model made ${expectedObjects} to store`);
  for (const o of objects) if (!obs.store.has(`${o.key}.json`)) bad.push(`stored object ${o.key} has no metadata object`);
  for (const [path] of obs.files) bad.push(`file left in spool_dir after everything settled: ${path}`);
  for (const e of obs.journal.values()) if (!['stored', 'discarded', 'failed'].includes(e.state)) bad.push(`journal entry ${e.id} ended ${e.state}`);
  return bad;
}
