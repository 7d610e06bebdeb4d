/**
 * The variables a filename template can use: Wazo's (srcnum, dstnum, timestamp, local_time, utc_time,
 * base_context, tenant_uuid) plus ours. All values are already path-safe.
 */
import { MAX_VAR_LENGTH, sanitizeVar } from './sanitize';

export interface NamingInput {
  srcnum: string;
  dstnum: string;
  baseContext: string;
  tenantUuid: string;
  uuid: string;
  callId?: string;
  direction: string;
  network: string;
  user?: string;
  device?: string;
  node: string;
  /** On-demand recordings: the name a channel variable gave (else caller-callee) and the n-th *3. */
  name?: string;
  seq?: number;
}

export type NamingVars = Record<string, string>;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Wazo's formats: local_time `%Y-%m-%dT%H_%M_%S`, utc_time the same with a `UTC` suffix. */
function stamp(parts: { y: number; mo: number; d: number; h: number; mi: number; s: number }): string {
  return `${parts.y}-${pad(parts.mo)}-${pad(parts.d)}T${pad(parts.h)}_${pad(parts.mi)}_${pad(parts.s)}`;
}

function localParts(now: Date, timeZone?: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  if (!timeZone) {
    return { y: now.getFullYear(), mo: now.getMonth() + 1, d: now.getDate(), h: now.getHours(), mi: now.getMinutes(), s: now.getSeconds() };
  }
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const get = (type: string): number => Number(f.formatToParts(now).find((p) => p.type === type)?.value ?? 0);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

export function buildNamingVars(input: NamingInput, now: Date, timeZone?: string): NamingVars {
  const utc = { y: now.getUTCFullYear(), mo: now.getUTCMonth() + 1, d: now.getUTCDate(), h: now.getUTCHours(), mi: now.getUTCMinutes(), s: now.getUTCSeconds() };
  const local = localParts(now, timeZone);
  const raw: Record<string, unknown> = {
    srcnum: input.srcnum,
    dstnum: input.dstnum,
    base_context: input.baseContext,
    tenant_uuid: input.tenantUuid,
    uuid: input.uuid,
    call_id: input.callId,
    direction: input.direction,
    network: input.network,
    user: input.user,
    device: input.device,
    node: input.node,
    name: input.name ?? `${input.srcnum}-${input.dstnum}`,
  };
  const vars: NamingVars = {};
  // name joins two numbers by default: it gets twice the room.
  for (const [k, v] of Object.entries(raw)) vars[k] = sanitizeVar(v, k === 'name' ? 2 * MAX_VAR_LENGTH : MAX_VAR_LENGTH);
  vars.timestamp = String(Math.floor(now.getTime() / 1000));
  vars.seq = String(input.seq ?? 1);
  vars.utc_time = `${stamp(utc)}UTC`;
  vars.local_time = stamp(local);
  vars.year = String(utc.y);
  vars.month = pad(utc.mo);
  vars.day = pad(utc.d);
  vars.hour = pad(utc.h);
  vars.minute = pad(utc.mi);
  vars.second = pad(utc.s);
  return vars;
}
