/** Stored recordings for the lifecycle tests: uploaded by the real spool (keep_local_days keeps the local copies), indexed from its journal. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { FsrecdConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { namingRenderChecks } from '../../src/naming/template-check';
import { entryFromJournal } from '../../src/recordings/entry-from';
import { RecordingIndex } from '../../src/recordings/index-db';
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

/** Stores each spec through the spool (keep_local_days 30: the local copies stay) and indexes it. */
export async function storedWorld(dir: string, store: RecordingStore, specs: Spec[]): Promise<World> {
  const spoolDir = join(dir, 'spool');
  const stateDir = join(dir, 'state');
  mkdirSync(join(spoolDir, 'rec'), { recursive: true });
  const index = RecordingIndex.open(join(stateDir, 'recordings.sqlite'));
  const spool = await Spool.open({
    stateDir,
    spoolDir,
    upload: { concurrency: 2, retryMinMs: 10, retryMaxMs: 10, keepLocalDays: 30, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 100 },
    target: store,
    log: silentLogger(),
    metrics: new Metrics(),
    onJournal: (e) => index.upsert(entryFromJournal(e)),
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
  for (const s of specs) if (index.get(s.id)?.state !== 'stored') throw new Error(`fixture: ${s.id} was not stored`);
  return { dir, spoolDir, stateDir, index, spool, metas };
}

export function localCopyExists(w: World, id: string): boolean {
  return existsSync((w.metas.get(id) as RecordingMeta).path);
}
