/**
 * A deletion cut at each of its steps (lifecycle.* crash points): `fsrecd retention --run` is SIGKILLed
 * there, then run again. Every expired recording ends deleted exactly once (object, metadata object, kept
 * local copy, tombstone, one audited retention-delete) and nothing else is touched; the dead run's lease
 * does not hold the next run up. SQLite only: the CLI here uses state_dir's index file, so the killed run
 * and the next one share it the way two processes of one node do (the engines' rules are tested on both
 * engines in test/recordings/ and the other lifecycle tests).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRASH_POINTS } from '../../src/durability/faults';
import { SqliteIndex } from '../../src/recordings/index-db';
import { indexPath } from '../../src/recordings/open-index';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, s3Target, tempDir } from '../helpers/storage-fixtures';
import { keyOf, storedWorld, localCopyExists } from './fixture';

const CLI = join(__dirname, '../../dist/cli.js');

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FSRECD_TEST_CRASH_AT: '', FSRECD_TEST_FAIL_AT: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

const points = CRASH_POINTS.filter((p) => p.startsWith('lifecycle.'));
const EXPIRED = ['old1', 'old2', 'old3'];
const KEPT = ['new1', 'new2'];

t.test('every lifecycle step is a crash point here', async (t) => {
  t.same(points, ['lifecycle.remove-local', 'lifecycle.remove-object', 'lifecycle.remove-metadata', 'lifecycle.tombstone']);
});

for (const point of points) {
  for (const hit of [1, 2]) {
    t.test(`killed at ${point}:${hit}, then run again`, async (t) => {
      const dir = tempDir(t, 'fsrecd-lifecycle-crash-');
      const s3 = await startS3([BUCKET]);
      t.teardown(() => s3.remove());
      const store = s3Target(s3.port);
      const w = await storedWorld(dir, store, [...EXPIRED.map((id) => ({ id, ageDays: 100 })), ...KEPT.map((id) => ({ id, ageDays: 1 }))]);
      await w.spool.stop(0);
      await w.index.close();
      const cfg = join(dir, 'fsrecd.yml');
      writeFileSync(cfg, `spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: s3, endpoint: 127.0.0.1, port: ${s3.port}, use_ssl: false, bucket: ${BUCKET}, access_key: S3RVER, secret_key: S3RVER}\nupload: {keep_local_days: 30}\nretention: {default_days: 30}\n`);

      const killed = await runCli(['retention', '--run', '--config', cfg], { FSRECD_TEST_CRASH_AT: `${point}:${hit}` });
      t.equal(killed.signal, 'SIGKILL', `the first run died at ${point}:${hit} (${killed.stderr.slice(-300)})`);
      const again = await runCli(['retention', '--run', '--config', cfg], {});
      t.equal(again.status, 0, again.stderr);
      t.notMatch(again.stdout, /another node .* is running retention/, 'the dead run left no lease in the way');

      const index = SqliteIndex.open(indexPath(w.stateDir));
      t.teardown(() => index.close());
      for (const id of EXPIRED) {
        const e = await index.get(id);
        t.equal(e?.state, 'deleted', `${id} is a tombstone`);
        t.equal(e?.deleted?.deletedBy, 'retention');
        t.equal(await store.stat(keyOf(w, id)), null, `${id}'s object is gone`);
        t.equal(await store.stat(`${keyOf(w, id)}.json`), null, `${id}'s metadata object is gone`);
        t.notOk(localCopyExists(w, id), `${id}'s kept local copy is gone`);
      }
      for (const id of KEPT) {
        t.equal((await index.get(id))?.state, 'stored', `${id} is untouched`);
        t.not(await store.stat(keyOf(w, id)), null, `${id}'s object is there`);
        t.ok(localCopyExists(w, id), `${id}'s local copy is there`);
      }
      const audited = (await index.audit.page({ limit: 100, action: 'retention-delete' })).events.filter((e) => e.outcome === 'ok').map((e) => e.recordingId);
      t.same([...audited].sort(), EXPIRED, 'each expired recording deleted (and audited) exactly once');
      t.ok(existsSync(join(dir, 'state')));
    });
  }
}
