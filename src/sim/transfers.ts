/**
 * Transfers, as FreeSWITCH 1.10.9 reports them on the event socket.
 *
 * Blind (capture 10, `uuid_transfer <a-leg> 7700 XML default`; mod_commands.c transfer_function ->
 * switch_ivr_session_transfer): the transferred leg leaves its bridge, the far leg (whose bridge partner left)
 * hangs up: its CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE, then the transferred leg's CHANNEL_UNBRIDGE, then the
 * far leg's CHANNEL_DESTROY; the transferred leg runs the new extension (CHANNEL_EXECUTE answer, echo) with
 * Caller-Destination-Number = the new destination, Caller-RDNIS = the old one and variable_transfer_history =
 * `<epoch>:<uuid>:bl_xfer:<dest>/<context>/XML`. Its media bugs stay on it: the recording goes on, one file.
 * `-bleg` transfers the bridged leg instead and, when the channel has recording_follow_transfer=true, first moves
 * the recordings to it (switch_ivr_transfer_recordings). A transfer the PBX user makes (SIP REFER to a blind
 * target) reaches FreeSWITCH as the same session transfer, so it gives the same events.
 *
 * Attended (capture 11, `uuid_bridge <b-leg> <third>`; mod_commands.c uuid_bridge_function ->
 * switch_ivr_uuid_bridge): the staying leg's CALL_UPDATE, then its old partner (the recorded a-leg) is
 * unbridged and hangs up at once — CHANNEL_UNBRIDGE, CHANNEL_HANGUP, RECORD_STOP, CHANNEL_HANGUP_COMPLETE,
 * CHANNEL_DESTROY — then CHANNEL_EXECUTE uuid_bridge on both new parties, CHANNEL_BRIDGE of the staying leg
 * (Bridge-A) with the third party (Bridge-B), both outbound, and their CALL_UPDATEs. The api answers
 * `+OK <other uuid>` before the bridge happens (the channels' own threads do it), `-ERR Invalid uuid` when a
 * uuid is unknown. The staying leg's Channel-Call-UUID becomes its own uuid, the third party's the staying one's.
 */
import { randomUUID } from 'node:crypto';
import type { SimChannel, SimEndpoint } from './channel';
import { runExtension } from './extension';
import { transferHistoryEntry, type FlowHost } from './flow-host';
import { originateLeg } from './originate';

function live(host: FlowHost, ch: SimChannel | undefined): ch is SimChannel {
  return ch !== undefined && ch.state !== 'hangup' && host.channel(ch.uuid) === ch;
}

/** The leg bridged to `ch` right now, if any. */
export function bridgedPartner(host: FlowHost, ch: SimChannel): SimChannel | undefined {
  const o = ch.other;
  return ch.inBridge && live(host, o) && o.other === ch ? o : undefined;
}

function bridgeIds(ch: SimChannel, peer: SimChannel): Record<string, string> {
  const [first, second] = ch.role === 'a' || peer.role !== 'a' ? [ch, peer] : [peer, ch];
  return { 'Bridge-A-Unique-ID': first.uuid, 'Bridge-B-Unique-ID': second.uuid };
}

/** `uuid_transfer` / a REFER: see the file comment. Throws on an unknown uuid. */
export async function blindTransfer(host: FlowHost, uuid: string, dest: string, context = 'default', leg?: 'bleg' | 'both'): Promise<void> {
  const named = host.channel(uuid);
  if (!named) throw new Error(`no such channel ${uuid}`);
  let ch = named;
  const partner = bridgedPartner(host, named);
  if (leg === 'bleg' && partner) {
    if (/^(true|yes|on|1)$/i.test(named.vars.get('recording_follow_transfer') ?? '')) host.moveRecordings(named, partner);
    ch = partner;
  }
  const far = bridgedPartner(host, ch);
  const history = transferHistoryEntry(host.clockUs(), randomUUID(), 'bl_xfer', `${dest}/${context}/XML`);
  const goes = leg === 'both' && far ? [ch, far] : [ch];
  for (const g of goes) {
    g.flow ??= { name: 'blind', role: 'a' };
    g.vars.set('transfer_history', history);
    g.vars.set('transfer_source', history);
    g.vars.set('fsrecd_sim_rdnis', g.destination);
    g.destination = dest;
    g.context = context;
  }
  if (far) {
    const ids = bridgeIds(ch, far);
    host.unbridged(ch);
    host.unbridged(far);
    if (leg === 'both') await host.emitChannelEvent('CHANNEL_UNBRIDGE', ch, ids);
    else {
      await host.hangupLegAlone(far, 'NORMAL_CLEARING');
      await host.emitChannelEvent('CHANNEL_UNBRIDGE', ch, ids);
      await host.destroyLeg(far);
    }
  }
  for (const g of goes) await runExtension(host, g, dest);
}

/**
 * `uuid_bridge <x> <y>`: checks both uuids now (the api's reply) and bridges them as the channels' threads do
 * (`done`). Each one's current partner is unbridged and hangs up (hangup_after_bridge).
 */
export function startUuidBridge(host: FlowHost, xUuid: string, yUuid: string): { reply: string; done: Promise<void> } {
  const x = host.channel(xUuid);
  const y = host.channel(yUuid);
  if (!live(host, x) || !live(host, y) || x === y) return { reply: '-ERR Invalid uuid\n', done: Promise.resolve() };
  return { reply: `+OK ${yUuid}\n`, done: bridgeNow(host, x, y) };
}

async function bridgeNow(host: FlowHost, x: SimChannel, y: SimChannel): Promise<void> {
  const leaving = [bridgedPartner(host, x), bridgedPartner(host, y)].filter((p): p is SimChannel => p !== undefined && p !== x && p !== y);
  // From here on the legs' events are capture 11's: the leg that leaves is its a, the staying leg b, the
  // joining one c (a queue's uuid_bridge keeps capture 13's, which is the same step for member and agent).
  if (x.flow?.name !== 'queue') {
    for (const p of leaving) p.flow = { name: 'attended', role: 'a', peers: p.flow?.peers };
    x.flow = { name: 'attended', role: 'b', peers: x.flow?.peers };
    y.flow = { name: 'attended', role: 'c', peers: y.flow?.peers };
  }
  const now = host.clockUs();
  if (leaving.length > 0) await host.emitChannelEvent('CALL_UPDATE', x, { 'Bridged-To': leaving[0]?.uuid ?? '' });
  for (const p of leaving) {
    const stays = p.other ?? x;
    host.unbridged(p);
    host.unbridged(stays);
    await host.emitChannelEvent('CHANNEL_UNBRIDGE', p, bridgeIds(p, stays));
    await host.hangupLegAlone(p, 'NORMAL_CLEARING');
    await host.destroyLeg(p);
  }
  for (const [me, peer] of [[x, y], [y, x]] as const) {
    const history = transferHistoryEntry(now, randomUUID(), 'uuid_br', peer.uuid);
    me.vars.set('transfer_history', history);
    me.vars.set('transfer_source', history);
  }
  x.callUuid = x.uuid;
  x.vars.set('call_uuid', x.uuid);
  // uuid_bridge_on_soft_execute already names the partner: its CHANNEL_EXECUTE carries Other-Leg-*.
  for (const [me, peer] of [[x, y], [y, x]] as const) {
    me.other = peer;
    me.otherUuid = peer.uuid;
  }
  await host.dialplanApps(x, [['uuid_bridge', y.uuid]]);
  await host.dialplanApps(y, [['uuid_bridge', x.uuid]]);
  if (x.state === 'ringing') await host.answerLeg(x);
  if (y.state === 'ringing') await host.answerLeg(y);
  await host.bridgeLegs(x, y, {
    afterBridge: async () => {
      y.callUuid = x.uuid;
      y.vars.set('call_uuid', x.uuid);
    },
  });
}

/** api `uuid_bridge`, awaited to the end of the bridge (tests). */
export async function uuidBridge(host: FlowHost, xUuid: string, yUuid: string): Promise<string> {
  const { reply, done } = startUuidBridge(host, xUuid, yUuid);
  await done;
  return reply;
}

export interface AttendedTransferSpec {
  /** The leg that stays (capture 11: the recorded call's b-leg); its current partner leaves and hangs up. */
  stays: string;
  /** The third party FreeSWITCH originates and parks first. */
  third: SimEndpoint;
  /** origination_caller_id_number of that originate (capture 11: 7799). */
  thirdCallerId?: string;
}

export interface SimAttendedTransfer {
  readonly thirdUuid: string;
  /** The leg that left (the recorded a-leg in capture 11), if the staying leg was bridged. */
  readonly leftUuid?: string;
  /** Hangs up the new pair (this leg first). */
  hangup(side?: 'stays' | 'third', cause?: string): Promise<void>;
}

/** Capture 11: originate the third party, park it, then `uuid_bridge <stays> <third>`. */
export async function attendedTransfer(host: FlowHost, spec: AttendedTransferSpec): Promise<SimAttendedTransfer> {
  const stays = host.channel(spec.stays);
  if (!stays) throw new Error(`no such channel ${spec.stays}`);
  const left = bridgedPartner(host, stays);
  const third = await originateLeg(host, { to: spec.third, callerIdNumber: spec.thirdCallerId ?? stays.destination, app: 'park', flow: { name: 'attended', role: 'c' } });
  const reply = await uuidBridge(host, stays.uuid, third.uuid);
  if (!reply.startsWith('+OK')) throw new Error(`uuid_bridge failed: ${reply.trim()}`);
  return {
    thirdUuid: third.uuid,
    leftUuid: left?.uuid,
    hangup: async (side = 'stays', cause = 'NORMAL_CLEARING') => {
      const first = host.channel(side === 'third' ? third.uuid : stays.uuid);
      if (first) await host.hangupCall(first, cause);
    },
  };
}
