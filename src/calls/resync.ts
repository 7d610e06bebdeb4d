/**
 * Rebuilds the registry after a (re)connect: `show channels as json` lists what is live, `uuid_dump … json`
 * gives each leg's full headers (the list alone lacks domain, user and other-leg facts).
 */
import type { EslEvent } from '../esl/types';
import type { Logger } from '../log';
import { recordEvent } from './record-event';

export type ApiCall = (command: string) => Promise<string>;

interface ChannelRow {
  uuid?: unknown;
}

export function parseChannelList(body: string): string[] {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) return [];
  const rows = (parsed as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [];
  return rows
    .map((row: ChannelRow) => (typeof row?.uuid === 'string' ? row.uuid : ''))
    .filter((uuid) => /^[0-9A-Za-z-]{8,64}$/.test(uuid));
}

export async function dumpLiveChannels(api: ApiCall, log: Logger): Promise<EslEvent[]> {
  const uuids = parseChannelList(await api('show channels as json'));
  const dumps: EslEvent[] = [];
  for (const uuid of uuids) {
    try {
      const body = await api(`uuid_dump ${uuid} json`);
      const dump = recordEvent(body);
      if (dump) dumps.push(dump);
    } catch (err) {
      // Hung up between the list and the dump: nothing to track.
      log.debug('uuid_dump failed during resync', { uuid, error: String(err) });
    }
  }
  return dumps;
}
