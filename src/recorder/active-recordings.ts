/**
 * The recordings fsrecd has asked FreeSWITCH to make and that have not ended, indexed by the two keys
 * events carry: the file path (RECORD_START/STOP) and the call (hangup, *3).
 */
import type { Leg } from '../calls/types';
import type { RecordingOptions } from '../config/types';
import type { RecordingMeta } from '../model/recording';

export interface ActiveRecording {
  meta: RecordingMeta;
  /**
   * 'starting' until uuid_record answers +OK; 'unknown' when its reply never came (FreeSWITCH may be
   * recording: events or the resync settle it); 'stopping' after we sent stop.
   */
  state: 'starting' | 'unknown' | 'recording' | 'stopping';
  masked: boolean;
  /** The options it was started with (a continuation after a transfer keeps them). */
  options: RecordingOptions;
  /** Started before answer (RECORD_ANSWER_REQ / RECORD_BRIDGE_REQ): FreeSWITCH writes from the answer on. */
  armed: boolean;
  /** The recorded channel, as the registry keeps it up to date (answered or not). */
  leg: Leg;
  /** The call ended while uuid_record was still on its way: finish as soon as FreeSWITCH answers. */
  callEnded?: boolean;
}

export class ActiveRecordings {
  readonly #byPath = new Map<string, ActiveRecording>();
  readonly #byCall = new Map<string, Set<ActiveRecording>>();
  /** On-demand recordings made per call so far: each *3 restart gets the next number. */
  readonly #onDemandSeq = new Map<string, number>();

  get size(): number {
    return this.#byPath.size;
  }

  add(rec: ActiveRecording): void {
    this.#byPath.set(rec.meta.path, rec);
    let set = this.#byCall.get(rec.meta.callUuid);
    if (!set) {
      set = new Set();
      this.#byCall.set(rec.meta.callUuid, set);
    }
    set.add(rec);
  }

  byPath(path: string): ActiveRecording | undefined {
    return this.#byPath.get(path);
  }

  ofCall(callUuid: string): ActiveRecording[] {
    return [...(this.#byCall.get(callUuid) ?? [])];
  }

  hasPath(path: string): boolean {
    return this.#byPath.has(path);
  }

  remove(rec: ActiveRecording): void {
    this.#byPath.delete(rec.meta.path);
    const set = this.#byCall.get(rec.meta.callUuid);
    set?.delete(rec);
    if (set && set.size === 0) this.#byCall.delete(rec.meta.callUuid);
  }

  nextOnDemandSeq(callUuid: string): number {
    const n = (this.#onDemandSeq.get(callUuid) ?? 0) + 1;
    this.#onDemandSeq.set(callUuid, n);
    return n;
  }

  /** The call is over: its counters go too (no growth over millions of calls). */
  forgetCall(callUuid: string): void {
    this.#onDemandSeq.delete(callUuid);
  }

  all(): ActiveRecording[] {
    return [...this.#byPath.values()];
  }
}
