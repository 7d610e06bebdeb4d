/**
 * What the recorder's parts share: their collaborators, the recordings in flight, which legs of a call a
 * recording already covers, and whether new work is still taken (not after shutdown began).
 */
import type { Bus } from '../bus';
import type { Call } from '../calls/types';
import type { FsrecdConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { RecordingSink } from '../model/recording';
import type { NamePath } from '../naming/naming-port';
import type { Decision } from '../policy/types';
import { ActiveRecordings } from './active-recordings';

export interface RecorderDeps {
  bus: Bus;
  api: (command: string) => Promise<string>;
  config: () => FsrecdConfig;
  decide: (call: Call) => Decision;
  namePath: NamePath;
  sink: RecordingSink;
  /** Whether a file exists (an unanswered uuid_record is settled by what FreeSWITCH left on disk). */
  fileExists?: (path: string) => Promise<boolean>;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

/** Per call, the legs a recording already covers: one recording per call (per leg with per_endpoint_files). */
export class StartedLegs {
  readonly #byCall = new Map<string, Set<string>>();

  of(callUuid: string): Set<string> {
    let legs = this.#byCall.get(callUuid);
    if (!legs) {
      legs = new Set();
      this.#byCall.set(callUuid, legs);
    }
    return legs;
  }

  has(callUuid: string, legUuid: string): boolean {
    return this.#byCall.get(callUuid)?.has(legUuid) ?? false;
  }

  forget(callUuid: string): void {
    this.#byCall.delete(callUuid);
  }
}

export class RecorderContext {
  readonly active = new ActiveRecordings();
  readonly started = new StartedLegs();
  /** Stops taking new work on shutdown; live FreeSWITCH recordings continue. */
  accepting = true;
  readonly now: () => number;

  constructor(readonly deps: RecorderDeps) {
    this.now = deps.now ?? Date.now;
  }
}
