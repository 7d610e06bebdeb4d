/** recording.announcement: a prompt both parties hear when a recording starts ("this call is recorded"). */
import type { Bus } from '../bus';
import type { Logger } from '../log';
import { playMedia, type Api } from './media';
import { Subscriptions, type Feature } from './subscriptions';

export class AnnouncementFeature implements Feature {
  readonly #subs: Subscriptions;

  constructor(
    bus: Bus,
    private readonly api: Api,
    private readonly log: Logger,
  ) {
    this.#subs = new Subscriptions(bus);
  }

  start(): void {
    this.#subs.on('recordingStarted', (meta, options) => {
      if (options.announcement) return playMedia(this.api, this.log, meta.legUuid, options.announcement, 'both');
    });
  }

  stop(): void {
    this.#subs.clear();
  }
}
