/**
 * A separate fsrecd-like process that takes a cluster lock and keeps it until killed (postgres-lock.test.ts
 * SIGKILLs it: the lock must die with it). Config in FSRECD_PG_CONFIG (JSON), the lock's name in argv[2].
 */
import type { PostgresIndexConfig } from '../../src/config/types';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.FSRECD_PG_CONFIG ?? '') as PostgresIndexConfig;
  const index = await PostgresIndex.connect(cfg);
  const held = await index.clusterLock?.(process.argv[2] ?? 'lock').acquire();
  process.stdout.write(held ? 'held\n' : 'not held\n');
  // Kept alive until killed.
  setInterval(() => undefined, 60_000);
}

main().catch((err: unknown) => {
  process.stdout.write(`failed: ${(err as Error).message}\n`);
  process.exit(1);
});
