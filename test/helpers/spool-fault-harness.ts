/**
 * The real Spool storing to the real s3rver through the fault proxy, with the storage invariants checked
 * the whole time: a local file may disappear only while the server holds a copy with its exact bytes, and
 * no create may replace an object. `verify` then checks the end state: every finished recording stored
 * exactly once, with its size and MD5, its metadata beside it and the journal naming that key.
 */
import type { Test } from 'tap';
import { existsSync, mkdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { Spool } from '../../src/spool/spool';
import { S3FaultProxy } from './s3-fault-proxy';
import { startS3 } from './s3-server';
import { BUCKET, directClient, listKeys, md5, objectBytes, recordingMeta, s3Target, storedMetadata, tempDir } from './storage-fixtures';
import { waitFor } from './wait-for';


interface Tracked {
  meta: RecordingMeta;
  bytes: Buffer;
  md5: string;
  goneLocally: boolean;
}

export async function faultHarness(t: Test, opts: { honourIfNoneMatch?: boolean } = {}) {
  const s3 = await startS3([BUCKET]);
  const proxy = await S3FaultProxy.start(s3.port);
  proxy.honourIfNoneMatch = opts.honourIfNoneMatch ?? false;
  const direct = directClient(s3.port);
  const dir = tempDir(t, 'fsrecd-faults-');
  const spoolDir = join(dir, 'spool');
  const recDir = join(spoolDir, 'acme');
  mkdirSync(recDir, { recursive: true });
  const spool = await Spool.open({
    stateDir: join(dir, 'state'),
    spoolDir,
    upload: { concurrency: 2, retryMinMs: 20, retryMaxMs: 150, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 100, orphanStableMs: 600_000, healthMaxBacklog: 500 },
    target: s3Target(proxy.port),
    log: silentLogger(),
    metrics: new Metrics(),
  });
  await spool.start();

  const tracked: Tracked[] = [];
  const violations: string[] = [];
  /** The server's objects by MD5 of their bytes, read past the proxy (ETags are not trusted here). */
  const objectsByMd5 = async (): Promise<Map<string, string[]>> => {
    const byMd5 = new Map<string, string[]>();
    for (const key of await listKeys(direct)) {
      if (key.endsWith('.json')) continue;
      const bytes = await objectBytes(direct, key);
      if (!bytes) continue;
      const sum = md5(bytes);
      byMd5.set(sum, [...(byMd5.get(sum) ?? []), key]);
    }
    return byMd5;
  };
  let checking = Promise.resolve();
  const checkDeletions = (): Promise<void> => {
    checking = checking.then(async () => {
      const gone = tracked.filter((r) => !r.goneLocally && !existsSync(r.meta.path));
      if (!gone.length) return;
      const byMd5 = await objectsByMd5();
      for (const r of gone) {
        r.goneLocally = true;
        if (!byMd5.has(r.md5)) violations.push(`${r.meta.id}: the local file was deleted while the server held no copy of its bytes`);
      }
    });
    return checking;
  };
  const watcher = watch(recDir, () => void checkDeletions());

  t.teardown(async () => {
    watcher.close();
    await spool.stop(200);
    await proxy.close();
    await s3.remove();
  });

  let n = 0;
  return {
    proxy,
    direct,
    spool,
    /** A recording made and finished, as the recorder hands it to the spool. */
    async record(name: string, bytes: Buffer | string = `audio of ${name} #${++n}`): Promise<RecordingMeta> {
      const meta = { ...recordingMeta(recDir, `rec-${name}`, `acme/${name}`), path: join(recDir, name) };
      const body = Buffer.from(bytes);
      tracked.push({ meta, bytes: body, md5: md5(body), goneLocally: false });
      await spool.started(meta);
      writeFileSync(meta.path, body);
      await spool.finished(meta, { endedAt: new Date().toISOString(), durationMs: 1000, completionCause: 'success' });
      return meta;
    },
    /** Every tracked recording stored and its local copy gone. */
    async settled(timeoutMs = 20_000): Promise<void> {
      await waitFor(() => spool.status().stored === tracked.length && tracked.every((r) => !existsSync(r.meta.path)), `${tracked.length} recordings stored and their local copies removed`, timeoutMs);
      await checkDeletions();
    },
    /** The local files of these recordings are all still there. */
    localCopiesKept(metas: RecordingMeta[]): boolean {
      return metas.every((m) => existsSync(m.path));
    },
    /** Keys holding these bytes on the server. */
    async keysHolding(bytes: Buffer | string): Promise<string[]> {
      return (await objectsByMd5()).get(md5(Buffer.from(bytes))) ?? [];
    },
    /** The end state: exactly once each, journal and metadata agree, nothing else, nothing replaced. */
    async verify(foreign: Record<string, string> = {}): Promise<void> {
      await checkDeletions();
      t.same(violations, [], 'no local file was deleted before its bytes were stored');
      t.same(proxy.overwrites, [], 'no object was ever replaced');
      const byMd5 = await objectsByMd5();
      const expectedKeys: string[] = [];
      for (const r of tracked) {
        const keys = byMd5.get(r.md5) ?? [];
        t.equal(keys.length, 1, `${r.meta.id} stored exactly once (found under ${JSON.stringify(keys)})`);
        const key = keys[0] ?? '';
        expectedKeys.push(key);
        // The metadata rides on the object when it fits S3's 2 KB of user metadata; else in `<key>.json`.
        if (await objectBytes(direct, `${key}.json`)) expectedKeys.push(`${key}.json`);
        const entry = spool.journal.entries.get(r.meta.id);
        t.equal(entry?.state, 'stored', `${r.meta.id} journaled as stored`);
        t.equal(entry?.key, key, `${r.meta.id}: the journal names the key that holds its bytes`);
        const st = await direct.statObject(BUCKET, key);
        t.equal(st.size, r.bytes.length, `${key}: size`);
        t.equal((await storedMetadata(direct, key))?.id, r.meta.id, `${key}: its metadata (on the object or in its .json) names ${r.meta.id}`);
      }
      for (const [key, body] of Object.entries(foreign)) {
        t.equal((await objectBytes(direct, key))?.toString(), body, `${key}, another node's object, is intact`);
        expectedKeys.push(key);
      }
      t.same(await listKeys(direct), expectedKeys.sort(), 'no other object on the server');
    },
  };
}
