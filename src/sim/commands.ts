/** The API commands the simulator answers, with FreeSWITCH 1.10.9's replies (see the captures). */
import type { SimChannel } from './channel';
import { parseRecordingVars, splitArgs } from './uuid-record';

export interface CommandHost {
  channel(uuid: string): SimChannel | undefined;
  channels(): SimChannel[];
  hostname: string;
  status(): string;
  dump(ch: SimChannel): Array<[string, string]>;
  answer(ch: SimChannel): void;
  kill(ch: SimChannel, cause: string): void;
  broadcast(ch: SimChannel, media: string, leg: string): void;
  recordStart(ch: SimChannel, path: string, limitSec: number, vars: Map<string, string>): void;
  /** false when no such recording is running. */
  recordStop(ch: SimChannel, path: string): boolean;
  recordMask(ch: SimChannel, path: string, mask: boolean): boolean;
  /** Paths of the channel's running recordings (its session_record media bugs). */
  mediaBugs(ch: SimChannel): string[];
  /** uuid_transfer: carried out after the reply, as FreeSWITCH's session thread does (src/sim/transfers.ts). */
  transfer(uuid: string, dest: string, context?: string, opts?: { leg?: 'bleg' | 'both' }): Promise<void>;
  /** uuid_bridge: the reply now, the bridge after it (src/sim/transfers.ts). */
  startUuidBridge(aUuid: string, bUuid: string): string;
  /** originate: the reply once the leg is answered (src/sim/originate.ts). */
  originateApi(args: string): Promise<string>;
}

const NO_SESSION = '-ERR Cannot locate session!\n';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function created(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `show channels as json` row, shaped like fixture 03. */
function channelRow(ch: SimChannel, hostname: string): Record<string, string> {
  return {
    uuid: ch.uuid,
    direction: ch.direction,
    created: created(ch.createdUs),
    created_epoch: String(Math.floor(ch.createdUs / 1_000_000)),
    name: ch.channelName,
    state: ch.state === 'answered' ? 'CS_EXECUTE' : 'CS_ROUTING',
    cid_name: ch.callerName,
    cid_num: ch.callerNumber,
    ip_addr: '127.0.0.1',
    dest: ch.destination,
    application: '',
    application_data: '',
    dialplan: 'XML',
    context: ch.context,
    read_codec: 'PCMA',
    read_rate: '8000',
    read_bit_rate: '64000',
    write_codec: 'PCMA',
    write_rate: '8000',
    write_bit_rate: '64000',
    secure: '',
    hostname,
    presence_id: `${ch.callerNumber}@${ch.domain}`,
    presence_data: '',
    accountcode: ch.vars.get('accountcode') ?? '',
    callstate: ch.state === 'answered' ? 'ACTIVE' : 'RINGING',
    callee_name: '',
    callee_num: '',
    callee_direction: '',
    call_uuid: ch.otherUuid ? ch.callUuid : '',
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: ch.callerName,
    initial_cid_num: ch.callerNumber,
    initial_ip_addr: '127.0.0.1',
    initial_dest: ch.destination,
    initial_dialplan: 'XML',
    initial_context: ch.vars.get('fsrecd_sim_entry_context') ?? ch.context,
  };
}

/** uuid_transfer's syntax (mod_commands.c TRANSFER_SYNTAX). */
const TRANSFER_USAGE = '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';

function uuidTransfer(host: CommandHost, args: string[]): string {
  if (args.length < 2 || args.length > 5) return TRANSFER_USAGE;
  const [uuid = '', ...rest] = args;
  if (!host.channel(uuid)) return '-ERR No such channel!\n';
  let leg: 'bleg' | 'both' | undefined;
  if (rest[0]?.startsWith('-')) {
    const flag = rest.shift()?.slice(1).toLowerCase();
    if (flag === 'bleg' || flag === 'both') leg = flag;
  }
  const [dest, , context] = rest;
  if (!dest) return '-ERR\n';
  void host.transfer(uuid, dest, context, { leg }).catch(() => undefined);
  return '+OK\n';
}

/** The reply of an api command: most at once; originate's once its leg is answered. */
export function runApi(host: CommandHost, line: string): string | Promise<string> {
  const [cmd = ''] = line.trim().split(/\s+/);
  if (cmd === 'originate') return host.originateApi(line.trim().slice('originate'.length).trim());
  return runApiNow(host, line);
}

/** The api commands that answer at once. */
export function runApiNow(host: CommandHost, line: string): string {
  const [cmd = '', ...args] = line.trim().split(/\s+/);
  const withChannel = (fn: (ch: SimChannel) => string): string => {
    const ch = host.channel(args[0] ?? '');
    return ch ? fn(ch) : NO_SESSION;
  };
  switch (cmd) {
    case 'status':
      return host.status();
    case 'show': {
      if (args[0] !== 'channels' && args[0] !== 'calls') return '-USAGE: show <channels|calls> [as json]\n';
      const rows = host.channels().map((c) => channelRow(c, host.hostname));
      if (rows.length === 0) return '{"row_count": 0}\n';
      return JSON.stringify({ row_count: rows.length, rows }) + '\n';
    }
    case 'uuid_dump':
      return withChannel((ch) => {
        const pairs = host.dump(ch);
        if (args[1] === 'json') return JSON.stringify(Object.fromEntries(pairs));
        return pairs.map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';
      });
    case 'uuid_exists':
      return host.channel(args[0] ?? '') ? 'true' : 'false';
    case 'uuid_getvar':
      return withChannel((ch) => ch.vars.get(args[1] ?? '') ?? '_undef_');
    case 'uuid_setvar':
      return withChannel((ch) => {
        if (!args[1]) return '-USAGE: <uuid> <var> [value]\n';
        if (args.length > 2) ch.vars.set(args[1], args.slice(2).join(' '));
        else ch.vars.delete(args[1]);
        return '+OK\n';
      });
    case 'uuid_setvar_multi':
      return withChannel((ch) => {
        for (const pair of args.slice(1).join(' ').split(';')) {
          const eq = pair.indexOf('=');
          if (eq > 0) ch.vars.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        return '+OK\n';
      });
    case 'uuid_answer':
      return withChannel((ch) => {
        host.answer(ch);
        return '+OK\n';
      });
    case 'uuid_broadcast':
      return withChannel((ch) => {
        host.broadcast(ch, args[1] ?? '', args[2] ?? 'aleg');
        return '+OK Message sent\n';
      });
    case 'uuid_kill':
      return withChannel((ch) => {
        host.kill(ch, args[1] ?? 'NORMAL_CLEARING');
        return '+OK\n';
      });
    case 'uuid_transfer':
      return uuidTransfer(host, args);
    case 'uuid_bridge':
      if (args.length < 2) return '-USAGE: <uuid> <other_uuid>\n';
      return host.startUuidBridge(args[0] ?? '', args[1] ?? '');
    case 'uuid_record':
      return uuidRecord(host, line.trim().slice('uuid_record'.length).trim());
    case 'uuid_buglist': {
      if (!args[0]) return '-USAGE: <uuid>\n';
      // An unknown uuid: mod_commands writes nothing, so the event socket answers "-ERR no reply".
      const ch = host.channel(args[0]);
      return ch ? bugList(host.mediaBugs(ch)) : '';
    }
    default:
      return `-ERR ${cmd} Command not found!\n`;
  }
}

/** switch_core_media_bug_enumerate's output (captures 15-uuid-buglist*.txt); the target is not escaped. */
export function bugList(recordingPaths: readonly string[]): string {
  const bugs = recordingPaths.map(
    (target) => ` <media-bug>\n  <function>session_record</function>\n  <target>${target}</target>\n  <thread-locked>0</thread-locked>\n </media-bug>\n`,
  );
  return `<media-bugs>\n${bugs.join('')}</media-bugs>\n`;
}

function uuidRecord(host: CommandHost, rest: string): string {
  const argv = splitArgs(rest);
  const [uuid = '', action = '', path = '', limit, vars] = argv;
  if (!uuid || !action || !path) return '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';
  const ch = host.channel(uuid);
  if (!ch) return NO_SESSION;
  switch (action) {
    case 'start':
      host.recordStart(ch, path, Number(limit) > 0 ? Number(limit) : 0, parseRecordingVars(vars));
      return '+OK Success\n';
    case 'stop':
      return host.recordStop(ch, path) ? '+OK Success\n' : '-ERR Cannot stop record session!\n';
    case 'mask':
    case 'unmask':
      return host.recordMask(ch, path, action === 'mask') ? '+OK Success\n' : '-ERR Cannot mask recording session!\n';
    default:
      return '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';
  }
}
