/**
 * A storage target with the faults of a real network and server, around a real target: an outage (every call
 * refused), the next put or stat failing, a stat that answers a wrong size or MD5 once (a lying server), and a
 * put answered 200 whose object the storage then loses.
 */
import type { Faults } from '../../../src/durability/faults';
import type { RecordingMeta, RecordingResult } from '../../../src/model/recording';
import type { PutResult, StorageTarget, StoredObject } from '../../../src/storage/target';
import type { ReplaceWatch, StoreView } from './store-view';

export class FaultyTarget implements StorageTarget {
  outage = false;
  failPuts = 0;
  failStats = 0;
  lieStats = 0;
  losePuts = 0;
  /** Keys this target made the storage lose (told to the replace watch before they go). */
  readonly lostKeys: string[] = [];

  constructor(
    readonly inner: StorageTarget,
    readonly view: StoreView,
    readonly watch: ReplaceWatch,
  ) {}

  /** No fault is pending or on: what a storage that works looks like. */
  get healthy(): boolean {
    return !this.outage && this.failPuts === 0 && this.failStats === 0 && this.lieStats === 0 && this.losePuts === 0;
  }

  heal(): void {
    this.outage = false;
    this.failPuts = this.failStats = this.lieStats = this.losePuts = 0;
  }

  describe(): string {
    return `faulty ${this.inner.describe()}`;
  }

  keyFor(meta: RecordingMeta): string {
    return this.inner.keyFor(meta);
  }

  async put(localPath: string, key: string, meta: RecordingMeta, result: RecordingResult | undefined, md5?: string, faults?: Faults): Promise<PutResult> {
    if (this.outage) throw new Error('connect ECONNREFUSED 127.0.0.1:9000 (storage outage)');
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new Error('read ECONNRESET (injected put failure)');
    }
    // Only an object this very put created may be lost: one verified earlier is beyond any spool's reach.
    const before = this.losePuts > 0 ? new Set((await this.view.snapshot()).keys()) : undefined;
    const stored = await this.inner.put(localPath, key, meta, result, md5, faults);
    if (before && !before.has(stored.key) && this.losePuts > 0) {
      this.losePuts--;
      this.watch.lost.add(stored.key);
      this.lostKeys.push(stored.key);
      await this.view.lose(stored.key);
    }
    return stored;
  }

  async stat(key: string): Promise<StoredObject | null> {
    if (this.outage) throw new Error('connect ECONNREFUSED 127.0.0.1:9000 (storage outage)');
    if (this.failStats > 0) {
      this.failStats--;
      throw new Error('socket hang up (injected stat failure)');
    }
    const s = await this.inner.stat(key);
    if (s && this.lieStats > 0) {
      this.lieStats--;
      // Alternate the lie: a wrong size, then a wrong MD5.
      return this.lieStats % 2 === 0 ? { ...s, size: s.size + 1 } : { ...s, md5: 'f'.repeat(32), multipart: undefined };
    }
    return s;
  }
}
