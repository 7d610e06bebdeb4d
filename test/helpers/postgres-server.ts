/**
 * A throw-away PostgreSQL server for one test file: a real server (Debian's postgresql package), initdb'd
 * into a temporary directory with a random password, listening on 127.0.0.1 only, on a free port, with
 * durability switched off for speed. When the tests run as root it runs as `nobody` (PostgreSQL refuses
 * root).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';

export interface LocalPostgres {
  /** postgres://fsrecd@127.0.0.1:PORT/postgres (no password: it is in passwordFile). */
  url: string;
  port: number;
  user: string;
  password: string;
  /** Holds the password (mode 0600). */
  passwordFile: string;
  /** Where the server's binaries are (for the tests that run one of them). */
  binDir: string;
  /** Creates a database; returns its URL (no password). */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown, waits for the server to exit, removes its directory. */
  stop(): Promise<void>;
}

const USER = 'fsrecd';

/** The directory holding initdb and postgres: on PATH, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBin(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error('no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin: install Debian\'s postgresql package (apt-get install postgresql)');
  }
  return join(root, versions[0], 'bin');
}

/** Who the server runs as: ourselves, or `nobody` when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root and no user nobody in /etc/passwd to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof addr !== 'object' || !addr) throw new Error('no free port');
  return addr.port;
}

function run(cmd: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}:\n${out}`))));
  });
}

/** Polls a real login until it works; fails at once when the server exits, or at the deadline. */
async function waitForLogin(port: number, password: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${log()}`);
    const client = new Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres', connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${timeoutMs} ms: ${(last as Error).message}\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPostgres(opts: { timeoutMs?: number } = {}): Promise<LocalPostgres> {
  const bin = findPostgresBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-pg-'));
  // The server's user must reach its data directory (mkdtemp makes the directory 0700, ours).
  chmodSync(dir, 0o711);
  if (user) chownSync(dir, user.uid, user.gid);
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(passwordFile, user.uid, user.gid);
  const data = join(dir, 'data');
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C', '--no-sync'], user);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let child: ChildProcess | undefined;
  let port = 0;
  let output = '';
  // A port found free may be taken before the server binds it: another port then.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    output = '';
    const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${data}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=100'];
    child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])], { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitForLogin(port, password, child, () => output, opts.timeoutMs ?? 30_000);
      break;
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (attempt >= 3 || !/could not bind|Address already in use/.test(output)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const server = child;
  // A test process that dies without stop() must not leave a server behind.
  const onExit = (): void => {
    if (server.exitCode === null) server.kill('SIGQUIT');
  };
  process.on('exit', onExit);
  const url = (database: string): string => `postgres://${USER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopped = false;
  return {
    url: url('postgres'),
    port,
    user: USER,
    password,
    passwordFile,
    binDir: bin,
    async createDatabase(name: string): Promise<string> {
      const client = new Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
        // SIGINT: fast shutdown (clients disconnected, no checkpoint wait beyond the quick one).
        server.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One server for a test file, stopped when the file's tests end: `const pg = await postgresFor(t)`. */
export async function postgresFor(t: { teardown(fn: () => Promise<void> | void): void }): Promise<LocalPostgres> {
  const pg = await startPostgres();
  t.teardown(() => pg.stop());
  return pg;
}
