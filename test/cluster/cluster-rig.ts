/**
 * Two FreeSWITCH servers, one archive: one s3rver bucket (behind the fault proxy, which notes any create
 * that replaced an object), one PostgreSQL database, and per node a simulator (its own FreeSWITCH-Hostname)
 * and the real daemon (`node dist/cli.js run`) with its own spool, state dir and HTTP port. Both nodes'
 * configurations differ only in what is theirs (ESL port, directories, HTTP port): filename template, key
 * settings, index and retention are the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client as S3Client } from 'minio';
import { Client as PgClient } from 'pg';
import { loadConfig } from '../../src/config/load';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import type { JournalEntry } from '../../src/spool/journal';
import { Spool } from '../../src/spool/spool';
import { createStorageTarget } from '../../src/storage/create-target';
import { CLI, freePort } from '../helpers/crash-harness';
import { startPostgres, type LocalPostgres } from '../helpers/postgres-server';
import { S3FaultProxy } from '../helpers/s3-fault-proxy';
import { startS3, type LocalS3 } from '../helpers/s3-server';
import { waitFor } from '../helpers/wait-for';

export const BUCKET = 'archive';
export const DATABASE = 'fsrecd';
export const TOKEN = 'cluster-admin-token-0123456789abcdef';
const ESL_PW = 'Cluster-Pw-1';
const S3_KEY = 'S3RVER';
/** The same on every node: the default template, spelt out (its seconds are what make two nodes' names meet). */
export const FILENAME_TEMPLATE = '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}';

export const PHONE = (n: string): { number: string; device: string; domain: string } => ({ number: n, device: n, domain: 'acme.example' });

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A row of the shared index as the database holds it (read with SQL, not through fsrecd's reader). */
export interface IndexRow {
  id: string;
  node: string;
  state: string;
  key: string;
  startedAt: string;
  tenant: string;
}

/** What a node's retention days are in its configuration (absent: kept forever, the schedule does nothing). */
export interface RetentionSetting {
  defaultDays?: number;
}

export class ClusterNode {
  readonly dir: string;
  readonly spoolDir: string;
  readonly stateDir: string;
  readonly configPath: string;
  output = '';
  #proc: ChildProcess | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly name: string,
    readonly sim: FreeswitchSimulator,
    readonly eslPort: number,
    readonly httpPort: number,
  ) {
    this.dir = join(cluster.root, name);
    this.spoolDir = join(this.dir, 'spool');
    this.stateDir = join(this.dir, 'state');
    this.configPath = join(this.dir, 'fsrecd.yml');
    mkdirSync(this.stateDir, { recursive: true });
    mkdirSync(this.spoolDir, { recursive: true });
    writeFileSync(join(this.dir, 'tokens'), `${TOKEN}\n`, { mode: 0o600 });
    this.writeConfig({});
  }

  /** Writes this node's configuration (atomically: the running daemon watches the file and reloads it). */
  writeConfig(retention: RetentionSetting, databaseUrl = this.cluster.databaseUrl): void {
    const days = retention.defaultDays === undefined ? '' : `, default_days: ${retention.defaultDays}`;
    const yaml = `
esl: {host: 127.0.0.1, port: ${this.eslPort}, password: ${ESL_PW}, reconnect_min_ms: 20, reconnect_max_ms: 200}
spool_dir: ${this.spoolDir}
state_dir: ${this.stateDir}
log: {level: info}
http: {listen: "127.0.0.1:${this.httpPort}", tokens_file: ${join(this.dir, 'tokens')}}
call_recording: {filename_template: "${FILENAME_TEMPLATE}"}
recording: {min_seconds: 0}
accounts:
  acme.example:
    tenant_uuid: acme
    users:
      alice: {record: on}
      bob: {record: on}
    devices:
      "1000": {user: alice}
      "1001": {user: bob}
storage: {type: s3, endpoint: 127.0.0.1, port: ${this.cluster.proxy.port}, use_ssl: false, bucket: ${BUCKET}, path_style: true, access_key: ${S3_KEY}, secret_key: ${S3_KEY}}
upload: {retry_min_ms: 50, retry_max_ms: 300, orphan_stable_ms: 300}
index: {type: postgres, postgres: {url: "${databaseUrl}", password_file: ${this.cluster.pg.passwordFile}, pool_size: 4}}
retention: {interval: 1s${days}}
`;
    this.writeConfigText(this.configPath, yaml);
  }

  /** The same configuration, in another file, pointing at another database (a rebuild from storage alone). */
  configFor(databaseUrl: string): string {
    const path = join(this.dir, `fsrecd-${databaseUrl.split('/').at(-1) ?? 'other'}.yml`);
    const text = readFileSync(this.configPath, 'utf8').replace(/url: "[^"]*"/, `url: "${databaseUrl}"`);
    this.writeConfigText(path, text);
    return path;
  }

  private writeConfigText(path: string, text: string): void {
    const tmp = join(dirname(path), `.${Date.now()}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#exit === undefined;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** The daemon's process id (the last one started). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  start(): void {
    this.#exit = undefined;
    const p = spawn(process.execPath, [CLI, 'run', '--config', this.configPath], { env: { ...process.env, FSRECD_TEST_CRASH_AT: '', FSRECD_TEST_FAIL_AT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    p.on('exit', (code, signal) => (this.#exit = { code, signal }));
    this.#proc = p;
  }

  /** Up: /healthz answers 200 (or the daemon died, which the caller sees in `running`). */
  async up(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) return true;
        try {
          const res = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`, { signal: AbortSignal.timeout(2000) });
          return res.status === 200;
        } catch {
          return false;
        }
      },
      `${this.name}: the daemon up`,
      timeoutMs,
    );
  }

  /** SIGTERM, and the exit it leads to. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.running) return this.#exit;
    this.#proc?.kill('SIGTERM');
    try {
      await waitFor(() => this.#exit !== undefined, `${this.name}: exit after SIGTERM`, 25_000);
    } catch {
      this.#proc?.kill('SIGKILL');
      await waitFor(() => this.#exit !== undefined, `${this.name}: exit after SIGKILL`);
    }
    return this.#exit;
  }

  /** GET on this node's HTTP API, as the admin. */
  async api<T>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async metric(name: string): Promise<number | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(2000) });
    const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  /** The CLI with this node's configuration (or another file), in its own process. */
  cli(args: string[], opts: { env?: Record<string, string>; config?: string } = {}): Promise<CliResult> {
    return runCli([...args, '--config', opts.config ?? this.configPath], opts.env);
  }

  /** The journal as it is on disk: what this node recorded. */
  journal(): JournalEntry[] {
    const dir = join(this.stateDir, 'journal');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as JournalEntry);
  }

  /** How many times the daemon said it reloaded its configuration. */
  reloads(): number {
    return this.output.split('\n').filter((l) => l.includes('configuration reloaded')).length;
  }
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FSRECD_TEST_CRASH_AT: '', FSRECD_TEST_FAIL_AT: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** A recording made before the daemons started (months ago), in a node's journal and the bucket. */
export interface OldRecording {
  id: string;
  ageDays: number;
  /** The file's path relative to spool_dir (two nodes may use the same one). */
  relativePath: string;
}

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  #sql: PgClient | undefined;

  private constructor(
    readonly root: string,
    readonly pg: LocalPostgres,
    readonly databaseUrl: string,
    readonly s3: LocalS3,
    readonly proxy: S3FaultProxy,
  ) {}

  static async start(t: { teardown(fn: () => unknown): void }): Promise<Cluster> {
    // One teardown, last started first stopped: the daemons go before the database and the bucket they use.
    const cleanups: Array<() => unknown> = [];
    t.teardown(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const databaseUrl = await pg.createDatabase(DATABASE);
    const s3 = await startS3([BUCKET]);
    cleanups.push(() => s3.remove());
    const proxy = await S3FaultProxy.start(s3.port);
    cleanups.push(() => proxy.close());
    const root = mkdtempSync(join(tmpdir(), 'fsrecd-cluster-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const cluster = new Cluster(root, pg, databaseUrl, s3, proxy);
    cleanups.push(async () => {
      for (const n of cluster.nodes) await n.stop();
      for (const n of cluster.nodes) await n.sim.stop();
      await cluster.#sql?.end();
    });
    return cluster;
  }

  /** A node: its simulator says FreeSWITCH-Hostname `name`. */
  async addNode(name: string): Promise<ClusterNode> {
    const sim = new FreeswitchSimulator({ password: ESL_PW, hostname: name, heartbeatMs: 0 });
    const eslPort = await sim.start();
    const node = new ClusterNode(this, name, sim, eslPort, await freePort());
    this.nodes.push(node);
    return node;
  }

  /** SQL on the shared database (the test's own view of it, independent of fsrecd's reader). */
  async sql<R extends object>(text: string, params: unknown[] = []): Promise<R[]> {
    if (!this.#sql) {
      const c = new PgClient({ host: '127.0.0.1', port: this.pg.port, user: this.pg.user, password: this.pg.password, database: DATABASE });
      await c.connect();
      this.#sql = c;
    }
    return (await this.#sql.query<R>(text, params)).rows;
  }

  async rows(databaseUrl = this.databaseUrl): Promise<IndexRow[]> {
    const text = "SELECT id, node, state, doc->>'key' AS key, doc->>'startedAt' AS \"startedAt\", tenant FROM recordings ORDER BY id";
    if (databaseUrl === this.databaseUrl) return this.sql<IndexRow>(text);
    const c = new PgClient({ host: '127.0.0.1', port: this.pg.port, user: this.pg.user, password: this.pg.password, database: databaseUrl.split('/').at(-1) });
    await c.connect();
    try {
      return (await c.query<IndexRow>(text)).rows;
    } finally {
      await c.end();
    }
  }

  s3Client(): S3Client {
    return new S3Client({ endPoint: '127.0.0.1', port: this.s3.port, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, pathStyle: true });
  }

  /** Every key in the bucket. */
  async keys(): Promise<string[]> {
    const names: string[] = [];
    for await (const o of this.s3Client().listObjectsV2(BUCKET, '', true)) names.push((o as { name: string }).name);
    return names.sort();
  }

  /**
   * Recordings a node made long ago: stored through the real spool and storage target with this node's
   * configuration (so under this node's default key) and journaled in its state dir, as if the daemon had
   * made them; the daemon puts them in the shared index from its journal when it starts.
   */
  async seedOld(node: ClusterNode, recordings: OldRecording[], now = Date.now()): Promise<void> {
    const loaded = await loadConfig(node.configPath);
    if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
    const cfg = loaded.config;
    const spool = await Spool.open({ stateDir: cfg.stateDir, spoolDir: cfg.spoolDir, upload: cfg.upload, target: createStorageTarget(cfg.storage, silentLogger()), log: silentLogger(), metrics: new Metrics() });
    try {
      for (const r of recordings) {
        const path = join(node.spoolDir, r.relativePath);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, Buffer.alloc(2000, r.id.length));
        const startedAt = new Date(now - r.ageDays * 86_400_000).toISOString();
        const meta: RecordingMeta = { id: r.id, callUuid: `call-${r.id}`, legUuid: `leg-${r.id}`, path, relativePath: r.relativePath, format: 'wav', srcnum: '1000', dstnum: '1001', callerName: 'alice', direction: 'inbound', network: 'internal', user: 'alice', device: '1000', domain: 'acme.example', tenantUuid: 'acme', node: node.name, reasons: ['user alice'], onDemand: false, startedAt };
        await spool.started(meta);
        await spool.finished(meta, { endedAt: new Date(Date.parse(startedAt) + 30_000).toISOString(), durationMs: 30_000, completionCause: 'success' });
      }
      await spool.drain();
      const notStored = recordings.filter((r) => spool.journal.entries.get(r.id)?.state !== 'stored').map((r) => r.id);
      if (notStored.length) throw new Error(`seeding ${node.name}: not stored: ${notStored.join(', ')}`);
    } finally {
      await spool.stop(0);
    }
  }
}
