/**
 * Stored recordings for the lifecycle tests: uploaded by the real spool (keep_local_days keeps the local
 * copies), indexed from its journal as the daemon does (follow). The index is the caller's (either engine,
 * test/recordings/engines.ts), or by default the SQLite file in state_dir, where the CLI finds it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { FsrecdConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { namingRenderChecks } from '../../src/naming/template-check';
import { entryFromJournal } from '../../src/recordings/entry-from';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { RecordingIndex } from '../../src/recordings/index-store';
import { indexPath } from '../../src/recordings/open-index';
import { Spool } from '../../src/spool/spool';
import type { RecordingStore } from '../../src/storage/target';

export const NOW = Date.parse('2026-11-27T12:00:00Z');
export const DAY = 86_400_000;

export interface Spec {
  id: string;
  tenant?: string;
  domain?: string;
  user?: string;
  queue?: string;
  /** Days before NOW the recording started (it lasts a minute). */
  ageDays: number;
  bytes?: number;
}

export interface World {
  dir: string;
  spoolDir: string;
  stateDir: string;
  index: RecordingIndex;
  spool: Spool;
  metas: Map<string, RecordingMeta>;
  /** The object key each recording was stored under (the key scheme is the naming's, not the tests'). */
  keys: Map<string, string>;
}

export const RETENTION_YAML = `
retention: {default_days: 30, interval: 1h, batch: 100}
accounts:
  acme.example:
    tenant_uuid: acme
    retention_days: 10
    users:
      alice: {retention_days: 400}
    queues:
      support: {retention_days: 5}
`;

export async function configWith(dir: string, storageYaml: string, extra = RETENTION_YAML): Promise<FsrecdConfig> {
  const file = join(dir, 'fsrecd.yml');
  writeFileSync(file, `spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: ${storageYaml}\n${extra}`);
  const loaded = await loadConfig(file, {}, namingRenderChecks);
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  return loaded.config;
}

/**
 * Stores each spec through the spool (keep_local_days 30: the local copies stay) and indexes it in `given`
 * (default: state_dir's SQLite file). The caller closes world.index.
 */
export async function storedWorld(dir: string, store: RecordingStore, specs: Spec[], given?: RecordingIndex): Promise<World> {
  const spoolDir = join(dir, 'spool');
  const stateDir = join(dir, 'state');
  mkdirSync(join(spoolDir, 'rec'), { recursive: true });
  const index = given ?? SqliteIndex.open(indexPath(stateDir));
  const spool = await Spool.open({
    stateDir,
    spoolDir,
    upload: { concurrency: 2, retryMinMs: 10, retryMaxMs: 10, keepLocalDays: 30, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 100 },
    target: store,
    log: silentLogger(),
    metrics: new Metrics(),
    onJournal: (e) => index.follow(e.id, () => entryFromJournal(e)),
  });
  const metas = new Map<string, RecordingMeta>();
  for (const s of specs) {
    const path = join(spoolDir, 'rec', `${s.id}.wav`);
    writeFileSync(path, Buffer.alloc(s.bytes ?? 1000, 7));
    const startedAt = new Date(NOW - s.ageDays * DAY).toISOString();
    const meta: RecordingMeta = { id: s.id, callUuid: `call-${s.id}`, legUuid: `leg-${s.id}`, path, relativePath: `rec/${s.id}.wav`, format: 'wav', srcnum: '1001', dstnum: '1002', callerName: 'x', direction: 'inbound', network: 'internal', user: s.user, domain: s.domain ?? 'acme.example', tenantUuid: s.tenant ?? 'acme', node: 'pbx1', reasons: ['test'], onDemand: false, startedAt, queue: s.queue };
    await spool.started(meta);
    await spool.finished(meta, { endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(), durationMs: 60_000, completionCause: 'success' });
    metas.set(s.id, meta);
  }
  await spool.drain();
  const keys = new Map<string, string>();
  for (const s of specs) {
    const e = await index.get(s.id);
    if (e?.state !== 'stored') throw new Error(`fixture: ${s.id} was not stored`);
    keys.set(s.id, e.key);
  }
  return { dir, spoolDir, stateDir, index, spool, metas, keys };
}

/** The object key of a recording of the world. */
export function keyOf(w: World, id: string): string {
  const key = w.keys.get(id);
  if (key === undefined) throw new Error(`fixture: no recording ${id}`);
  return key;
}

export function localCopyExists(w: World, id: string): boolean {
  return existsSync((w.metas.get(id) as RecordingMeta).path);
}
