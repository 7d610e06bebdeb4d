/** Server-side mod_event_socket framing, byte-compatible with FreeSWITCH 1.10.9's (see the captures). */

/** FreeSWITCH's switch_url_encode leaves these as they are (`Tue,%2024%20Nov`, `SIP/2.0/UDP%20…`). */
const SAFE = /[A-Za-z0-9\-_.!~*'(),/]/;

export function fsUrlEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function commandReply(replyText: string, extra: Array<[string, string]> = []): string {
  return `Content-Type: command/reply\n${extra.map(([k, v]) => `${k}: ${v}\n`).join('')}Reply-Text: ${replyText}\n\n`;
}

/** bgapi's reply puts Job-UUID after Reply-Text (capture 01). */
export function bgapiReply(jobUuid: string): string {
  return `Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${jobUuid}\nJob-UUID: ${jobUuid}\n\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export const AUTH_REQUEST = 'Content-Type: auth/request\n\n';

export const DISCONNECT_NOTICE = (() => {
  const body = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
  return `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
})();

/** An event as text/event-plain: URL-encoded header values, blank line, then its own body if any. */
export function plainEventFrame(headers: ReadonlyArray<readonly [string, string]>, body = ''): string {
  let inner = '';
  for (const [k, v] of headers) inner += `${k}: ${fsUrlEncode(v)}\n`;
  if (body) inner += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
  else inner += '\n';
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-plain\n\n${inner}`;
}

export function jsonEventFrame(headers: ReadonlyArray<readonly [string, string]>, body = ''): string {
  const obj: Record<string, string> = {};
  for (const [k, v] of headers) obj[k] = v;
  if (body) {
    obj['Content-Length'] = String(Buffer.byteLength(body));
    obj._body = body;
  }
  const inner = JSON.stringify(obj);
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-json\n\n${inner}`;
}
