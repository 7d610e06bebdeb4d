/**
 * Conversations across transfers. A recording rides on one channel; when that channel leaves a bridge
 * (attended transfer: uuid_bridge, REFER with Replaces, att_xfer) the conversation goes on between its far
 * party and someone new. The far party "carries" the conversation until it is bridged again, when the
 * recorder starts the next segment on it (captures 10 and 11; README, "Transfers: one conversation, in segments").
 */
import type { RecordingOptions } from '../config/types';
import type { TransferKind } from '../model/recording';

export interface CarriedConversation {
  conversationId: string;
  /** The segment that just ended. */
  segment: number;
  recordingId: string;
  options: RecordingOptions;
  /** recording.follow_transfer: false records nothing more of this conversation after the transfer. */
  follow: boolean;
  kind: TransferKind;
  user?: string;
  device?: string;
  reasons: string[];
}

export class Conversations {
  readonly #carriers = new Map<string, CarriedConversation>();

  get size(): number {
    return this.#carriers.size;
  }

  /** The recorded channel hung up while bridged to `legUuid`: that channel carries the conversation on. */
  handOver(legUuid: string, carried: CarriedConversation): void {
    this.#carriers.set(legUuid, carried);
  }

  /** The conversation a channel carries, once: the next bridge of that channel takes it. */
  take(legUuid: string): CarriedConversation | undefined {
    const c = this.#carriers.get(legUuid);
    this.#carriers.delete(legUuid);
    return c;
  }

  /** The channel hung up without being bridged again: the conversation ended with it. */
  forget(legUuid: string): void {
    this.#carriers.delete(legUuid);
  }
}
