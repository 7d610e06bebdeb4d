/**
 * Builds channel events from the captured FreeSWITCH events (src/sim/captured-events.ts): the same header
 * names in the same order, with this simulation's values. Keeps the simulator honest about event size
 * (~4-7 KB, every channel variable rides along) and header spelling.
 */
import { CAPTURED_EVENTS } from './captured-events';
import type { SimChannel } from './channel';

type Pairs = Array<[string, string]>;
type Template = ReadonlyArray<readonly [string, string]>;

export interface EventContext {
  coreUuid: string;
  hostname: string;
  sequence: number;
  nowUs: number;
  /** Values for the `{leg:a}`, `{member}`… placeholders of the flow templates (src/sim/flow-templates.ts). */
  placeholders?: Readonly<Record<string, string>>;
}

/** The shape's captured template for this event, if any (the flows add theirs: src/sim/flow-templates.ts). */
export function shapeTemplate(ch: SimChannel, name: string): Template | undefined {
  const role = ch.role;
  const keys = [
    `${ch.shape}.${role}.${name}`,
    `${ch.shape === 'carrier' || ch.shape === 'park' ? 'single' : ch.shape}.${role}.${name}`,
    `bridged.${role}.${name}`,
    `bridged.a.${name}`,
    `single.a.${name}`,
    `park.a.${name}`,
  ];
  for (const k of keys) {
    const t = (ch.state === 'hangup' ? CAPTURED_EVENTS[`${k}.hangup`] : undefined) ?? CAPTURED_EVENTS[k];
    if (t) return t;
  }
  return undefined;
}

function template(ch: SimChannel, name: string): Template {
  const t = shapeTemplate(ch, name);
  if (!t) throw new Error(`no captured template for ${name}`);
  return t;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function eventDates(nowUs: number): { local: string; gmt: string } {
  const d = new Date(Math.floor(nowUs / 1000));
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return { local, gmt: d.toUTCString() };
}

function profile(prefix: 'Caller' | 'Other-Leg', ch: SimChannel, key: string): string | undefined {
  switch (key) {
    case 'Direction':
    case 'Logical-Direction':
      return ch.direction;
    case 'Username':
      return ch.vars.get('user_name') ?? ch.vars.get('dialed_user') ?? ch.callerNumber;
    case 'Caller-ID-Name':
    case 'Orig-Caller-ID-Name':
      return ch.callerName;
    case 'Caller-ID-Number':
    case 'Orig-Caller-ID-Number':
    case 'ANI':
      return ch.callerNumber;
    case 'Destination-Number':
      return ch.destination;
    case 'Unique-ID':
      return ch.uuid;
    case 'Context':
      return ch.context;
    case 'Channel-Name':
      return ch.channelName;
    case 'Profile-Created-Time':
    case 'Channel-Created-Time':
      return String(ch.createdUs);
    case 'Channel-Answered-Time':
      return String(ch.answeredUs);
    case 'Channel-Bridged-Time':
      return String(ch.bridgedUs);
    case 'Channel-Hangup-Time':
      return String(ch.hangupUs);
    case 'Network-Addr':
      return '127.0.0.1';
    case 'RDNIS':
      return ch.vars.get('fsrecd_sim_rdnis');
    case 'Transfer-Source':
      return ch.vars.get('transfer_source');
    default:
      return prefix === 'Caller' ? undefined : undefined;
  }
}

/**
 * The headers of one event for one channel. `extra` holds the event's own trailing headers
 * (DTMF-Digit, Record-File-Path…) which replace the captured ones of the same name; a `?Name` key only
 * replaces a header the captured event has.
 */
export function buildEvent(
  name: string,
  ch: SimChannel,
  other: SimChannel | undefined,
  ctx: EventContext,
  extra: Record<string, string> = {},
): Pairs {
  return buildEventFrom(template(ch, name), name, ch, other, ctx, extra);
}

/** As buildEvent, from a given captured event (a flow template) rather than the leg's shape's. */
export function buildEventFrom(
  tpl: Template,
  name: string,
  ch: SimChannel,
  other: SimChannel | undefined,
  ctx: EventContext,
  extra: Record<string, string> = {},
): Pairs {
  const out: Pairs = [];
  const dates = eventDates(ctx.nowUs);
  const revalue = (captured: string): string => (ctx.placeholders ? fillPlaceholders(captured, ctx.placeholders) : revalueCaptured(captured, ch, other));
  let varsWritten = false;
  // A real channel's variables grow as the call goes on: this event's captured set, re-valued for this leg,
  // then whatever this leg has that the capture did not (dialplan or uuid_setvar variables).
  const writeVars = (): void => {
    if (varsWritten) return;
    varsWritten = true;
    const done = new Set<string>();
    for (const [key, captured] of tpl) {
      if (!key.startsWith('variable_')) continue;
      const k = key.slice(9);
      if (ch.hiddenVars.has(k)) continue;
      done.add(k);
      out.push([key, ch.vars.get(k) ?? revalue(captured)]);
    }
    for (const [k, v] of ch.vars) if (!done.has(k)) out.push([`variable_${k}`, v]);
  };
  for (const [key, captured] of tpl) {
    if (key.startsWith('variable_')) {
      writeVars();
      continue;
    }
    if (key in extra) {
      out.push([key, extra[key] as string]);
      continue;
    }
    if (`?${key}` in extra) {
      out.push([key, extra[`?${key}`] as string]);
      continue;
    }
    let value: string | undefined = revalue(captured);
    switch (key) {
      case 'Event-Name':
        value = name;
        break;
      case 'Core-UUID':
        value = ctx.coreUuid;
        break;
      case 'FreeSWITCH-Hostname':
      case 'FreeSWITCH-Switchname':
        value = ctx.hostname;
        break;
      case 'FreeSWITCH-IPv4':
        value = '127.0.0.1';
        break;
      case 'FreeSWITCH-IPv6':
        value = '::1';
        break;
      case 'Event-Date-Local':
        value = dates.local;
        break;
      case 'Event-Date-GMT':
        value = dates.gmt;
        break;
      case 'Event-Date-Timestamp':
        value = String(ctx.nowUs);
        break;
      case 'Event-Sequence':
        value = String(ctx.sequence);
        break;
      case 'Channel-Name':
        value = ch.channelName;
        break;
      case 'Unique-ID':
        value = ch.uuid;
        break;
      case 'Call-Direction':
      case 'Presence-Call-Direction':
        value = ch.direction;
        break;
      case 'Channel-Call-UUID':
        value = ch.callUuid;
        break;
      case 'Channel-Presence-ID':
        value = `${ch.callerNumber}@${ch.domain}`;
        break;
      case 'Answer-State':
        // A RECORD_START armed on a ringing leg (captured on an answered one) must say ringing.
        if (ch.state === 'ringing' && value === 'answered') value = 'ringing';
        if (ch.state === 'answered' && value === 'ringing') value = 'answered';
        break;
      case 'Channel-Call-State':
        if (ch.state === 'ringing' && value === 'ACTIVE') value = 'RINGING';
        break;
      case 'Hangup-Cause':
        if (ch.state !== 'hangup') continue;
        value = ch.hangupCause ?? 'NORMAL_CLEARING';
        break;
      case 'Other-Type':
        if (!other) continue;
        break;
      default:
        if (key.startsWith('Caller-')) value = profile('Caller', ch, key.slice(7)) ?? value;
        else if (key.startsWith('Other-Leg-')) {
          if (!other) continue;
          value = profile('Other-Leg', other, key.slice(10)) ?? value;
        }
    }
    out.push([key, value]);
  }
  // `?Name` extras only replace a header the captured event has (CHANNEL_EXECUTE's Application-UUID…).
  for (const [k, v] of Object.entries(extra)) if (!k.startsWith('?') && !out.some(([n]) => n === k)) out.push([k, v]);
  if (ch.state === 'hangup') markHungUp(out, ch);
  return out;
}

/** A template captured on a live channel, used for a hung-up one: state headers say so, as FreeSWITCH's do. */
function markHungUp(out: Pairs, ch: SimChannel): void {
  const at = out.findIndex(([n]) => n === 'Answer-State');
  if (at < 0 || out[at]?.[1] === 'hangup') return;
  for (const pair of out) {
    if (pair[0] === 'Channel-State') pair[1] = 'CS_HANGUP';
    if (pair[0] === 'Channel-State-Number') pair[1] = '10';
  }
  out[at] = ['Answer-State', 'hangup'];
  if (!out.some(([n]) => n === 'Hangup-Cause')) out.splice(at + 1, 0, ['Hangup-Cause', ch.hangupCause ?? 'NORMAL_CLEARING']);
}

/** The captures' channel uuids, mapped to this simulation's legs in captured values. */
const CAPTURED_A_UUIDS = [
  'ea69231c-2b51-4e64-9cb8-0fa6c9963645',
  '668cd0a8-dcd1-4092-aeac-74ab126bd412',
  '4032f89a-27d5-4c35-9d4d-a5ed328253e5',
  '0b52e952-fabf-40a3-ad7c-88a6921abbc8',
];
const CAPTURED_B_UUID = '338730d4-f78d-4c2c-b0df-be67acf2b2db';

/** `{leg:a}`-style placeholders (scripts/extract-sim-templates.ts) replaced by this call's values. */
export function fillPlaceholders(value: string, values: Readonly<Record<string, string>>): string {
  if (!value.includes('{')) return value;
  return value.replace(/\{(leg:[a-z]|member)\}/g, (all, key: string) => values[key] ?? all);
}

function revalueCaptured(value: string, ch: SimChannel, other: SimChannel | undefined): string {
  if (value.length < 36) return value;
  const aUuid = ch.role === 'a' ? ch.uuid : ch.callUuid;
  const bUuid = ch.role === 'b' ? ch.uuid : (other?.uuid ?? aUuid);
  let v = value;
  for (const u of CAPTURED_A_UUIDS) if (v.includes(u)) v = v.split(u).join(aUuid);
  if (v.includes(CAPTURED_B_UUID)) v = v.split(CAPTURED_B_UUID).join(bUuid);
  return v;
}

/** Variables of a phone's leg that a carrier's leg does not have (directory identity). */
export function identityVariables(): Set<string> {
  const phone = initialVariables('single', 'a');
  const carrier = initialVariables('carrier', 'a');
  return new Set([...phone.keys()].filter((k) => !carrier.has(k)));
}

/** The variables a new channel starts with: the captured CHANNEL_CREATE's, re-valued for this leg. */
export function initialVariables(shape: string, role: 'a' | 'b'): Map<string, string> {
  const key = `${shape}.${role}.CHANNEL_CREATE`;
  const t = CAPTURED_EVENTS[key] ?? CAPTURED_EVENTS[`bridged.${role}.CHANNEL_CREATE`] ?? [];
  const vars = new Map<string, string>();
  for (const [k, v] of t) if (k.startsWith('variable_')) vars.set(k.slice(9), v);
  return vars;
}
