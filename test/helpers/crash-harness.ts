/**
 * The real daemon (`node dist/cli.js run`) against the simulator and a real S3 server (s3rver behind the
 * fault proxy, which logs every request and notes any create that replaced an object), in rounds: each
 * round has its own spool, state dir, bucket (or storage dir) and HTTP port, and is killed and restarted
 * at will. The simulator tells the harness every file it finishes (size and MD5 taken the moment FreeSWITCH
 * closed it), which is what "nothing lost" is checked against.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import type { Test } from 'tap';
import type { FinishedSimRecording } from '../../src/sim/uuid-record';
import { FreeswitchSimulator, type SimCall } from '../../src/sim/simulator';
import type { JournalEntry } from '../../src/spool/journal';
import { listFilesSync } from '../../src/util/list-files';
import { S3FaultProxy } from './s3-fault-proxy';
import { startS3, type LocalS3 } from './s3-server';
import { storedMetadata } from './storage-fixtures';
import { waitFor } from './wait-for';

/** The daemon under test: this tree's build, or another one (FSRECD_TEST_CLI, e.g. the code before a fix). */
export const CLI = process.env.FSRECD_TEST_CLI || join(__dirname, '../../dist/cli.js');
const ESL_PW = 'Crash-Pw-1';
const S3_KEY = 'S3RVER';
export const TOKEN = 'crash-admin-token-0123456789abcdef';

export const PHONE = (n: string): { number: string; device: string; domain: string } => ({ number: n, device: n, domain: 'acme.example' });

/** A file FreeSWITCH (the simulator) finished: what storage must end up holding, byte for byte. */
export interface FinishedFile {
  path: string;
  size: number;
  md5: string;
  discarded: boolean;
  cause: string;
}

/** A recording as storage holds it: the audio object, and the local path its metadata object names. */
export interface StoredRecording {
  key: string;
  size: number;
  md5: string;
  path?: string;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const md5Of = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** One simulator, one S3 server and its proxy, shared by every round of a test file. */
export class Rig {
  readonly finished: FinishedFile[] = [];
  private constructor(
    readonly sim: FreeswitchSimulator,
    readonly eslPort: number,
    readonly s3: LocalS3,
    readonly proxy: S3FaultProxy,
    readonly root: string,
  ) {
    sim.on('recordingFinished', (done: FinishedSimRecording) => {
      // Read now: the daemon may store and delete the file as soon as it hears RECORD_STOP.
      const bytes = done.discarded || !existsSync(done.path) ? Buffer.alloc(0) : readFileSync(done.path);
      this.finished.push({ path: done.path, size: bytes.length, md5: md5Of(bytes), discarded: done.discarded, cause: done.cause });
    });
  }

  static async start(): Promise<Rig> {
    const sim = new FreeswitchSimulator({ password: ESL_PW, heartbeatMs: 0 });
    const eslPort = await sim.start();
    const s3 = await startS3([]);
    const proxy = await S3FaultProxy.start(s3.port);
    return new Rig(sim, eslPort, s3, proxy, mkdtempSync(join(tmpdir(), 'fsrecd-crash-')));
  }

  client(): Client {
    return new Client({ endPoint: '127.0.0.1', port: this.s3.port, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, pathStyle: true });
  }

  /** Ends every call still up (the rounds' leftovers), so their files finish. */
  async hangupAll(): Promise<void> {
    for (const ch of this.sim.channels()) if (ch.role === 'a') this.sim.kill(ch, 'NORMAL_CLEARING');
    await waitFor(() => this.sim.liveChannelCount === 0, 'every simulated call ended');
  }

  async close(): Promise<void> {
    await this.sim.stop();
    await this.proxy.close();
    await this.s3.remove();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface RoundOptions {
  storage: 's3' | 'local';
  /** esl.api_timeout_ms (3000 by default). */
  apiTimeoutMs?: number;
  /** state_dir somewhere else (a small tmpfs). */
  stateDir?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One daemon's life and death on its own directories. */
export class Round {
  readonly dir: string;
  readonly spoolDir: string;
  readonly stateDir: string;
  readonly storeDir: string;
  readonly bucket: string;
  readonly configPath: string;
  output = '';
  #proc: ChildProcess | undefined;
  #exit: Exit | undefined;
  readonly #firstRequest: number;

  private constructor(
    readonly rig: Rig,
    readonly name: string,
    readonly opts: RoundOptions,
    readonly httpPort: number,
  ) {
    this.dir = join(rig.root, name);
    this.spoolDir = join(this.dir, 'spool');
    this.stateDir = opts.stateDir ?? join(this.dir, 'state');
    this.storeDir = join(this.dir, 'stored');
    this.bucket = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
    this.configPath = join(this.dir, 'fsrecd.yml');
    this.#firstRequest = rig.proxy.requests.length;
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.stateDir, { recursive: true });
    writeFileSync(join(this.dir, 'tokens'), `${TOKEN}\n`, { mode: 0o600 });
    const storage =
      opts.storage === 's3'
        ? `{type: s3, endpoint: 127.0.0.1, port: ${rig.proxy.port}, use_ssl: false, bucket: ${this.bucket}, create_bucket: true, path_style: true, access_key: ${S3_KEY}, secret_key_env: FSRECD_TEST_S3_SECRET}`
        : `{type: local, dir: ${this.storeDir}}`;
    writeFileSync(
      this.configPath,
      `
esl: {host: 127.0.0.1, port: ${rig.eslPort}, password: ${ESL_PW}, reconnect_min_ms: 20, reconnect_max_ms: 200, api_timeout_ms: ${opts.apiTimeoutMs ?? 3000}}
spool_dir: ${this.spoolDir}
state_dir: ${this.stateDir}
log: {level: info}
http: {listen: "127.0.0.1:${httpPort}", tokens_file: ${join(this.dir, 'tokens')}}
recording: {min_seconds: 0}
accounts:
  acme.example:
    tenant_uuid: acme
    users:
      alice: {record: on}
      bob: {record: on}
      carol: {}
      dave: {}
    devices:
      "1000": {user: alice}
      "1001": {user: bob}
      "1002": {user: carol}
      "1003": {user: dave}
storage: ${storage}
upload: {retry_min_ms: 50, retry_max_ms: 300, orphan_stable_ms: 300, journal_keep_days: 1}
`,
    );
  }

  static async create(rig: Rig, name: string, opts: RoundOptions): Promise<Round> {
    return new Round(rig, name, opts, await freePort());
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#exit === undefined;
  }

  get exit(): Exit | undefined {
    return this.#exit;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Starts the daemon with these extra environment variables (the fault plan). */
  start(env: Record<string, string> = {}): void {
    this.#exit = undefined;
    const p = spawn(process.execPath, [CLI, 'run', '--config', this.configPath], {
      env: { ...process.env, FSRECD_TEST_CRASH_AT: '', FSRECD_TEST_FAIL_AT: '', FSRECD_TEST_S3_SECRET: S3_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    p.on('exit', (code, signal) => (this.#exit = { code, signal }));
    this.#proc = p;
  }

  async healthz(): Promise<{ status: number; body: { ok?: boolean; reasons?: string[] } } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: (await res.json()) as { ok?: boolean; reasons?: string[] } };
    } catch {
      return undefined;
    }
  }

  /** Waits for /healthz 200, or for the process to end (a crash point on the way up). */
  async upOrDead(timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => !this.running || (await this.healthz())?.status === 200, `${this.name}: the daemon up (or dead)`, timeoutMs);
  }

  async metric(name: string): Promise<number | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  /** SIGTERM and wait (or SIGKILL when it does not go within the grace). */
  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || this.#exit) return;
    p.kill('SIGTERM');
    try {
      await waitFor(() => this.#exit !== undefined, `${this.name}: exit after SIGTERM`, 10_000);
    } catch {
      p.kill('SIGKILL');
      await waitFor(() => this.#exit !== undefined, `${this.name}: exit after SIGKILL`);
    }
  }

  kill(): void {
    if (this.running) this.#proc?.kill('SIGKILL');
  }

  /** The CLI against this round's configuration (spawned: s3rver lives in this process and must answer). */
  cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [CLI, ...args, '--config', this.configPath], { env: { ...process.env, FSRECD_TEST_CRASH_AT: '', FSRECD_TEST_FAIL_AT: '', FSRECD_TEST_S3_SECRET: S3_KEY } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** The files the simulator finished for this round. */
  finished(): FinishedFile[] {
    return this.rig.finished.filter((f) => f.path.startsWith(`${this.spoolDir}/`));
  }

  /** The journal as it is on disk. */
  journal(): JournalEntry[] {
    const dir = join(this.stateDir, 'journal');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .flatMap((n) => {
        try {
          return [JSON.parse(readFileSync(join(dir, n), 'utf8')) as JournalEntry];
        } catch {
          return []; // a torn entry would be a defect the daemon reports; the invariants below catch its effects
        }
      });
  }

  /** What storage holds for this round: audio objects with their bytes' size and MD5 and their metadata's path. */
  async stored(): Promise<StoredRecording[]> {
    if (this.opts.storage === 'local') {
      return listFilesSync(this.storeDir)
        .filter((f) => !f.endsWith('.json') && !f.endsWith('.tmp'))
        .map((f) => {
          const bytes = readFileSync(f);
          const meta = existsSync(`${f}.json`) ? (JSON.parse(readFileSync(`${f}.json`, 'utf8')) as { path?: string }) : undefined;
          return { key: f.slice(this.storeDir.length + 1), size: bytes.length, md5: md5Of(bytes), path: meta?.path };
        });
    }
    const client = this.rig.client();
    if (!(await client.bucketExists(this.bucket))) return [];
    const names: string[] = [];
    for await (const o of client.listObjectsV2(this.bucket, '', true)) names.push((o as { name: string }).name);
    const read = async (key: string): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of await client.getObject(this.bucket, key)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    const out: StoredRecording[] = [];
    for (const key of names.filter((n) => !n.endsWith('.json'))) {
      const bytes = await read(key);
      // The metadata rides on the object when it fits S3's user metadata, else it is in `<key>.json`.
      const meta = (await storedMetadata(client, key, this.bucket)) as { path?: string } | undefined;
      out.push({ key, size: bytes.length, md5: md5Of(bytes), path: meta?.path });
    }
    return out;
  }

  /** Creates of objects that went through the proxy during this round (audio and metadata). */
  creates(): number {
    return this.rig.proxy.requests.slice(this.#firstRequest).filter((r) => r.method === 'PUT' && r.key !== '' && !r.query.includes('partNumber')).length;
  }

  /** Every finished (not discarded) file of this round has its stored copy. */
  async allStored(): Promise<boolean> {
    const want = this.finished().filter((f) => !f.discarded);
    if (want.length === 0) return true;
    return match(want, await this.stored()).missing.length === 0;
  }

  /** Copies a template state (journal entries, a stale lock) into this round's state_dir. */
  seedState(from: string): void {
    cpSync(from, this.stateDir, { recursive: true });
  }
}

/**
 * Pairs finished files with stored copies by path, size and MD5, each used once: a path can be reused by a
 * later recording (the same name in the same second after a restart, once the first file was stored and
 * removed), so each path is a multiset. Returns the files without a copy and the copies without a file.
 */
export function match(files: readonly FinishedFile[], stored: readonly StoredRecording[]): { missing: FinishedFile[]; extra: StoredRecording[] } {
  const extra = [...stored];
  const missing: FinishedFile[] = [];
  for (const f of files) {
    const i = extra.findIndex((s) => s.path === f.path && s.size === f.size && s.md5 === f.md5);
    if (i < 0) missing.push(f);
    else extra.splice(i, 1);
  }
  return { missing, extra };
}

/** A call from `from` to `to`, answered; returns once a recording runs (or the daemon is dead), then hangs up. */
export async function recordedCall(round: Round, from: string, to: string, opts: { onDemand?: boolean } = {}): Promise<SimCall> {
  const { sim } = round.rig;
  const c = await sim.createCall({ from: PHONE(from), to, bridgeTo: PHONE(to) });
  await c.answer();
  if (opts.onDemand) await c.dtmf('a', '*3');
  await waitFor(() => !round.running || sim.recordingsOf(c.aUuid).length > 0, `${round.name}: ${from} -> ${to} recording`);
  await c.hangup('a');
  return c;
}

/** *26 from a phone: waits for the confirmation tone (the toggle is written by then) or the daemon's death. */
export async function toggleCall(round: Round, from: string): Promise<void> {
  const { sim } = round.rig;
  const c = await sim.createCall({ from: PHONE(from), to: '*26', park: true });
  await waitFor(() => !round.running || sim.broadcasts.some((b) => b.uuid === c.aUuid), `${round.name}: *26 confirmed`);
  await c.hangup('a');
}

/**
 * Right after a crash, before any restart: a file that is gone from the spool must be the very file stored
 * and verified (journal says stored, storage holds its bytes). Nothing else may have been deleted.
 */
export async function checkNothingDeletedEarly(t: Test, round: Round): Promise<void> {
  // Files first: a running daemon writes "stored" before it deletes, so a journal read after is never older.
  const gone = round.finished().filter((f) => !f.discarded && !existsSync(f.path));
  const journal = round.journal();
  const stored = await round.stored();
  const early = gone.filter((f) => {
    const entry = journal.find((e) => e.meta.path === f.path && e.state === 'stored' && e.md5 === f.md5);
    return !entry || match([f], stored).missing.length > 0;
  });
  t.same(early.map((f) => f.path), [], 'no local file deleted before its stored copy was verified');
}

/**
 * Once the restarted daemon has drained: every finished file is stored exactly once with its size and MD5
 * (or, discarded by FreeSWITCH, is journaled discarded with FreeSWITCH's cause and stored nowhere); storage
 * holds nothing else; no create replaced an object; the daemon runs, and /metrics and `fsrecd status` agree
 * with storage. Returns what storage holds.
 */
export async function checkSettled(t: Test, round: Round, overwritesBefore: number): Promise<StoredRecording[]> {
  const finished = round.finished();
  await waitFor(() => round.allStored(), `${round.name}: every finished recording stored`, 20_000);
  await waitFor(async () => (await round.metric('fsrecd_backlog_files')) === 0, `${round.name}: backlog 0`, 20_000);
  const stored = await round.stored();
  const { missing, extra } = match(finished.filter((x) => !x.discarded), stored);
  const name = (p: string | undefined): string => (p ?? '(no metadata)').slice(round.spoolDir.length + 1);
  t.same(missing.map((f) => name(f.path)), [], 'every finished recording stored, with the size and MD5 FreeSWITCH wrote');
  t.same(extra.map((s) => `${s.key} (${name(s.path)})`), [], 'nothing stored twice, nothing stored that FreeSWITCH did not finish');
  const journal = round.journal();
  for (const f of finished.filter((x) => x.discarded)) {
    t.notOk(stored.some((s) => s.path === f.path), 'a discarded recording is stored nowhere');
    const e = journal.find((x) => x.meta.path === f.path);
    t.same(e && [e.state, e.lastError], ['discarded', f.cause], "journaled discarded with FreeSWITCH's cause");
  }
  if (round.opts.storage === 's3') t.same(round.rig.proxy.overwrites.slice(overwritesBefore), [], 'no create replaced a stored object');
  t.ok(round.running, 'the daemon is running');
  t.equal(await round.metric('fsrecd_backlog_files'), 0, '/metrics: fsrecd_backlog_files 0');
  // /metrics counts from memory; status reads the journal on disk, whose last write may still be under way.
  await waitFor(() => round.journal().filter((e) => e.state === 'stored').length === stored.length, `${round.name}: the journal on disk says stored`);
  const status = await round.cli('status');
  t.equal(status.status, 0, `fsrecd status runs${status.stderr ? `: ${status.stderr}` : ''}`);
  t.match(status.stdout, /backlog: 0 file\(s\)/, 'fsrecd status: backlog 0');
  const counts = /stored (\d+), lost (\d+)/.exec(status.stdout);
  t.same(counts && [Number(counts[1]), Number(counts[2])], [stored.length, 0], 'fsrecd status: stored as many as storage holds, none lost');
  await waitFor(() => listFilesSync(round.spoolDir).length === 0, `${round.name}: verified local copies removed (keep_local_days 0)`, 10_000);
  return stored;
}
