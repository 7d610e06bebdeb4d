/**
 * Event templates for the call flows of captures 10-13 (blind transfer, attended transfer by uuid_bridge,
 * originate, mod_callcenter queue), extracted by scripts/extract-sim-templates.ts as
 * `flow:<flow>.<role>.<event>.<n>`: the n-th event of that name on that leg, in the capture. A leg follows a
 * flow (SimChannel.flow) and counts its events, so its k-th CHANNEL_EXECUTE carries the header names of the
 * capture's k-th, as FreeSWITCH's grow during a call (codec headers after answer, Caller-Transfer-Source after
 * a transfer, Other-Leg-* while bridged).
 */
import { CAPTURED_EVENTS } from './captured-events';
import type { SimChannel } from './channel';

type Template = ReadonlyArray<readonly [string, string]>;

/** Captures whose legs were plain calls before the flow began: their events stand in for events no shape has. */
const FALLBACK_FLOWS = ['blind', 'attended', 'originate', 'queue'];

/** The n-th captured `name` event of a flow's leg, or its last one when the capture has fewer. */
export function flowTemplate(flow: string, role: string, name: string, n: number): Template | undefined {
  for (let i = n; i >= 0; i--) {
    const t = CAPTURED_EVENTS[`flow:${flow}.${role}.${name}.${i}`];
    if (t) return t;
  }
  return undefined;
}

/** Counts this event on the leg and returns its index (0 for the first of that name). */
export function nextEventIndex(ch: SimChannel, name: string): number {
  ch.eventCounts ??= new Map();
  const n = ch.eventCounts.get(name) ?? 0;
  ch.eventCounts.set(name, n + 1);
  return n;
}

/**
 * The template for a leg's next `name` event when the leg follows a flow, or when no shape template exists
 * for it (CHANNEL_EXECUTE, CALL_UPDATE, CHANNEL_DESTROY on a plain call: capture 10's for a bridged call).
 * undefined: use the shape's template (src/sim/event-builder.ts).
 */
export function legTemplate(ch: SimChannel, name: string, n: number, shapeHasIt: boolean): Template | undefined {
  if (ch.flow) {
    const t = flowTemplate(ch.flow.name, ch.flow.role, name, n);
    if (t) return t;
  }
  if (shapeHasIt) return undefined;
  const roles = ch.role === 'a' ? ['a', 'b', 'c'] : ['b', 'c', 'a'];
  for (const role of roles) for (const flow of FALLBACK_FLOWS) {
    const t = flowTemplate(flow, role, name, n);
    if (t) return t;
  }
  return undefined;
}

/** The `{leg:a}`… placeholder values for a leg's event: the legs of its flow by role. */
export function placeholdersOf(ch: SimChannel, other: SimChannel | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...ch.flow?.peers, ...extra };
  const role = ch.flow?.role ?? ch.role;
  out[`leg:${role}`] = ch.uuid;
  if (other) out[`leg:${other.flow?.role ?? other.role}`] ??= other.uuid;
  return out;
}
