/**
 * The recordings index at scale: fills an index with N synthetic recordings (1,000,000 by default) shaped
 * like a real multi-tenant PBX's year, then times the queries the CLI and the web page make. Which index is
 * a BenchIndexTarget (SQLite's file by default), so another engine is measured by the same code.
 */
import type { IndexEngine, RecordingIndex } from '../src/recordings/index-store';
import { sqliteBenchTarget, type BenchIndexTarget } from './index-targets';
import type { RecordingEntry, RecordingQuery } from '../src/recordings/types';

export interface IndexBench {
  engine: IndexEngine;
  rows: number;
  insertPerSecond: number;
  sizeMb: number;
  queries: { label: string; rows: number; p50: number; p99: number; max: number }[];
  rssMb: number;
}

const DAY = 86_400_000;
const YEAR_START = Date.UTC(2025, 10, 24);

/** Deterministic pseudo-random numbers, so two runs query the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function* synthetic(n: number): Generator<RecordingEntry> {
  const r = rng(42);
  for (let i = 0; i < n; i++) {
    // A few big tenants and a long tail: tenant-0 has about a third of all recordings.
    const tenant = `tenant-${Math.floor(50 * r() ** 3)}`;
    const user = String(1000 + Math.floor(r() * 5000));
    const inbound = r() < 0.5;
    const external = r() < 0.6;
    const outside = `+1${String(2000000000 + Math.floor(r() * 7999999999)).slice(0, 10)}`;
    const other = external ? outside : String(1000 + Math.floor(r() * 5000));
    const t = r();
    const trigger = t < 0.05 ? 'on-demand' : t < 0.06 ? 'adopted' : 'rule';
    const s = r();
    const state = s < 0.97 ? 'stored' : s < 0.99 ? 'discarded' : s < 0.998 ? 'finished' : 'failed';
    const startedMs = YEAR_START + Math.floor((i / n) * 365 * DAY);
    const key = `${tenant}/${new Date(startedMs).toISOString().replace(/:/g, '_')}-${inbound ? other : user}-${inbound ? user : other}.wav`;
    yield {
      id: `${i.toString(16).padStart(8, '0')}-5f0e-4b1a-9c3d-${(i * 7919).toString(16).padStart(12, '0').slice(-12)}-1`,
      callUuid: `${i.toString(16).padStart(8, '0')}-5f0e-4b1a-9c3d-000000000000`,
      legUuid: '',
      startedAt: new Date(startedMs).toISOString(),
      endedAt: new Date(startedMs + 95_000).toISOString(),
      durationMs: Math.floor(r() * 600_000),
      state,
      direction: inbound ? 'inbound' : 'outbound',
      network: external ? 'external' : 'internal',
      srcnum: inbound ? other : user,
      dstnum: inbound ? user : other,
      callerName: inbound && external ? 'WIRELESS CALLER' : `User ${user}`,
      user,
      device: `${user}-desk`,
      domain: `${tenant}.example`,
      tenant,
      node: i % 2 ? 'pbx-a' : 'pbx-b',
      reasons: trigger === 'on-demand' ? [`*3 on-demand by ${user}`] : [`account ${tenant} ${inbound ? 'inbound' : 'outbound'}×${external ? 'external' : 'internal'} on`],
      trigger,
      format: 'wav',
      key,
      size: 1_600_000,
      md5: '0123456789abcdef0123456789abcdef',
      source: 'journal',
    } as RecordingEntry;
  }
}

async function time(index: RecordingIndex, q: RecordingQuery, runs: number): Promise<{ rows: number; p50: number; p99: number; max: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    rows = (await index.query(q)).recordings.length;
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number;
  return { rows, p50: at(0.5), p99: at(0.99), max: ms[ms.length - 1] as number };
}

export async function measureIndexQueries(n: number, runs = 200, target: BenchIndexTarget = sqliteBenchTarget()): Promise<IndexBench> {
  try {
    let index = await target.open();
    const t0 = Date.now();
    const batch: RecordingEntry[] = [];
    for (const e of synthetic(n)) {
      batch.push(e);
      if (batch.length === 10_000) await index.upsertMany(batch.splice(0));
    }
    await index.upsertMany(batch.splice(0));
    await index.optimize();
    const insertPerSecond = Math.round(n / ((Date.now() - t0) / 1000));
    await index.close();
    // Opened again as `fsrecd recordings list` would, so nothing is warm but the OS page cache.
    index = await target.reopen();
    const sample = (await index.query({ limit: 1, fromMs: YEAR_START + 200 * DAY })).recordings[0] as RecordingEntry;
    const deep = await index.query({ limit: 1000, fromMs: YEAR_START + 100 * DAY, toMs: YEAR_START + 101 * DAY });
    const day = YEAR_START + 180 * DAY;
    const cases: [string, RecordingQuery][] = [
      ['newest 50, no filter', { limit: 50 }],
      ['one day', { limit: 50, fromMs: day, toMs: day + DAY }],
      ['inbound external', { limit: 50, direction: 'inbound', network: 'external' }],
      ['big tenant', { limit: 50, tenant: 'tenant-0' }],
      ['small tenant, on-demand', { limit: 50, tenant: 'tenant-49', trigger: 'on-demand' }],
      ['one user', { limit: 50, user: sample.user }],
      ['one device, one month', { limit: 50, device: sample.device, fromMs: day, toMs: day + 30 * DAY }],
      ['search: a full number', { limit: 50, text: sample.srcnum.startsWith('+') ? sample.srcnum : sample.dstnum }],
      ['search: 4 digits (common)', { limit: 50, text: '5550' }],
      ['search: no match', { limit: 50, text: 'zzzqx' }],
      ['search: 2 characters', { limit: 50, text: '77' }],
      ['search: caller name', { limit: 50, text: 'wireless' }],
      ['reason contains "*3"', { limit: 50, reason: '*3' }],
      ['rare combination (failed on-demand internal inbound)', { limit: 50, state: 'failed', trigger: 'on-demand', network: 'internal', direction: 'inbound' }],
      ['page after 1,000 rows (cursor)', { limit: 50, before: deep.next ?? undefined }],
      ['one node', { limit: 50, node: 'pbx-b' }],
      ['one node, big tenant', { limit: 50, node: 'pbx-a', tenant: 'tenant-0' }],
    ];
    const queries: IndexBench['queries'] = [];
    // One case after another: timings of queries running at once would measure each other.
    for (const [label, q] of cases) queries.push({ label, ...(await time(index, q, runs)) });
    await index.close();
    return { engine: target.engine, rows: n, insertPerSecond, sizeMb: await target.sizeMb(), queries, rssMb: Math.round(process.memoryUsage().rss / 1e6) };
  } finally {
    await target.remove();
  }
}

/** #16's target: every query's p99 under this, on PostgreSQL as on SQLite. */
export const QUERY_P99_TARGET_MS = 10;

// `make bench-index`: both engines at BENCH_INDEX_ROWS (1,000,000), BENCH_INDEX_ENGINES=sqlite,postgres.
if (require.main === module) {
  const n = Number(process.env.BENCH_INDEX_ROWS ?? 1_000_000);
  const engines = (process.env.BENCH_INDEX_ENGINES ?? 'sqlite,postgres').split(',');
  void (async () => {
    for (const engine of engines) {
      // Loaded only when measured: the PostgreSQL target starts a throw-away server.
      const target = engine === 'postgres' ? await (await import('./index-postgres')).postgresBenchTarget() : sqliteBenchTarget();
      printIndexBench(await measureIndexQueries(n, 200, target));
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

export function printIndexBench(b: IndexBench): void {
  console.log(`   ${b.rows.toLocaleString('en')} recordings indexed (${b.engine}) at ${b.insertPerSecond.toLocaleString('en')}/s; ${b.engine === 'sqlite' ? 'file' : 'database'} ${b.sizeMb} MB; process RSS ${b.rssMb} MB`);
  console.log('   query (newest first, page of 50)                        rows    p50 ms   p99 ms   max ms');
  for (const q of b.queries) console.log(`   ${q.label.padEnd(56)} ${String(q.rows).padStart(4)} ${q.p50.toFixed(2).padStart(9)} ${q.p99.toFixed(2).padStart(8)} ${q.max.toFixed(2).padStart(8)}`);
  const over = b.queries.filter((q) => q.p99 >= QUERY_P99_TARGET_MS);
  console.log(`   target: every query p99 < ${QUERY_P99_TARGET_MS} ms on ${b.engine}: ${over.length === 0 ? 'met' : `NOT met (${over.map((q) => `${q.label} ${q.p99.toFixed(1)} ms`).join('; ')})`}`);
}
