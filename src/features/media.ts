/** Plays a prompt or tone to a channel (uuid_broadcast): confirmations, *3 tones, the recording announcement. */
import type { Logger } from '../log';

export type Api = (command: string) => Promise<string>;

/** Failures are logged, never thrown: a tone is not worth a call. */
export async function playMedia(api: Api, log: Logger, legUuid: string, media: string, to: 'aleg' | 'both' = 'aleg'): Promise<void> {
  if (/\s/.test(media)) {
    log.warn('media path contains blanks; not played', { media });
    return;
  }
  try {
    await api(`uuid_broadcast ${legUuid} ${media} ${to}`);
  } catch (err) {
    log.warn('uuid_broadcast failed', { leg: legUuid, error: String(err) });
  }
}
