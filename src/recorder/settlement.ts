/**
 * How each recording ends, from what FreeSWITCH says: RECORD_START and RECORD_STOP by path, the call's end
 * when a RECORD_STOP was missed, FreeSWITCH's media bugs after a reconnect for a start whose reply never
 * came. Every ending goes to the sink (the spool's journal) as finished, discarded or failed — never lost.
 */
import { access } from 'node:fs/promises';
import type { RecordStart, RecordStopInfo } from '../calls/record-stop';
import type { Call } from '../calls/types';
import type { ActiveRecording } from './active-recordings';
import type { RecorderContext } from './context';
import { mediaBugTargets } from './media-bugs';

const defaultFileExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

export class Settlement {
  constructor(private readonly ctx: RecorderContext) {}

  #fileExists(path: string): Promise<boolean> {
    return (this.ctx.deps.fileExists ?? defaultFileExists)(path);
  }

  onRecordStart(start: RecordStart): void {
    const rec = this.ctx.active.byPath(start.path);
    if (rec && (rec.state === 'starting' || rec.state === 'unknown')) rec.state = 'recording';
  }

  async onRecordStop(info: RecordStopInfo): Promise<void> {
    const { active, deps } = this.ctx;
    const rec = active.byPath(info.path);
    if (!rec) return; // Not ours (dialplan recordings are adopted by the spool's scan).
    active.remove(rec);
    const { sink, log, metrics, bus } = deps;
    // Said first: a transfer follower learns here that the recorded channel left its bridge.
    bus.emit('recordingEnded', rec.meta, rec.options, info);
    if (rec.armed && !rec.leg.answered && !(await this.#fileExists(rec.meta.path))) {
      await this.#discardUnanswered(rec);
      return;
    }
    if (info.discarded) {
      metrics.inc('fsrecd_recordings_discarded_total', 'Recordings FreeSWITCH discarded', { cause: info.result.completionCause });
      log.info('recording discarded by FreeSWITCH', { recording: rec.meta.id, cause: info.result.completionCause });
      await sink.discarded(rec.meta, info.result).catch((e: unknown) => log.error('journal write failed', { error: String(e) }));
      return;
    }
    metrics.inc('fsrecd_recordings_finished_total', 'Recordings finished');
    log.info('recording finished', { recording: rec.meta.id, path: rec.meta.path, durationMs: info.result.durationMs, cause: info.result.completionCause });
    await sink.finished(rec.meta, info.result).catch((e: unknown) => log.error('journal write failed', { error: String(e) }));
  }

  /** A call ended without a RECORD_STOP for some recording (missed while disconnected): close it anyway. */
  async onCallEnded(call: Call): Promise<void> {
    const { active, started, deps } = this.ctx;
    started.forget(call.uuid);
    active.forgetCall(call.uuid);
    for (const rec of active.ofCall(call.uuid)) {
      if (rec.armed && !rec.leg.answered && !(await this.#fileExists(rec.meta.path))) {
        active.remove(rec);
        await this.#discardUnanswered(rec);
        continue;
      }
      if (rec.state === 'unknown') {
        await this.settleUnknown(rec, 'call-ended-without-record-stop');
        continue;
      }
      if (rec.state === 'starting') {
        // uuid_record is in flight: its reply decides (a -ERR journals it as failed, a +OK finishes it).
        rec.callEnded = true;
        continue;
      }
      active.remove(rec);
      const now = this.ctx.now();
      const result = { endedAt: new Date(now).toISOString(), durationMs: now - Date.parse(rec.meta.startedAt), completionCause: 'call-ended-without-record-stop' };
      deps.log.warn('call ended without RECORD_STOP; handing the file to the spool as finished', { recording: rec.meta.id });
      await deps.sink.finished(rec.meta, result).catch((e: unknown) => deps.log.error('journal write failed', { error: String(e) }));
    }
  }

  /**
   * A recording whose uuid_record reply never came, once its channel is gone (or FreeSWITCH has no media
   * bug for it): a file on disk is a recording to store; no file means FreeSWITCH never started it.
   */
  async settleUnknown(rec: ActiveRecording, cause: string): Promise<void> {
    this.ctx.active.remove(rec);
    const { sink, log } = this.ctx.deps;
    const now = this.ctx.now();
    if (await this.#fileExists(rec.meta.path)) {
      log.info('unanswered uuid_record did record; storing the file', { recording: rec.meta.id, path: rec.meta.path });
      await sink.finished(rec.meta, { endedAt: new Date(now).toISOString(), durationMs: now - Date.parse(rec.meta.startedAt), completionCause: cause });
    } else {
      log.warn('unanswered uuid_record left no file: FreeSWITCH did not record', { recording: rec.meta.id, path: rec.meta.path });
      await sink.failed(rec.meta, `uuid_record reply lost and no file was written (${cause})`);
    }
  }

  /** After a reconnect, unanswered starts on channels still up: FreeSWITCH's media bugs say whether it records. */
  async afterResync(): Promise<void> {
    const { deps } = this.ctx;
    for (const rec of this.ctx.active.all()) {
      if (rec.state !== 'unknown') continue;
      try {
        const targets = mediaBugTargets(await deps.api(`uuid_buglist ${rec.meta.legUuid}`));
        if (targets.has(rec.meta.path)) {
          rec.state = 'recording';
          deps.log.info('unanswered uuid_record is recording after all', { recording: rec.meta.id });
        } else await this.settleUnknown(rec, 'not-recording-after-resync');
      } catch (err) {
        // -ERR: the channel is gone (its end settles the recording); a timeout: the next resync asks again.
        deps.log.debug('uuid_buglist failed during resync', { recording: rec.meta.id, error: String(err) });
      }
    }
  }

  /** An armed recording of a call nobody answered: nothing was recorded, nothing is lost. */
  async #discardUnanswered(rec: ActiveRecording): Promise<void> {
    const { deps } = this.ctx;
    deps.metrics.inc('fsrecd_recordings_discarded_total', 'Recordings FreeSWITCH discarded', { cause: 'unanswered' });
    deps.log.info('armed recording of an unanswered call: nothing to store', { recording: rec.meta.id });
    await deps.sink.discarded(rec.meta, { endedAt: new Date(this.ctx.now()).toISOString(), durationMs: 0, completionCause: 'unanswered' });
  }
}
