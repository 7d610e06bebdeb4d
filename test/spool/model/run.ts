/**
 * One model-based run: random interleavings of FreeSWITCH (start, append, stop, discard, lost replies,
 * dialplan files, reused names), storage faults, crashes, restarts, scans, syncs and time, driven against the
 * real Spool on real files, checked after every step against the reference model (reference.ts, checks.ts).
 * Everything random comes from the seed, so a failure replays with MODEL_SEED (background timing aside: uploads
 * run concurrently with the steps, as in the daemon).
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadConfig } from '../../../src/config/types';
import { isSimulatedCrash, type CrashPoint } from '../../../src/durability/faults';
import { silentLogger } from '../../../src/log';
import { Metrics } from '../../../src/metrics';
import type { RecordingMeta } from '../../../src/model/recording';
import { entryFileName, type JournalEntry } from '../../../src/spool/journal';
import { LOCK_FILE } from '../../../src/spool/lock';
import { Spool } from '../../../src/spool/spool';
import { LocalTarget } from '../../../src/storage/local-target';
import { waitFor } from '../../helpers/wait-for';
import { checkAlways, checkFinal, checkStatus, type Garbage, type ScanView } from './checks';
import { FaultSwitch } from './fault-switch';
import { FaultyTarget } from './faulty-target';
import { MemoryTarget } from './memory-target';
import { Observer } from './observe';
import { Prng, type Random } from './prng';
import { describeRecording, expectedOutcome, type ModelRecording } from './reference';
import { LocalStoreView, ReplaceWatch, type StoreView } from './store-view';

export interface RunOptions {
  seed: number;
  steps: number;
  /** Where the run's directories go (a tmpfs makes fsync cheap). */
  tmp?: string;
}

export interface RunReport {
  seed: number;
  steps: number;
  config: string;
  recordings: number;
  stored: number;
  crashes: number;
  restarts: number;
  checks: number;
  ms: number;
}

export class ModelFailure extends Error {
  override name = 'ModelFailure';
}

/** Durable points a running spool reaches, per target (the crash plans pick from these). */
const SPOOL_POINTS: CrashPoint[] = ['journal.write-temp', 'journal.fsync-temp', 'journal.rename', 'journal.fsync-dir', 'journal.unlink', 'upload.put-object', 'upload.verify', 'spool.unlink-local', 'spool.after-unlink-local'];
const LOCAL_POINTS: CrashPoint[] = ['local.copy-temp', 'local.link', 'local.write-metadata'];
const MEMORY_POINTS: CrashPoint[] = ['upload.put-metadata'];
/** Where an errno failure (a full disk, an I/O error) can hit. */
const FAIL_POINTS: CrashPoint[] = ['journal.write-temp', 'journal.rename', 'journal.fsync-dir', 'journal.unlink', 'upload.put-object', 'spool.unlink-local'];
const STOP_CAUSES = ['success-silence', 'success-maxtime', 'hangup', 'no-input-timeout'];
const DISCARD_CAUSES = ['empty-file', 'input-too-short'];
const TENANTS = ['acme', 'beta'];
const ORPHAN_STABLE_MS = 60_000;
const DAY = 86_400_000;

type TargetKind = 'local' | 'memory-md5' | 'memory-multipart';

type UpStep =
  | 'start'
  | 'append'
  | 'stop'
  | 'lostStart'
  | 'settle'
  | 'dialplan'
  | 'reuse'
  | 'outage'
  | 'storageFault'
  | 'esl'
  | 'armCrash'
  | 'crashNow'
  | 'diskFault'
  | 'scan'
  | 'sync'
  | 'advance'
  | 'pause'
  | 'restart';
type DownStep = 'append' | 'stop' | 'dialplan' | 'advance' | 'offlineSync' | 'up';

const UP_WEIGHTS: Record<UpStep, number> = {
  start: 9,
  append: 10,
  stop: 8,
  lostStart: 2,
  settle: 2,
  dialplan: 2,
  reuse: 2,
  outage: 2,
  storageFault: 3,
  esl: 1,
  armCrash: 2,
  crashNow: 1,
  diskFault: 1,
  scan: 5,
  sync: 3,
  advance: 4,
  pause: 4,
  restart: 1,
};
const DOWN_WEIGHTS: Record<DownStep, number> = { append: 3, stop: 3, dialplan: 1, advance: 2, offlineSync: 1, up: 3 };

export class ModelRun {
  readonly rng: Prng;
  /** FreeSWITCH's audio bytes: their own stream, so their lengths never shift the steps' choices. */
  readonly audio: Prng;
  /** This step's draws (a fixed number per step, see StepDraws). */
  r: Random;
  readonly root: string;
  readonly spoolDir: string;
  readonly stateDir: string;
  readonly storeDir: string;
  readonly targetKind: TargetKind;
  readonly upload: UploadConfig;
  readonly memory: MemoryTarget | undefined;
  readonly view: StoreView;
  readonly watch = new ReplaceWatch();
  readonly target: FaultyTarget;
  readonly observer: Observer;
  readonly recs: ModelRecording[] = [];
  /** Every journal entry once durable, as the recordings index hears it (survives journal_keep_days). */
  readonly history = new Map<string, JournalEntry>();
  readonly trail: string[] = [];
  spool: Spool | undefined;
  faults = new FaultSwitch();
  offsetMs = 0;
  lastMtime = 0;
  eslDown = false;
  step = 0;
  crashes = 0;
  restarts = 0;
  checks = 0;
  #nextN = 1;

  constructor(readonly opts: RunOptions) {
    this.rng = new Prng(opts.seed);
    this.audio = new Prng(opts.seed ^ 0x5bd1e995);
    this.r = this.rng.draws(8);
    this.root = mkdtempSync(join(opts.tmp ?? tmpdir(), 'fsrecd-model-'));
    this.spoolDir = join(this.root, 'spool');
    this.stateDir = join(this.root, 'state');
    this.storeDir = join(this.root, 'store');
    mkdirSync(this.spoolDir, { recursive: true });
    this.targetKind = this.rng.pick<TargetKind>(['local', 'local', 'memory-md5', 'memory-multipart']);
    this.upload = {
      concurrency: this.rng.int(1, 3),
      retryMinMs: 1,
      retryMaxMs: 8,
      keepLocalDays: this.rng.pick([0, 0, 1]),
      journalKeepDays: this.rng.pick([1, 2]),
      diskWarnPercent: 100,
      orphanStableMs: ORPHAN_STABLE_MS,
      healthMaxBacklog: 500,
    };
    if (this.targetKind === 'local') {
      this.memory = undefined;
      this.view = new LocalStoreView(this.storeDir);
      this.target = new FaultyTarget(new LocalTarget(this.storeDir), this.view, this.watch);
    } else {
      this.memory = new MemoryTarget(this.targetKind === 'memory-md5' ? 'md5' : 'multipart');
      this.view = this.memory;
      this.target = new FaultyTarget(this.memory, this.memory, this.watch);
    }
    this.observer = new Observer(this.spoolDir, join(this.stateDir, 'journal'), this.view);
  }

  get config(): string {
    const u = this.upload;
    return `target=${this.targetKind} concurrency=${u.concurrency} keep_local_days=${u.keepLocalDays} journal_keep_days=${u.journalKeepDays}`;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  get garbage(): Garbage {
    return this.memory?.corrupted ?? new Set();
  }

  #note(what: string): void {
    this.trail.push(`${this.step}: ${what}`);
  }

  fail(violations: string[]): never {
    throw new ModelFailure(
      [
        `seed=${this.opts.seed} step=${this.step} (${this.config}): ${violations.length} violation(s)`,
        ...violations.slice(0, 12).map((v) => `  - ${v}`),
        ...(process.env.MODEL_TRAIL ? this.trail.filter((l) => l.includes(process.env.MODEL_TRAIL as string)).map((l) => `  trail ${l}`) : []),
        `last steps (replay with MODEL_SEED=${this.opts.seed} MODEL_STEPS=${this.opts.steps}):`,
        ...this.trail.slice(-20).map((s) => `  ${s}`),
      ].join('\n'),
    );
  }

  async run(): Promise<RunReport> {
    const started = Date.now();
    await this.bringUp(false);
    for (this.step = 1; this.step <= this.opts.steps; this.step++) {
      this.r = this.rng.draws(8);
      if (this.spool) await this.upStep(this.r.weighted(UP_WEIGHTS));
      else await this.downStep(this.r.weighted(DOWN_WEIGHTS));
      while (this.faults.crashed) await this.afterCrash();
      if (this.faults.armedAt && ++this.faults.armedFor > 20) {
        this.#note(`crash plan ${this.faults.armedAt} never fired; disarmed`);
        this.faults.disarm();
      }
      await this.checkNow();
    }
    await this.settleEverything();
    return {
      seed: this.opts.seed,
      steps: this.opts.steps,
      config: this.config,
      recordings: this.recs.length,
      stored: this.recs.filter((r) => expectedOutcome(r) === 'stored').length,
      crashes: this.crashes,
      restarts: this.restarts,
      checks: this.checks,
      ms: Date.now() - started,
    };
  }

  async close(): Promise<void> {
    await this.spool?.stop(2000).catch(() => undefined);
    this.spool = undefined;
    rmSync(this.root, { recursive: true, force: true });
  }

  // ---- the world checked ----

  async checkNow(): Promise<void> {
    this.checks++;
    const obs = await this.observer.observe();
    const bad = checkAlways(this.recs, obs, this.garbage);
    bad.push(...this.watch.look(obs.store));
    if (this.memory?.overwrites.length) bad.push(`storage writes over existing objects: ${this.memory.overwrites.join(', ')}`);
    const lost = this.spool?.status().lost ?? 0;
    if (lost) bad.push(`status says ${lost} recording(s) lost`);
    if (bad.length) this.fail(bad);
  }

  get quietPossible(): boolean {
    return !!this.spool && this.target.healthy && (this.memory?.corruptNext ?? 0) === 0 && !this.faults.armedAt && this.faults.failuresLeft === 0;
  }

  /** Waits until every journal write landed and nothing waits for storage, then checks status against the world. */
  async quietCheck(): Promise<void> {
    const spool = this.spool;
    if (!spool) return;
    const same = (disk: ReadonlyMap<string, JournalEntry>): boolean => {
      if (disk.size !== spool.journal.entries.size) return false;
      for (const e of spool.journal.entries.values()) {
        const d = disk.get(e.id);
        if (!d || d.state !== e.state || d.key !== e.key || d.updatedAt !== e.updatedAt) return false;
      }
      return true;
    };
    // A scan already running judged stability by its own start: join it, then note the time every later scan
    // starts after (what a scan must have finished by then, checkStatus holds it to).
    await spool.scan();
    const scan: ScanView = { instance: this.restarts, freeswitchAnswers: !this.eslDown, from: this.now(), stableMs: ORPHAN_STABLE_MS };
    for (let attempt = 1; ; attempt++) {
      // retryNow() also starts a scan: join it, so nothing it finishes lands after the check.
      await spool.scan();
      await waitFor(
        async () => {
          const s = spool.status();
          return s.journalWritesFailing === 0 && s.backlogFiles === 0 && same(await this.observer.journal());
        },
        `a quiet spool (seed=${this.opts.seed} step=${this.step})`,
        10_000,
      ).catch((err: unknown) => this.fail([`${String(err)}; status ${JSON.stringify(spool.status())}`]));
      const obs = await this.observer.observe();
      const status = spool.status();
      // Still quiet after the observation (no scan timer fired in between)? Else look again.
      if (!same(obs.journal) || status.backlogFiles !== 0) {
        if (attempt < 5) continue;
        this.fail([`the spool never stayed quiet long enough to compare status with the journal; status ${JSON.stringify(status)}`]);
      }
      const bad = checkStatus(this.recs, obs, this.garbage, status, true, scan);
      if (bad.length) this.fail(bad);
      return;
    }
  }

  // ---- FreeSWITCH's side ----

  #mtime(): number {
    this.lastMtime = Math.max(this.now(), this.lastMtime + 3);
    return this.lastMtime;
  }

  #write(r: ModelRecording, bytes: Buffer, append: boolean): void {
    mkdirSync(dirname(r.path), { recursive: true });
    if (append) appendFileSync(r.path, bytes);
    else writeFileSync(r.path, bytes);
    r.writtenAtMs = this.#mtime();
    const t = r.writtenAtMs / 1000;
    utimesSync(r.path, t, t);
    r.content = append ? Buffer.concat([r.content, bytes]) : bytes;
    r.onDisk = true;
  }

  #newRecording(kind: ModelRecording['kind'], rel: string): ModelRecording {
    const n = this.#nextN++;
    const path = join(this.spoolDir, rel);
    const r: ModelRecording = { n, kind, path, rel, content: Buffer.alloc(0), writing: false, onDisk: false, overwritten: false, followed: false };
    if (kind !== 'dialplan') {
      r.meta = {
        id: `call-${this.opts.seed}-${n}`,
        callUuid: `c${n}`,
        legUuid: `l${n}`,
        path,
        relativePath: rel,
        format: 'wav',
        srcnum: '1000',
        dstnum: '2000',
        callerName: '',
        direction: 'inbound',
        network: 'internal',
        domain: 'd',
        tenantUuid: rel.split('/')[0] ?? '',
        node: 'n',
        reasons: ['model'],
        onDemand: false,
        startedAt: new Date(this.now()).toISOString(),
      };
    }
    this.recs.push(r);
    return r;
  }

  /** FreeSWITCH's first bytes: unique per recording, so bytes identify it in storage. */
  #header(r: ModelRecording): Buffer {
    return Buffer.concat([Buffer.from(`RIFF seed ${this.opts.seed} #${r.n} `), this.audio.bytes(this.r.int(0, 64))]);
  }

  /** Calls the spool as the recorder does; false when the instance crashed on it (the event reached no one). */
  async #tell(r: ModelRecording, event: 'started' | 'finished' | 'discarded' | 'failed' | 'note', call: (s: Spool, meta: RecordingMeta) => Promise<void>): Promise<boolean> {
    const spool = this.spool;
    if (!spool || !r.meta) return false;
    try {
      await call(spool, r.meta);
    } catch (err) {
      if (isSimulatedCrash(err)) {
        this.#note(`  (the spool crashed on ${event} of #${r.n})`);
        return false;
      }
      this.fail([`spool.${event} rejected (the recorder's calls never reject): ${String(err)}`]);
    }
    if (event !== 'note') {
      r.told = event;
      r.toldBy = this.restarts;
    }
    return true;
  }

  #writing(): ModelRecording[] {
    return this.recs.filter((r) => r.writing);
  }

  async fsAppend(): Promise<void> {
    const ws = this.#writing();
    if (!ws.length) return this.#note('append: nothing recording');
    const r = this.r.pick(ws);
    const bytes = this.audio.bytes(this.r.int(1, 400));
    this.#write(r, bytes, true);
    this.#note(`append ${bytes.length} B to #${r.n}`);
  }

  async fsStart(rel?: string): Promise<void> {
    const r = this.#newRecording('daemon', rel ?? `${this.r.pick(TENANTS)}/r${this.#nextN}.wav`);
    this.#note(`start #${r.n} ${r.rel}`);
    // uuid_record answered +OK: the recorder journals the start, FreeSWITCH writes the file.
    r.followed = await this.#tell(r, 'started', (s, m) => s.started(m));
    this.#write(r, this.#header(r), false);
    r.writing = true;
  }

  async fsLostStart(): Promise<void> {
    const r = this.#newRecording('lost-start', `${this.r.pick(TENANTS)}/u${this.#nextN}.wav`);
    const records = this.r.chance(0.75);
    this.#note(`uuid_record for #${r.n} ${r.rel}: reply lost; FreeSWITCH ${records ? 'records anyway' : 'never started'}`);
    r.followed = await this.#tell(r, 'started', (s, m) => s.started(m));
    if (r.followed) await this.#tell(r, 'note', (s, m) => s.note(m.id, 'uuid_record sent, no reply: outcome unknown'));
    if (records) {
      this.#write(r, this.#header(r), false);
      r.writing = true;
    }
  }

  /** The recorder settles a start whose reply was lost (events, the call's end, uuid_buglist). */
  async recorderSettles(): Promise<void> {
    const open = this.recs.filter((r) => r.kind === 'lost-start' && r.followed);
    if (!open.length) return this.#note('settle: no unanswered start');
    const r = this.r.pick(open);
    r.followed = false;
    if (r.onDisk && !r.writing && this.r.chance(0.5)) {
      this.#note(`settle #${r.n}: RECORD_STOP seen -> finished`);
      await this.#tell(r, 'finished', (s, m) => s.finished(m, { endedAt: new Date(this.now()).toISOString(), durationMs: 1000, completionCause: 'success-silence' }));
      return;
    }
    r.failReason = 'uuid_record not answered; no RECORD_START seen';
    this.#note(`settle #${r.n}: failed (${r.onDisk ? (r.writing ? 'FreeSWITCH still writes it' : 'file left') : 'no file'})`);
    if (!(await this.#tell(r, 'failed', (s, m) => s.failed(m, r.failReason as string))) && !r.onDisk) r.owed = 'failed';
  }

  async fsStop(): Promise<void> {
    const ws = this.#writing();
    if (!ws.length) return this.#note('stop: nothing recording');
    const r = this.r.pick(ws);
    r.writing = false;
    const result = { endedAt: new Date(this.now()).toISOString(), durationMs: r.content.length * 10, reportedSize: r.content.length };
    if (r.kind !== 'daemon' || !r.followed || !this.spool) {
      this.#note(`FreeSWITCH stops #${r.n} (${r.kind}${r.followed ? '' : ', nobody follows it'}): no event reaches the spool`);
      return;
    }
    r.followed = false;
    const roll = this.r.next();
    if (roll < 0.1) {
      const cause = this.r.pick(DISCARD_CAUSES);
      unlinkSync(r.path);
      r.onDisk = false;
      r.discardCause = cause;
      this.#note(`FreeSWITCH discards #${r.n} (${cause}) and deletes the file`);
      if (!(await this.#tell(r, 'discarded', (s, m) => s.discarded(m, { ...result, completionCause: cause })))) r.owed = 'discarded';
    } else if (roll < 0.17) {
      r.discardCause = 'input-too-short';
      this.#note(`FreeSWITCH says it discarded #${r.n} (input-too-short) but leaves the file`);
      await this.#tell(r, 'discarded', (s, m) => s.discarded(m, { ...result, completionCause: 'input-too-short' }));
    } else {
      const cause = this.r.pick(STOP_CAUSES);
      this.#note(`FreeSWITCH stops #${r.n} (${cause}, ${r.content.length} B)`);
      await this.#tell(r, 'finished', (s, m) => s.finished(m, { ...result, completionCause: cause }));
    }
  }

  /** Whose verified copy may give its name to a new recording (FreeSWITCH truncates and rewrites the path). */
  #reusable(files: ReadonlyMap<string, number>): ModelRecording[] {
    return this.recs.filter((r) => {
      if (r.writing || !r.onDisk || r.overwritten) return false;
      if (!files.has(r.path)) return true; // the spool deleted it, so it verified it (checked every step)
      if (!r.meta) return false;
      try {
        return (JSON.parse(readFileSync(join(this.stateDir, 'journal', entryFileName(r.meta.id)), 'utf8')) as JournalEntry).state === 'stored';
      } catch {
        return false; // no entry (an adoption took it), or one being replaced right now
      }
    });
  }

  async reuseName(dialplan: boolean): Promise<void> {
    const files = await this.observer.files();
    const candidates = this.#reusable(files);
    if (!candidates.length) return this.#note('reuse: no stored name to reuse');
    const old = this.r.pick(candidates);
    // From now on the path names the new recording's file; the old one's copy is in storage.
    old.overwritten = true;
    this.#note(`name ${old.rel} of stored #${old.n} reused (${files.has(old.path) ? 'over its verified copy' : 'local copy gone'})`);
    if (dialplan) return this.fsDialplan(old.rel);
    return this.fsStart(old.rel);
  }

  async fsDialplan(rel?: string): Promise<void> {
    const r = this.#newRecording('dialplan', rel ?? `dialplan/d${this.#nextN}.wav`);
    this.#note(`dialplan records #${r.n} ${r.rel}`);
    this.#write(r, this.#header(r), false);
    r.writing = true;
  }

  // ---- the daemon's side ----

  #openOptions(faults: FaultSwitch): Parameters<typeof Spool.open>[0] {
    return {
      stateDir: this.stateDir,
      spoolDir: this.spoolDir,
      upload: this.upload,
      target: this.target,
      log: silentLogger(),
      metrics: new Metrics(),
      now: () => this.now(),
      onJournal: (e) => this.history.set(e.id, e),
      faults,
      lock: true,
      recordedPaths: async () => (this.eslDown ? undefined : new Set(this.recs.filter((r) => r.writing || r.followed).map((r) => r.path))),
      recorderFollows: (path) => this.recs.some((r) => r.followed && r.path === path),
    };
  }

  /** A new daemon on the same directories; it may crash taking the lock, or during its recovery. */
  async bringUp(mayCrash = true): Promise<void> {
    for (;;) {
      this.faults = new FaultSwitch();
      if (mayCrash && this.r.chance(0.05)) this.faults.arm('lock.write', 1);
      else if (mayCrash && this.r.chance(0.15)) this.faults.arm(this.r.pick(this.#crashPoints()), this.r.int(1, 3));
      try {
        this.spool = await Spool.open(this.#openOptions(this.faults));
        break;
      } catch (err) {
        if (!isSimulatedCrash(err)) this.fail([`Spool.open refused after a crash in this process: ${String(err)}`]);
        this.#note('  (crashed taking the lock)');
      }
    }
    this.restarts++;
    this.#note(`daemon up${this.faults.armedAt ? ` (crash plan ${this.faults.armedAt})` : ''}`);
    await this.spool.start();
    // The recorder settles, from each call's end, what a dead daemon never heard.
    for (const r of this.recs) {
      if (!r.owed) continue;
      const owed = r.owed;
      this.#note(`  recorder settles #${r.n}: ${owed}`);
      const ok =
        owed === 'discarded'
          ? await this.#tell(r, owed, (s, m) => s.discarded(m, { endedAt: new Date(this.now()).toISOString(), durationMs: 0, completionCause: r.discardCause as string }))
          : await this.#tell(r, owed, (s, m) => s.failed(m, r.failReason as string));
      if (ok) r.owed = undefined;
      if (this.faults.crashed) break;
    }
  }

  /**
   * A new recorder follows nothing of its predecessor's. An unanswered start FreeSWITCH never made is settled
   * from the call's end after the restart; everything with a file is left to the spool's scan.
   */
  #recorderForgets(): void {
    for (const r of this.recs) {
      // Its start may be journaled even if the call crashed: only the recorder can close an entry with no file.
      if (r.kind === 'lost-start' && !r.onDisk && r.told !== 'failed' && !r.owed) {
        r.failReason = 'uuid_record not answered; the call ended without RECORD_START';
        r.owed = 'failed';
      }
      r.followed = false;
    }
  }

  #crashPoints(): CrashPoint[] {
    return [...SPOOL_POINTS, ...(this.targetKind === 'local' ? LOCAL_POINTS : MEMORY_POINTS)];
  }

  /** The instance is dead: let what it had in flight settle (every durable step throws), then restart or stay down. */
  async afterCrash(): Promise<void> {
    const dead = this.spool;
    if (!dead) return;
    this.crashes++;
    this.#note(`daemon crashed at ${this.faults.crashed}`);
    this.spool = undefined;
    await dead.scan();
    // stop() ends its timers; it also releases the lock, which kill -9 would leave: put it back as it was.
    await dead.stop(5000);
    const lock = join(this.stateDir, LOCK_FILE);
    if (!existsSync(lock)) writeFileSync(lock, `${process.pid}\n`);
    this.#recorderForgets();
    if (this.r.chance(0.3)) {
      this.faults = new FaultSwitch();
      this.#note('daemon stays down for a while');
    } else await this.bringUp();
  }

  async upStep(kind: UpStep): Promise<void> {
    const spool = this.spool as Spool;
    try {
      switch (kind) {
        case 'start':
          return await this.fsStart();
        case 'append':
          return await this.fsAppend();
        case 'stop':
          return await this.fsStop();
        case 'lostStart':
          return await this.fsLostStart();
        case 'settle':
          return await this.recorderSettles();
        case 'dialplan':
          return await this.fsDialplan();
        case 'reuse':
          return await this.reuseName(this.r.chance(0.3));
        case 'outage':
          this.target.outage = !this.target.outage;
          return this.#note(`storage ${this.target.outage ? 'down' : 'back'}`);
        case 'storageFault':
          return this.#storageFault();
        case 'esl':
          this.eslDown = !this.eslDown;
          return this.#note(`FreeSWITCH ${this.eslDown ? 'cannot be asked what it records' : 'answers again'}`);
        case 'armCrash': {
          if (this.faults.armedAt) return this.#note(`crash plan ${this.faults.armedAt} still armed`);
          this.faults.arm(this.r.pick(this.#crashPoints()), this.r.int(1, 3));
          return this.#note(`crash plan ${this.faults.armedAt}`);
        }
        case 'crashNow':
          this.#note('kill -9 now');
          return this.faults.crashNow();
        case 'diskFault': {
          const point = this.r.pick(FAIL_POINTS);
          const code = this.r.pick(['ENOSPC', 'EIO']);
          const count = this.r.int(1, 4);
          this.faults.failNext(point, code, count);
          return this.#note(`${code} on the next ${count} ${point}`);
        }
        case 'scan':
          this.#note('scan');
          return await spool.scan();
        case 'sync':
          this.#note(`sync (retry now)${this.quietPossible ? ', then wait for a quiet spool and check status' : ''}`);
          spool.retryNow();
          if (this.quietPossible) await this.quietCheck();
          return;
        case 'advance': {
          const ms = this.r.pick([5_000, 30_000, ORPHAN_STABLE_MS + 1, 600_000, 3_600_000, DAY + 1_000]);
          this.offsetMs += ms;
          return this.#note(`clock +${ms} ms`);
        }
        case 'pause': {
          const ms = this.r.int(0, 12);
          this.#note(`pause ${ms} ms (uploads run)`);
          return void (await sleep(ms));
        }
        case 'restart':
          this.#note('graceful restart (SIGTERM, start)');
          await spool.stop(5000);
          this.spool = undefined;
          this.#recorderForgets();
          return await this.bringUp();
      }
    } catch (err) {
      if (isSimulatedCrash(err)) return this.#note(`  (crash surfaced in ${kind})`);
      throw err;
    }
  }

  #storageFault(): void {
    const t = this.target;
    const fault = this.r.pick(this.memory ? ['failPut', 'failStat', 'lie', 'lose', 'corrupt'] : ['failPut', 'failStat', 'lie', 'lose']);
    if (fault === 'failPut') t.failPuts++;
    else if (fault === 'failStat') t.failStats++;
    else if (fault === 'lie') t.lieStats++;
    else if (fault === 'lose') t.losePuts++;
    else if (this.memory) this.memory.corruptNext++;
    this.#note(`storage: ${fault} next`);
  }

  async downStep(kind: DownStep): Promise<void> {
    switch (kind) {
      case 'append':
        return this.fsAppend();
      case 'stop':
        return this.fsStop();
      case 'dialplan':
        return this.fsDialplan();
      case 'advance': {
        const ms = this.r.pick([30_000, ORPHAN_STABLE_MS + 1, 3_600_000]);
        this.offsetMs += ms;
        return this.#note(`clock +${ms} ms (daemon down)`);
      }
      case 'offlineSync': {
        // fsrecd sync with no daemon: it takes the dead daemon's lock, drains, exits.
        this.#note('fsrecd sync (daemon down)');
        const s = await Spool.open({ ...this.#openOptions(new FaultSwitch()), recordedPaths: undefined, recorderFollows: undefined });
        await s.drain();
        await s.stop(5000);
        return;
      }
      case 'up':
        return this.bringUp();
    }
  }

  /** FreeSWITCH goes idle, storage heals, time passes: the spool must settle every recording. */
  async settleEverything(): Promise<void> {
    this.step++;
    this.#note('final: FreeSWITCH idle, storage healthy, clock +3 days');
    if (!this.spool) await this.bringUp(false);
    this.faults.disarm();
    this.faults.clearFailures();
    this.target.heal();
    if (this.memory) this.memory.corruptNext = 0;
    this.eslDown = false;
    for (const r of this.#writing()) {
      if (r.kind === 'daemon' && r.followed) {
        r.writing = false;
        r.followed = false;
        await this.#tell(r, 'finished', (s, m) => s.finished(m, { endedAt: new Date(this.now()).toISOString(), durationMs: 1, completionCause: 'hangup' }));
      } else r.writing = false;
    }
    while (this.recs.some((r) => r.kind === 'lost-start' && r.followed)) await this.recorderSettles();
    while (this.faults.crashed) await this.afterCrash();
    if (!this.spool) await this.bringUp(false);
    this.offsetMs += 3 * DAY;
    const spool = this.spool as Spool;
    await waitFor(
      async () => {
        spool.retryNow();
        await spool.scan();
        const s = spool.status();
        return s.backlogFiles === 0 && s.inProgress === 0 && s.journalWritesFailing === 0 && (await this.observer.files()).size === 0;
      },
      `everything settled (seed=${this.opts.seed})`,
      20_000,
    ).catch(async (err: unknown) => {
      const left = [...(await this.observer.files()).keys()].map((path) => {
        const e = spool.journal.byPath(path);
        const r = this.recs.find((x) => x.path === path && !x.overwritten);
        return `left in spool_dir: ${path}: journal ${e ? `${e.id} ${e.state}${e.lastError ? ` (${e.lastError})` : ''}` : 'none'}; model ${r ? describeRecording(r) : 'none'}`;
      });
      const open = [...spool.journal.entries.values()].filter((e) => e.state === 'recording').map((e) => `journal entry still recording: ${e.id} ${e.meta.path}${e.lastError ? ` (${e.lastError})` : ''}`);
      this.fail([`${String(err)}; status ${JSON.stringify(spool.status())}`, ...left, ...open]);
    });
    await this.quietCheck();
    const obs = await this.observer.observe();
    const bad = [...checkAlways(this.recs, obs, this.garbage), ...this.watch.look(obs.store), ...checkFinal(this.recs, obs, this.garbage, this.history)];
    const lockText = readFileSync(join(this.stateDir, LOCK_FILE), 'utf8').trim();
    if (lockText !== String(process.pid)) bad.push(`the lock names pid ${lockText}, the owner is ${process.pid}`);
    if (bad.length) this.fail(bad);
  }
}
