/**
 * `fsrecd hooks retry` asks; the daemon acts. The daemon is the only writer of the deliveries, so the
 * command leaves a request file in state_dir/hooks/retry/ and the daemon applies it within a second (or at
 * its next start) and removes it. A request names delivery or recording ids, a hook, or both.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_FAULTS, type Faults } from '../durability/faults';
import { writeFileAtomic } from '../util/atomic-file';
import type { Delivery } from './delivery';
import { hooksDir } from './store';

export interface RetryRequest {
  /** Delivery ids or recording ids; absent = every failed delivery (of `hook`, when given). */
  ids?: string[];
  hook?: string;
}

export function retryDir(stateDir: string): string {
  return join(hooksDir(stateDir), 'retry');
}

/** Writes a request; returns its file (gone once the daemon has applied it). */
export async function requestRetry(stateDir: string, req: RetryRequest): Promise<string> {
  const dir = retryDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, `${Date.now()}-${randomBytes(4).toString('hex')}.json`);
  await writeFileAtomic(file, JSON.stringify(req), { faults: NO_FAULTS, writer: 'hooks' });
  return file;
}

/** The deliveries a request applies to: failed ones, and pending ones it names by id (try them now). */
export function matchRetry(deliveries: Iterable<Delivery>, req: RetryRequest): Delivery[] {
  const ids = req.ids === undefined ? undefined : new Set(req.ids);
  return [...deliveries].filter((d) => {
    if (d.state === 'delivered' || (req.hook !== undefined && d.hook !== req.hook)) return false;
    if (ids) return ids.has(d.id) || ids.has(d.recordingId);
    return d.state === 'failed';
  });
}

export interface PendingRequest {
  file: string;
  request: RetryRequest | undefined;
}

export async function readRetryRequests(stateDir: string): Promise<PendingRequest[]> {
  const dir = retryDir(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: PendingRequest[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const file = join(dir, name);
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as RetryRequest;
      const okIds = v.ids === undefined || (Array.isArray(v.ids) && v.ids.every((x) => typeof x === 'string'));
      out.push({ file, request: v && typeof v === 'object' && okIds && (v.hook === undefined || typeof v.hook === 'string') ? v : undefined });
    } catch {
      out.push({ file, request: undefined });
    }
  }
  return out;
}

export async function removeRetryRequest(file: string, faults: Faults): Promise<void> {
  faults.at('hooks.unlink');
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
