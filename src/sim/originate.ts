/**
 * `originate` as FreeSWITCH 1.10.9 does it (capture 12, `originate {origination_caller_id_number=1000}
 * sofia/internal/7703@127.0.0.1:5090 7700 XML default`; mod_commands.c originate_function ->
 * switch_ivr_originate): ONE leg, Call-Direction outbound, its own Channel-Call-UUID, CHANNEL_CREATE then
 * CHANNEL_ANSWER before any dialplan runs (the api replies `+OK <uuid>` only then, `-ERR <cause>` on failure);
 * then CALL_UPDATE (switch_channel_flip_cid: the leg now shows the extension as its destination) and
 * CHANNEL_EXECUTE of the extension's applications in the given context (7700: answer, echo). No CHANNEL_BRIDGE.
 * With `&park()` instead of an extension (capture 11's third party): CHANNEL_EXECUTE park, CHANNEL_PARK.
 */
import type { SimChannel, SimEndpoint } from './channel';
import type { FlowHost } from './flow-host';
import { runExtension } from './extension';
import { splitArgs } from './uuid-record';

export interface OriginateSpec {
  /** The dialled endpoint (`sofia/internal/<number>@<domain>`). */
  to: SimEndpoint;
  /** origination_caller_id_number / _name (the leg's Caller-Caller-ID-*). */
  callerIdNumber?: string;
  callerIdName?: string;
  /** The extension run once answered (default 7700: answer + echo, see FreeswitchSimulator.dialplan). */
  exten?: string;
  context?: string;
  /** `&park()` instead of an extension. */
  app?: 'park';
  /** false: the leg rings until answer() (to arm a recording before answer). Default true. */
  answer?: boolean;
  /** The dial string's {vars}: channel variables from creation (origination_uuid names the leg). */
  vars?: Record<string, string>;
  /** Internal: the captured flow whose events the leg follows (default capture 12's). */
  flow?: { name: string; role: string };
}

export interface SimOriginated {
  readonly uuid: string;
  /** The far end answers (when originate was told answer: false), then the extension runs. */
  answer(): Promise<void>;
  hangup(cause?: string): Promise<void>;
}

function makeOriginatedLeg(host: FlowHost, spec: OriginateSpec): SimChannel {
  const vars = { ...spec.vars };
  const from = {
    number: spec.callerIdNumber ?? vars.origination_caller_id_number ?? '0000000000',
    name: spec.callerIdName ?? vars.origination_caller_id_name ?? 'FreeSWITCH',
  };
  const ch = host.makeLeg({ ...spec.to, vars: { ...spec.to.vars, ...vars } }, 'b', { from, to: spec.to.number });
  const wanted = vars.origination_uuid;
  if (wanted) {
    ch.uuid = wanted;
    ch.callUuid = wanted;
    ch.vars.set('uuid', wanted);
    ch.vars.set('call_uuid', wanted);
  }
  // A parked originate is capture 11's third party; to an extension, capture 12's leg.
  ch.flow = spec.flow ?? (spec.app === 'park' ? { name: 'attended', role: 'c' } : { name: 'originate', role: 'a' });
  return ch;
}

/** The answered leg goes to its extension (or application), after the api's reply. */
async function afterAnswer(host: FlowHost, ch: SimChannel, spec: OriginateSpec): Promise<void> {
  const exten = spec.app === 'park' ? ch.destination : (spec.exten ?? '7700');
  ch.destination = exten;
  ch.context = spec.context ?? ch.context;
  await host.emitChannelEvent('CALL_UPDATE', ch);
  if (spec.app === 'park') {
    await host.dialplanApps(ch, [['park', '']]);
    await host.emitChannelEvent('CHANNEL_PARK', ch);
  } else await runExtension(host, ch, exten);
}

/** Test-facing originate: resolves once the leg is created (and, unless answer: false, answered and running). */
export async function originateLeg(host: FlowHost, spec: OriginateSpec): Promise<SimOriginated> {
  const ch = makeOriginatedLeg(host, spec);
  if (host.channel(ch.uuid)) throw new Error(`origination_uuid ${ch.uuid} is in use`);
  await host.addLeg(ch);
  const answer = async (): Promise<void> => {
    if (ch.state !== 'ringing') return;
    await host.answerLeg(ch);
    await afterAnswer(host, ch, spec);
  };
  if (spec.answer !== false) await answer();
  return {
    uuid: ch.uuid,
    answer,
    hangup: async (cause = 'NORMAL_CLEARING') => host.hangupCall(ch, cause),
  };
}

/** `{a=1,b=2}sofia/internal/7703@host` -> vars and endpoint; undefined for endpoints the simulator lacks. */
export function parseDialString(url: string): { vars: Record<string, string>; to: SimEndpoint } | undefined {
  const vars: Record<string, string> = {};
  let rest = url;
  const m = /^\{([^}]*)\}(.*)$/.exec(url);
  if (m) {
    for (const pair of (m[1] ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) vars[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    rest = m[2] ?? '';
  }
  const sofia = /^sofia\/(?:gateway\/([^/]+)|[^/]+)\/([^@]+)(?:@(.+))?$/.exec(rest);
  if (sofia) return { vars, to: { number: sofia[2] ?? '', domain: sofia[3], gateway: sofia[1] } };
  const user = /^user\/([^@]+)(?:@(.+))?$/.exec(rest);
  if (user) return { vars, to: { number: user[1] ?? '', device: user[1], domain: user[2] } };
  return undefined;
}

const ORIGINATE_USAGE = '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';

/** api `originate …`: the reply once answered; the extension runs after it. */
export async function originateCommand(host: FlowHost, args: string): Promise<string> {
  const argv = splitArgs(args);
  if (argv.length < 2 || argv.length > 7) return ORIGINATE_USAGE;
  const [url = '', target = '', , context, cidName, cidNum] = argv;
  const dial = parseDialString(url);
  if (!dial) return '-ERR CHAN_NOT_IMPLEMENTED\n';
  const app = target.startsWith('&') ? /^&(\w+)/.exec(target)?.[1] : undefined;
  if (app !== undefined && app !== 'park') return '-ERR CHAN_NOT_IMPLEMENTED\n';
  const spec: OriginateSpec = {
    to: dial.to,
    vars: dial.vars,
    callerIdNumber: cidNum && cidNum !== 'undef' ? cidNum : undefined,
    callerIdName: cidName && cidName !== 'undef' ? cidName : undefined,
    exten: app ? undefined : target,
    context: context && context !== 'undef' ? context : undefined,
    app: app === 'park' ? 'park' : undefined,
  };
  if (spec.vars?.origination_uuid && host.channel(spec.vars.origination_uuid)) return '-ERR DESTINATION_OUT_OF_ORDER\n';
  const ch = makeOriginatedLeg(host, { ...spec, answer: false });
  await host.addLeg(ch);
  await host.answerLeg(ch);
  // The api returns here; the channel's own thread goes on to the extension.
  setImmediate(() => void afterAnswer(host, ch, spec).catch(() => undefined));
  return `+OK ${ch.uuid}\n`;
}
