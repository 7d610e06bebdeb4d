/**
 * The cluster lock on PostgreSQL (advisory-lock.ts), two nodes = two PostgresIndex pools on one database:
 * one holder at a time, given up by release, and gone with its holder's session however that ends.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { Client } from 'pg';
import type { PostgresIndexConfig } from '../../src/config/types';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import { postgresFor } from '../helpers/postgres-server';
import { waitFor } from '../helpers/wait-for';

t.test('cluster lock', async (t) => {
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('locks');
  const cfg: PostgresIndexConfig = { url, passwordFile: pg.passwordFile, poolSize: 3, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, tls: { mode: 'disable' } };
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m), info: () => undefined };
  const a = await PostgresIndex.connect(cfg, { log });
  const b = await PostgresIndex.connect(cfg, { log });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const admin = new Client({ host: '127.0.0.1', port: pg.port, user: pg.user, password: pg.password, database: 'locks' });
  await admin.connect();
  t.teardown(() => admin.end());
  /** The backends holding an advisory lock in this database, as the server sees them. */
  const holders = async (): Promise<number[]> =>
    (await admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows.map((r) => r.pid);

  t.test('one holder at a time; renewing keeps it; release lets the other take it', async (t) => {
    const la = a.clusterLock?.('retention');
    const lb = b.clusterLock?.('retention');
    if (!la || !lb) throw new Error('PostgresIndex has clusterLock');
    t.match(la.describe(), /advisory lock "retention" \(key -?\d+\) in postgres:\/\/fsrecd@127\.0\.0\.1:\d+\/locks/);
    t.equal(await la.acquire(), true);
    t.equal(await lb.acquire(), false, 'the other node cannot take it');
    t.equal(await la.acquire(), true, 'the holder renews');
    t.equal(await lb.acquire(), false);
    t.equal((await holders()).length, 1);
    // Another name is another lock.
    const other = b.clusterLock?.('reindex');
    t.equal(await other?.acquire(), true);
    await other?.release();
    await la.release();
    t.equal(await lb.acquire(), true, 'released: the other node takes it');
    t.equal(await la.acquire(), false);
    await lb.release();
    t.same(await holders(), [], 'nothing left held');
  });

  t.test("a holder whose session is terminated by the server has lost the lock; it notices and takes it again when it can", async (t) => {
    const la = a.clusterLock?.('terminated');
    const lb = b.clusterLock?.('terminated');
    if (!la || !lb) throw new Error('PostgresIndex has clusterLock');
    t.equal(await la.acquire(), true);
    const [pid] = await holders();
    t.ok(pid);
    // With a timeout, pg_terminate_backend returns once the backend has exited (and its locks are gone).
    await admin.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
    t.equal(await lb.acquire(), true, 'the lock died with the session');
    t.equal(await la.acquire(), false, 'the old holder finds its session gone and the lock taken');
    t.ok(warnings.some((w) => w.includes('the holding connection failed')), 'the lost session is logged');
    await lb.release();
    t.equal(await la.acquire(), true, 'and takes it on a fresh session once free');
    await la.release();
    t.same(await holders(), []);
    // The pool survived the killed connection: queries still work.
    t.equal((await a.counts()).total, 0);
  });

  t.test('a holder process that is SIGKILLed leaves no lock behind', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'helpers', 'postgres-lock-holder.ts'), 'killed'], {
      env: { ...process.env, FSRECD_PG_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('\n'), 'the child to report', 20_000);
    t.equal(out, 'held\n');
    const lb = b.clusterLock?.('killed');
    if (!lb) throw new Error('PostgresIndex has clusterLock');
    t.equal(await lb.acquire(), false, 'the child holds it');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // The server notices the closed socket at once; waited for as a fact, not a time.
    await waitFor(async () => (await lb.acquire()) || undefined, 'the killed holder\'s lock to go', 10_000);
    t.pass('taken after the holder was killed');
    await lb.release();
  });
});
