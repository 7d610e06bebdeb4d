/**
 * What the call-flow modules (src/sim/transfers.ts, originate.ts, queue.ts) may do to the simulator: make and
 * announce legs, send their events in the captured order, bridge, hang up. The simulator implements it.
 */
import type { CallSpec, Role, SimChannel, SimEndpoint } from './channel';

type Headers = Array<[string, string]>;

/** What the dialplan does with a destination: bridge to a phone, answer + echo (vanilla 7700), or park. */
export type DialplanTarget = SimEndpoint | 'echo' | 'park';

export interface FlowHost {
  readonly hostname: string;
  readonly dialplan: ReadonlyMap<string, DialplanTarget>;
  clockUs(): number;
  channel(uuid: string): SimChannel | undefined;
  makeLeg(ep: SimEndpoint, role: Role, spec: CallSpec, callUuid?: string): SimChannel;
  addLeg(ch: SimChannel): Promise<void>;
  answerLeg(ch: SimChannel): Promise<void>;
  emitChannelEvent(name: string, ch: SimChannel, extra?: Record<string, string>, templateName?: string): Promise<void>;
  sendEvent(name: string, headers: Headers): Promise<void>;
  dialplanApps(ch: SimChannel, apps: ReadonlyArray<readonly [string, string]>): Promise<void>;
  bridgeLegs(x: SimChannel, y: SimChannel, opts?: { afterBridge?: () => Promise<void> }): Promise<void>;
  unbridged(ch: SimChannel): void;
  hangupCall(first: SimChannel, cause: string): Promise<void>;
  hangupLegAlone(ch: SimChannel, cause: string): Promise<void>;
  destroyLeg(ch: SimChannel): Promise<void>;
  moveRecordings(from: SimChannel, to: SimChannel): void;
  stopRecordings(ch: SimChannel, cause: string): Promise<void>;
}

/** `<epoch s>:<uuid>:<kind>:<data>`, as switch_ivr.c appends to transfer_history. */
export function transferHistoryEntry(nowUs: number, uuid: string, kind: string, data: string): string {
  return `${Math.floor(nowUs / 1_000_000)}:${uuid}:${kind}:${data}`;
}
