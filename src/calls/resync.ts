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
  initial_context?: unknown;
}

export interface ListedChannel {
  uuid: string;
  /** Where the leg entered: uuid_dump only has the context it is in now (after a transfer). */
  initialContext?: string;
}

export function parseChannelList(body: string): ListedChannel[] {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) return [];
  const rows = (parsed as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [];
  return rows
    .map((row: ChannelRow) => ({
      uuid: typeof row?.uuid === 'string' ? row.uuid : '',
      initialContext: typeof row?.initial_context === 'string' && row.initial_context ? row.initial_context : undefined,
    }))
    .filter((c) => /^[0-9A-Za-z-]{8,64}$/.test(c.uuid));
}

/** A dump with the entry context from the channel list added as ENTRY_CONTEXT_HEADER. */
function withEntryContext(dump: EslEvent, initialContext: string | undefined): EslEvent {
  if (!initialContext) return dump;
  return { ...dump, name: dump.name, body: dump.body, get: (h) => (h === ENTRY_CONTEXT_HEADER ? initialContext : dump.get(h)), headerNames: () => dump.headerNames() };
}

export const ENTRY_CONTEXT_HEADER = 'X-Fsrecd-Initial-Context';

export async function dumpLiveChannels(api: ApiCall, log: Logger): Promise<EslEvent[]> {
  const listed = parseChannelList(await api('show channels as json'));
  const dumps: EslEvent[] = [];
  for (const { uuid, initialContext } of listed) {
    try {
      const body = await api(`uuid_dump ${uuid} json`);
      const dump = recordEvent(body);
      if (dump) dumps.push(withEntryContext(dump, initialContext));
    } catch (err) {
      // Hung up between the list and the dump: nothing to track.
      log.debug('uuid_dump failed during resync', { uuid, error: String(err) });
    }
  }
  return dumps;
}
