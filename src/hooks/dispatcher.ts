/**
 * Hand-off hooks: each stored recording's description goes to every hook that wants it, at least once.
 *
 * A delivery is written to the hooks journal (store.ts) before its first attempt and rewritten after each
 * one, so a crash or kill -9 loses none: at start the pending ones are tried again, and a recording whose
 * "stored" reached the journal while its delivery did not (a kill in between) gets it then (open()).
 * Deliveries run in their own queue, a few at a time per hook; the spool's `stored` listener only writes a
 * small file and returns, so a slow or dead receiver never holds up a recording or an upload.
 */
import type { HookConfig } from '../config/hooks';
import { isSimulatedCrash, NO_FAULTS, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { JournalEntry } from '../spool/journal';
import type { StorageReader } from '../storage/target';
import { runCommandHook } from './command';
import { deliveryId, nextAttempt, wants, type AttemptResult, type Delivery } from './delivery';
import { describeRecording, PAYLOAD_VERSION, type HookPayload } from './payload';
import { readRetryRequests, matchRetry, removeRetryRequest } from './retry-requests';
import { hookStatus, type HookStatus } from './status';
import { DeliveryStore } from './store';
import { postWebhook } from './webhook';

export interface HookDispatcherOptions {
  hooks: readonly HookConfig[];
  stateDir: string;
  /** Presigns the download URL of each attempt (a local directory has none: the key is given). */
  store: Pick<StorageReader, 'presign'>;
  storageType: 'local' | 's3';
  /** http.url_expiry_seconds: the URL's validity unless a hook sets its own. */
  urlExpirySeconds: number;
  log: Logger;
  metrics: Metrics;
  faults?: Faults;
  now?: () => number;
  /** How often `fsrecd hooks retry` requests are looked for. */
  retryPollMs?: number;
}

/** What the spool's journal tells the hooks at start: its stored recordings, and whether it still has one. */
export interface JournalView {
  stored(): Iterable<JournalEntry>;
  has(id: string): boolean;
}

const HOUR = 3_600_000;

export class HookDispatcher {
  readonly #hooks: Map<string, HookConfig>;
  readonly #store: DeliveryStore;
  readonly #faults: Faults;
  readonly #now: () => number;
  /** Per hook: deliveries due now, and how many attempts run. */
  readonly #ready = new Map<string, string[]>();
  readonly #running = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Deliveries with an attempt under way: never two attempts of one at once. */
  readonly #attempting = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** `stored` heard before open() finished: handled right after it. */
  #early: JournalEntry[] | undefined = [];
  #firstSeen = new Map<string, number>();
  #journal: JournalView | undefined;
  #poll: NodeJS.Timeout | undefined;
  #prunedAt = 0;
  #stopped = false;
  /** Per hook: the last error logged (a dead receiver is said once, not once per delivery). */
  readonly #lastLogged = new Map<string, string>();

  constructor(private readonly opts: HookDispatcherOptions) {
    this.#hooks = new Map(opts.hooks.map((h) => [h.name, h]));
    this.#faults = opts.faults ?? NO_FAULTS;
    this.#now = opts.now ?? Date.now;
    this.#store = new DeliveryStore(opts.stateDir, this.#faults);
    opts.metrics.onCollect(() => this.#publish());
  }

  get deliveries(): ReadonlyMap<string, Delivery> {
    return this.#store.deliveries;
  }

  /**
   * Loads the hooks journal, creates the deliveries a crash kept from being written (stored recordings of
   * the journal, since their hook exists, without a delivery), forgets delivered records the journal no
   * longer knows, and starts the queue and the watch for retry requests.
   */
  async open(journal: JournalView): Promise<void> {
    this.#journal = journal;
    await this.#store.load((file, err) => this.opts.log.error('hooks journal: unreadable delivery file left as it is', { file, error: String(err) }));
    this.#firstSeen = await this.#store.firstSeen([...this.#hooks.keys()], this.#now());
    await this.#prune();
    let recreated = 0;
    for (const e of journal.stored()) {
      recreated += (await this.#create(e, (hook) => (Date.parse(e.updatedAt) || 0) >= (this.#firstSeen.get(hook) ?? Infinity))).length;
    }
    if (recreated) this.opts.log.warn('hook deliveries created at start for recordings stored before a crash', { deliveries: recreated });
    for (const d of this.#store.deliveries.values()) if (d.state === 'pending') this.#schedule(d);
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const e of early) await this.#create(e, () => true);
    await this.#applyRetryRequests();
    this.#poll = setInterval(() => void this.#tick(), this.opts.retryPollMs ?? 1000);
    this.#poll.unref();
  }

  /** The bus's `stored`: one delivery per hook that wants this recording; returns at once. */
  onStored(e: JournalEntry): void {
    if (this.#stopped) return;
    if (this.#early) {
      this.#early.push(e);
      return;
    }
    const made: Promise<void> = this.#create(e, () => true)
      .then(() => undefined)
      .catch((err: unknown) => {
        if (!isSimulatedCrash(err)) this.opts.log.error('hook delivery not created', { recording: e.id, error: String(err) });
      })
      .finally(() => this.#inFlight.delete(made));
    this.#inFlight.add(made);
  }

  status(): HookStatus[] {
    return hookStatus(this.#store.deliveries.values(), [...this.#hooks.keys()], this.#now());
  }

  /** Stops new attempts; waits up to graceMs for those under way (a delivery cut short is tried again at start). */
  async stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    if (this.#poll) clearInterval(this.#poll);
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  async #create(e: JournalEntry, since: (hook: string) => boolean): Promise<Delivery[]> {
    const made: Delivery[] = [];
    for (const hook of this.#hooks.values()) {
      const id = deliveryId(hook.name, 'stored', e.id);
      if (this.#store.deliveries.has(id) || !since(hook.name) || !wants(hook, 'stored', e.meta.tenantUuid)) continue;
      const at = new Date(this.#now()).toISOString();
      const d: Delivery = { id, hook: hook.name, event: 'stored', recordingId: e.id, state: 'pending', createdAt: at, windowFrom: at, attempts: 0, recording: describeRecording(e) };
      made.push(d);
      try {
        await this.#store.put(d);
      } catch (err) {
        if (isSimulatedCrash(err)) throw err;
        // Delivered from memory all the same; a restart recreates it from the journal's "stored".
        this.opts.log.error('hook delivery not written to the hooks journal', { hook: hook.name, recording: e.id, error: String(err) });
      }
      if (!this.#early) this.#schedule(d);
    }
    return made;
  }

  #schedule(d: Delivery): void {
    if (this.#stopped || !this.#hooks.has(d.hook)) return;
    clearTimeout(this.#timers.get(d.id));
    this.#timers.delete(d.id);
    const wait = d.nextAttemptAt === undefined ? 0 : (Date.parse(d.nextAttemptAt) || 0) - this.#now();
    if (wait <= 0) {
      this.#enqueue(d);
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(d.id);
      this.#enqueue(d);
    }, wait);
    t.unref();
    this.#timers.set(d.id, t);
  }

  #enqueue(d: Delivery): void {
    const q = this.#ready.get(d.hook) ?? [];
    if (!q.includes(d.id)) q.push(d.id);
    this.#ready.set(d.hook, q);
    this.#pump(d.hook);
  }

  #pump(hookName: string): void {
    const hook = this.#hooks.get(hookName);
    const q = this.#ready.get(hookName);
    if (!hook || !q) return;
    while (!this.#stopped && q.length > 0 && (this.#running.get(hookName) ?? 0) < hook.concurrency) {
      const id = q.shift() as string;
      this.#running.set(hookName, (this.#running.get(hookName) ?? 0) + 1);
      const run: Promise<void> = this.#attempt(id, hook)
        .catch((err: unknown) => {
          if (!isSimulatedCrash(err)) this.opts.log.error('hook delivery attempt failed unexpectedly', { hook: hookName, delivery: id, error: String(err) });
        })
        .finally(() => {
          this.#inFlight.delete(run);
          this.#running.set(hookName, (this.#running.get(hookName) ?? 1) - 1);
          this.#pump(hookName);
        });
      this.#inFlight.add(run);
    }
  }

  async #body(d: Delivery, hook: HookConfig): Promise<string> {
    const payload: HookPayload = {
      version: PAYLOAD_VERSION,
      event: 'stored',
      deliveryId: d.id,
      hook: hook.name,
      createdAt: d.createdAt,
      recording: d.recording,
      storage: { type: this.opts.storageType, key: d.recording.key },
    };
    const seconds = hook.urlExpirySeconds ?? this.opts.urlExpirySeconds;
    const url = await this.opts.store.presign(d.recording.key, seconds, d.recording.key.split('/').pop() || `${d.recording.id}.${d.recording.format}`);
    if (url) Object.assign(payload.storage, { url, urlExpiresAt: new Date(this.#now() + seconds * 1000).toISOString() });
    return JSON.stringify(payload);
  }

  async #attempt(id: string, hook: HookConfig): Promise<void> {
    const d = this.#store.deliveries.get(id);
    if (!d || d.state !== 'pending' || this.#attempting.has(id)) return;
    this.#attempting.add(id);
    try {
      await this.#attemptOnce(d, hook);
    } finally {
      this.#attempting.delete(id);
    }
    // Scheduled only now that this attempt is over (an earlier start would be dropped as a second attempt):
    // at its nextAttemptAt, or at once when a retry request came in meanwhile (and won over this result).
    const cur = this.#store.deliveries.get(id);
    if (cur && cur.state === 'pending') this.#schedule(cur);
  }

  async #attemptOnce(d: Delivery, hook: HookConfig): Promise<void> {
    const id = d.id;
    const started = this.#now();
    let result: AttemptResult;
    try {
      const body = await this.#body(d, hook);
      this.#faults.at('hooks.send');
      result = hook.kind === 'url' ? await postWebhook(hook, body, d.id, this.#now()) : await runCommandHook(hook, body, d.id);
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      result = { kind: 'retry', detail: `before sending: ${String(err)}` };
    }
    const now = this.#now();
    const seconds = Math.max(0, now - started) / 1000;
    this.opts.metrics.inc('fsrecd_hook_delivery_seconds_total', 'Seconds spent in hook delivery attempts', { hook: hook.name }, seconds);
    const tried: Delivery = { ...d, attempts: d.attempts + 1 };
    let outcome: 'delivered' | 'retry' | 'failed';
    if (result.kind === 'delivered') {
      outcome = 'delivered';
      Object.assign(tried, { state: 'delivered', settledAt: new Date(now).toISOString(), lastError: undefined, nextAttemptAt: undefined });
      this.opts.log.info('hook delivered', { hook: hook.name, delivery: d.id, recording: d.recordingId, attempts: tried.attempts, answer: result.detail });
      this.#lastLogged.delete(hook.name);
    } else {
      const next = nextAttempt(tried, hook, result, now);
      if (next === undefined) {
        outcome = 'failed';
        const why = result.kind === 'refused' ? result.detail : `gave up after ${tried.attempts} attempt(s) in max_age_hours: ${result.detail}`;
        Object.assign(tried, { state: 'failed', settledAt: new Date(now).toISOString(), lastError: why, nextAttemptAt: undefined });
        this.opts.log.error('hook delivery failed; fsrecd hooks retry tries it again', { hook: hook.name, delivery: d.id, recording: d.recordingId, error: why });
      } else {
        outcome = 'retry';
        Object.assign(tried, { lastError: result.detail, nextAttemptAt: new Date(next).toISOString() });
        if (this.#lastLogged.get(hook.name) !== result.detail) this.opts.log.warn('hook delivery failed; will retry', { hook: hook.name, delivery: d.id, recording: d.recordingId, error: result.detail, nextAttemptAt: tried.nextAttemptAt });
        this.#lastLogged.set(hook.name, result.detail);
      }
    }
    this.opts.metrics.inc('fsrecd_hook_deliveries_total', 'Hook delivery attempts by outcome (delivered, retry, failed)', { hook: hook.name, outcome });
    // A retry request may have come in meanwhile: it wins over this attempt's "failed".
    if (this.#store.deliveries.get(id) !== d) return;
    try {
      await this.#store.put(tried);
    } catch (err) {
      if (isSimulatedCrash(err)) throw err;
      // At least once: a "delivered" not on disk is delivered again after a restart (the receiver de-duplicates).
      this.opts.log.error('hook delivery state not written to the hooks journal', { hook: hook.name, delivery: id, error: String(err) });
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#applyRetryRequests();
      if (this.#now() - this.#prunedAt >= HOUR) await this.#prune();
    } catch (err) {
      if (!isSimulatedCrash(err)) this.opts.log.error('hooks housekeeping failed', { error: String(err) });
    }
  }

  /** `fsrecd hooks retry`: the failed (or named) deliveries become pending with a fresh max_age window, due now. */
  async #applyRetryRequests(): Promise<void> {
    for (const { file, request } of await readRetryRequests(this.opts.stateDir)) {
      if (!request) this.opts.log.error('hooks: unreadable retry request removed', { file });
      else {
        const at = new Date(this.#now()).toISOString();
        const matched = matchRetry(this.#store.deliveries.values(), request).filter((d) => this.#hooks.has(d.hook));
        for (const d of matched) {
          const again: Delivery = { ...d, state: 'pending', windowFrom: at, nextAttemptAt: undefined, settledAt: undefined };
          await this.#store.put(again);
          this.#schedule(again);
        }
        this.opts.log.info('hooks: retry requested', { request, deliveries: matched.length });
      }
      await removeRetryRequest(file, this.#faults);
    }
  }

  /** Delivered records are kept while the journal knows their recording (so open() does not deliver them again). */
  async #prune(): Promise<void> {
    this.#prunedAt = this.#now();
    const journal = this.#journal;
    if (!journal) return;
    for (const d of [...this.#store.deliveries.values()]) {
      if (d.state === 'delivered' && !journal.has(d.recordingId)) await this.#store.remove(d.id);
    }
  }

  #publish(): void {
    for (const s of this.status()) {
      this.opts.metrics.set('fsrecd_hook_pending', 'Hook deliveries waiting to be delivered', s.pending, { hook: s.hook });
      this.opts.metrics.set('fsrecd_hook_failed', 'Hook deliveries that failed (fsrecd hooks retry tries them again)', s.failed, { hook: s.hook });
      this.opts.metrics.set('fsrecd_hook_oldest_pending_seconds', 'Age of the oldest hook delivery waiting', s.oldestPendingSeconds, { hook: s.hook });
    }
  }
}
