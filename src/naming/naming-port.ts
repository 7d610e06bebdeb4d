/** What the recorder asks of the naming layer: a safe path for one recording. */
import type { Call, Leg } from '../calls/types';
import type { Decision, RecordingPlan } from '../policy/types';

export interface NameRequest {
  call: Call;
  /** The leg being recorded. */
  leg: Leg;
  kind: 'call' | 'on-demand';
  decision?: Decision;
  plan?: RecordingPlan;
  /** On-demand: the n-th *3 recording of this call, and the name a channel variable gave. */
  seq?: number;
  name?: string;
  extension: string;
  now: Date;
}

export interface NamedPath {
  absolutePath: string;
  /** Relative to root: the default object key. */
  relativePath: string;
  root: string;
  /** Set when the template failed or tried to escape: the path is the safe fallback. */
  error?: string;
}

export type NamePath = (request: NameRequest) => NamedPath;
