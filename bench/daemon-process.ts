/**
 * The built daemon (dist/cli.js run) in its own process, as systemd starts it, for the benchmarks that
 * measure the daemon and not the benchmark: its memory from /proc/<pid>/status, its answer latency with the
 * simulator in another process's thread. Its log goes to /dev/null at the configured level (info by
 * default: every decision line is written, as in production).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface DaemonProcess {
  pid: number;
  httpPort: number;
  /** The daemon's /healthz body. */
  health(): Promise<{ eslConnected: boolean; backlogFiles: number }>;
  /** /metrics as text (the bench config lets it be read without a credential). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 now (the daemon binds it a moment later; a clash fails the start loudly). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

/** A metric's value from Prometheus text (the unlabelled series, or the sum of its labelled ones). */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The node options systemd/fsrecd.service gives the daemon (Environment=NODE_OPTIONS=…). */
export function unitNodeOptions(): string {
  const unit = readFileSync(join(__dirname, '..', 'systemd', 'fsrecd.service'), 'utf8');
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1]?.trim() ?? '';
}

/**
 * Starts the daemon on `yaml` (which must not set `http`: the listener is set here) and waits until its
 * event socket is connected. `nodeArgs` go to node (default: BENCH_DAEMON_NODE_ARGS).
 */
export async function startDaemonProcess(dir: string, yaml: string, opts: { logLevel?: string; nodeArgs?: string[] } = {}): Promise<DaemonProcess> {
  const httpPort = await freePort();
  const config = join(dir, 'fsrecd.yml');
  writeFileSync(config, `${yaml}\nhttp: {listen: "127.0.0.1:${httpPort}", metrics_without_auth: true}\n`);
  const cli = join(__dirname, '..', 'dist', 'cli.js');
  // As the unit runs it (its NODE_OPTIONS), unless BENCH_DAEMON_NODE_ARGS says otherwise for an experiment
  // (--cpu-prof, another --max-semi-space-size=…; "" for Node's defaults).
  const nodeArgs = opts.nodeArgs ?? (process.env.BENCH_DAEMON_NODE_ARGS ?? unitNodeOptions()).split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, cli, '--config', config, 'run', '--log-level', opts.logLevel ?? 'info'], {
    // BENCH_DAEMON_STDOUT: a file for the daemon's log (and --trace-gc lines) in an experiment; else dropped.
    stdio: ['ignore', process.env.BENCH_DAEMON_STDOUT ? openSync(process.env.BENCH_DAEMON_STDOUT, 'w') : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const health = async (): Promise<{ eslConnected: boolean; backlogFiles: number }> => JSON.parse((await get(httpPort, '/healthz')).body) as { eslConnected: boolean; backlogFiles: number };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}) before it was ready: ${stderr}`);
    const h = await health().catch(() => undefined);
    if (h?.eslConnected) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the daemon was not connected to the simulator within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid ?? 0,
    httpPort,
    health,
    metrics: async () => (await get(httpPort, '/metrics')).body,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The process's resident set now and its peak so far (VmHWM), in MB, from /proc/<pid>/status. */
export function residentMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Samples a process's RSS every `everyMs` until stopped: the peak of one phase (VmHWM is the whole life's). */
export class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 25,
  ) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    try {
      this.#peak = Math.max(this.#peak, residentMb(this.pid).rss);
    } catch {
      // The process is gone: its peak is what was seen.
    }
  }

  /** Stops sampling; the peak RSS in MB. */
  stop(): number {
    this.#sample();
    clearInterval(this.#timer);
    return this.#peak;
  }
}
