/**
 * Starts and stops FreeSWITCH recordings: decides when to ask the policy (decisions.ts), starts
 * `uuid_record` (starter.ts) and settles each recording from FreeSWITCH's events (settlement.ts), handing
 * every finished file to the sink (the spool). Feature modules (src/features/) drive it through the
 * methods below: *3 starts and stops, pause masks, a transfer continues a conversation.
 */
import { aLegOf } from '../calls/a-leg';
import type { Call, Leg } from '../calls/types';
import type { RecordingOptions } from '../config/types';
import type { NamedPath } from '../naming/naming-port';
import type { ActiveRecording } from './active-recordings';
import { RecorderContext, type RecorderDeps } from './context';
import { DecisionPoint } from './decisions';
import { recordMaskCommand, recordStopCommand } from './record-command';
import type { StartReason } from './recording-meta';
import { Settlement } from './settlement';
import { RecordingStarter } from './starter';

export type { RecorderDeps } from './context';
export { extensionFor } from './decisions';

export class Recorder {
  readonly #ctx: RecorderContext;
  readonly #settlement: Settlement;
  readonly #starter: RecordingStarter;
  readonly #decisions: DecisionPoint;

  constructor(deps: RecorderDeps) {
    this.#ctx = new RecorderContext(deps);
    this.#settlement = new Settlement(this.#ctx);
    this.#starter = new RecordingStarter(this.#ctx, this.#settlement);
    this.#decisions = new DecisionPoint(this.#ctx, this.#starter);
    const { bus } = deps;
    bus.on('legCreated', (leg, call) => this.#decisions.arm(call, leg));
    bus.on('legAnswered', (leg, call) => this.#decisions.consider(call, 'answer', leg));
    bus.on('callBridged', (call, a, b) => this.#decisions.consider(call, 'bridge', undefined, [a, b]));
    bus.on('recordStart', (start) => this.#settlement.onRecordStart(start));
    bus.on('recordStop', (stop) => this.#settlement.onRecordStop(stop));
    bus.on('callEnded', (call) => this.#settlement.onCallEnded(call));
    bus.on('resynced', (calls) => this.#onResynced(calls));
  }

  get activeCount(): number {
    return this.#ctx.active.size;
  }

  active(): ActiveRecording[] {
    return this.#ctx.active.all();
  }

  /** The recordings of one call that have not ended. */
  recordingsOf(callUuid: string): ActiveRecording[] {
    return this.#ctx.active.ofCall(callUuid);
  }

  /** This recorder follows the file at `path` (its RECORD_STOP, or the call's end, will settle it). */
  follows(path: string): boolean {
    return this.#ctx.active.hasPath(path);
  }

  get accepting(): boolean {
    return this.#ctx.accepting;
  }

  stopAccepting(): void {
    this.#ctx.accepting = false;
  }

  /** The n-th *3 recording of a call (each restart of *3 gets the next number, hence a new file). */
  nextOnDemandSeq(callUuid: string): number {
    return this.#ctx.active.nextOnDemandSeq(callUuid);
  }

  /** Starts a recording that no plan of the policy made (*3, a transfer's continuation). */
  start(call: Call, leg: Leg, named: NamedPath, options: RecordingOptions, about: StartReason): Promise<boolean> {
    return this.#starter.start(call, leg, named, options, about);
  }

  /** These legs of a call are covered by a recording now: no plan starts another on them. */
  claimLegs(callUuid: string, legUuids: Iterable<string>): void {
    const started = this.#ctx.started.of(callUuid);
    for (const uuid of legUuids) started.add(uuid);
  }

  async stop(rec: ActiveRecording, why: string): Promise<void> {
    const { api, log } = this.#ctx.deps;
    rec.state = 'stopping';
    try {
      await api(recordStopCommand(rec.meta.legUuid, rec.meta.path));
      log.info('recording stop requested', { recording: rec.meta.id, why });
    } catch (err) {
      // -ERR Cannot stop record session!: it already ended; RECORD_STOP (or the hangup) closes it.
      log.warn('uuid_record stop failed', { recording: rec.meta.id, error: String(err) });
    }
  }

  /** Masks (silence is written) or unmasks one recording; false when FreeSWITCH refused. */
  async setMasked(rec: ActiveRecording, masked: boolean): Promise<boolean> {
    try {
      await this.#ctx.deps.api(recordMaskCommand(rec.meta.legUuid, rec.meta.path, masked));
      rec.masked = masked;
      return true;
    } catch (err) {
      this.#ctx.deps.log.error('uuid_record mask/unmask failed', { recording: rec.meta.id, error: String(err) });
      return false;
    }
  }

  /** After a reconnect: unanswered starts are settled, and calls answered while away get their decision. */
  async #onResynced(calls: readonly Call[]): Promise<void> {
    await this.#settlement.afterResync();
    for (const call of calls) {
      const aLeg = aLegOf(call);
      if (!aLeg?.answered) continue;
      this.#decisions.consider(call, aLeg.bridged ? 'bridge' : 'answer');
      if (aLeg.bridged) this.#decisions.consider(call, 'answer');
    }
  }
}
