/**
 * Starts one recording: a unique path, its directory, the journal entry, `uuid_record` on the leg. A reply
 * that never comes is not a failure (FreeSWITCH may be recording: the settlement follows it); a -ERR is.
 */
import type { Call, Leg } from '../calls/types';
import type { RecordingOptions } from '../config/types';
import type { NamedPath } from '../naming/naming-port';
import type { ActiveRecording } from './active-recordings';
import { outcomeUnknown } from './command-outcome';
import type { RecorderContext } from './context';
import { recordStartCommand } from './record-command';
import { recordingMeta, type StartReason } from './recording-meta';
import type { Settlement } from './settlement';
import { UniquePaths, withSuffix } from './unique-paths';

function failureKind(message: string): string {
  if (/Cannot locate session/i.test(message)) return 'no-session';
  if (/timeout|no reply/i.test(message)) return 'timeout';
  if (/not connected/i.test(message)) return 'disconnected';
  if (/refusing to send/i.test(message)) return 'unsafe-path';
  return 'other';
}

export class RecordingStarter {
  readonly #paths: UniquePaths;

  constructor(
    private readonly ctx: RecorderContext,
    private readonly settlement: Settlement,
  ) {
    this.#paths = new UniquePaths((p) => ctx.active.hasPath(p), ctx.deps.log);
  }

  async start(call: Call, leg: Leg, named: NamedPath, options: RecordingOptions, about: StartReason): Promise<boolean> {
    const { log, metrics, sink, api, bus } = this.ctx.deps;
    if (named.error) {
      log.error('recording filename template failed; recording under the fallback name', { call: call.uuid, error: named.error, path: named.absolutePath });
      metrics.inc('fsrecd_naming_fallbacks_total', 'Recordings named by the fallback because the template failed');
    }
    const suffix = this.#paths.claim(named.absolutePath);
    const path = withSuffix(named.absolutePath, suffix);
    const meta = recordingMeta(this.ctx.deps.config(), call, leg, { path, relativePath: withSuffix(named.relativePath, suffix) }, about, this.ctx.now());
    const armed = about.startedBy === 'armed';
    const rec: ActiveRecording = { meta, state: 'starting', masked: false, options, armed, leg };
    // Registered before the command: FreeSWITCH may send RECORD_START before the api reply.
    this.ctx.active.add(rec);
    // The command is written to the socket first (an async function runs to its first await at once; a path
    // refused by recordStartCommand becomes its rejection). The journal entry is made in the same tick, in
    // parallel, never before it: every millisecond here is audio not recorded, and a crash in between loses
    // nothing (the spool scan adopts a file no journal names).
    const command = (async () => api(recordStartCommand(leg.uuid, path, options, armed)))();
    const journaled = sink.started(meta).catch((err: unknown) => {
      log.error('could not journal a recording start; recording anyway (the spool scan will adopt the file)', { recording: meta.id, error: String(err) });
    });
    try {
      await command;
      await journaled;
      if (rec.state === 'starting') rec.state = 'recording';
      if (rec.callEnded && this.ctx.active.hasPath(path)) {
        this.ctx.active.remove(rec);
        await sink.finished(meta, { endedAt: new Date(this.ctx.now()).toISOString(), durationMs: 0, completionCause: 'call-ended-during-start' });
        return true;
      }
      metrics.inc('fsrecd_recordings_started_total', 'Recordings started', { kind: about.onDemand ? 'on-demand' : 'rule' });
      log.info('recording started', { recording: meta.id, call: call.uuid, leg: leg.uuid, path, reasons: meta.reasons });
      await this.#markChannel(leg.uuid, path);
      bus.emit('recordingStarted', meta, options);
      return true;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const unknown = outcomeUnknown(err);
      // Marked before any wait: the reconnect's resync may run meanwhile and must see it as unknown.
      if (unknown && rec.state === 'starting') rec.state = 'unknown';
      await journaled;
      if (unknown) {
        // The command may have reached FreeSWITCH, which then records on: RECORD_START/STOP, the call's end
        // or the next resync settle it. Journaled as still recording, never as failed.
        metrics.inc('fsrecd_record_start_unanswered_total', 'uuid_record commands whose reply was late or lost (settled from events)');
        log.warn('uuid_record reply late or lost; following the recording until FreeSWITCH says what became of it', { recording: meta.id, call: call.uuid, path, error: reason });
        await sink.note?.(meta.id, `uuid_record reply not received: ${reason}`);
        if (rec.callEnded) await this.settlement.settleUnknown(rec, 'call-ended-during-start');
        return true;
      }
      this.ctx.active.remove(rec);
      metrics.inc('fsrecd_recordings_failed_total', 'Recordings FreeSWITCH refused to start', { reason: failureKind(reason) });
      log.error('uuid_record start failed', { recording: meta.id, call: call.uuid, leg: leg.uuid, path, error: reason });
      await sink.failed(meta, reason).catch((e: unknown) => log.error('could not journal a failed recording', { error: String(e) }));
      return false;
    }
  }

  /** Marks the channel (fsrecd_recording) so a restarted daemon does not start a second recording on it. */
  async #markChannel(legUuid: string, path: string): Promise<void> {
    try {
      await this.ctx.deps.api(`uuid_setvar ${legUuid} fsrecd_recording ${path}`);
    } catch (err) {
      this.ctx.deps.log.debug('could not mark the channel as recorded', { leg: legUuid, error: String(err) });
    }
  }
}
