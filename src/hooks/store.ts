/**
 * The hooks journal, under state_dir/hooks/: one small JSON file per delivery (deliveries/<id>.json),
 * replaced atomically (temp, fsync, rename, fsync the directory) at each step like the recordings journal,
 * so a kill -9 leaves each delivery in its last completed state; and hooks.json, when each configured hook
 * was first seen (a restart recreates the deliveries a crash kept from being written, but only for
 * recordings stored since their hook exists: adding a hook does not send it the journal's past days).
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_FAULTS, type Faults } from '../durability/faults';
import { writeFileAtomic } from '../util/atomic-file';
import type { Delivery } from './delivery';

export function hooksDir(stateDir: string): string {
  return join(stateDir, 'hooks');
}

/** Reads every delivery file in a directory (the daemon at start; the CLI, read-only, at any time). */
export async function readDeliveries(dir: string, onCorrupt: (file: string, err: unknown) => void): Promise<Delivery[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const out: Delivery[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    try {
      const d = JSON.parse(await readFile(join(dir, name), 'utf8')) as Delivery;
      if (d && typeof d.id === 'string' && typeof d.hook === 'string' && typeof d.state === 'string' && d.recording && typeof d.recordingId === 'string') out.push(d);
      else onCorrupt(name, new Error('not a delivery'));
    } catch (err) {
      onCorrupt(name, err);
    }
  }
  return out;
}

export class DeliveryStore {
  readonly deliveries = new Map<string, Delivery>();
  /** Per delivery: the last write queued; each write takes the delivery's latest state when it runs. */
  readonly #writes = new Map<string, Promise<void>>();
  readonly dir: string;
  readonly #firstSeenPath: string;

  constructor(
    stateDir: string,
    private readonly faults: Faults = NO_FAULTS,
  ) {
    this.dir = join(hooksDir(stateDir), 'deliveries');
    this.#firstSeenPath = join(hooksDir(stateDir), 'hooks.json');
  }

  async load(onCorrupt: (file: string, err: unknown) => void): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    for (const d of await readDeliveries(this.dir, onCorrupt)) this.deliveries.set(d.id, d);
  }

  /** Records the delivery in memory at once; resolves when its latest state (or a later one) is on disk. */
  put(d: Delivery): Promise<void> {
    this.deliveries.set(d.id, d);
    const run = (this.#writes.get(d.id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const latest = this.deliveries.get(d.id);
        if (!latest) return;
        await writeFileAtomic(join(this.dir, `${d.id}.json`), JSON.stringify(latest), { faults: this.faults, writer: 'hooks' });
      });
    this.#writes.set(d.id, run);
    void run.finally(() => {
      if (this.#writes.get(d.id) === run) this.#writes.delete(d.id);
    }).catch(() => undefined);
    return run;
  }

  /** Forgets a delivered record whose recording the journal has forgotten too. */
  async remove(id: string): Promise<void> {
    await this.#writes.get(id)?.catch(() => undefined);
    this.faults.at('hooks.unlink');
    await unlink(join(this.dir, `${id}.json`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.deliveries.delete(id);
  }

  /** Each hook's first-seen time (ms), after recording the new ones and forgetting the removed ones. */
  async firstSeen(hooks: readonly string[], now: number): Promise<Map<string, number>> {
    let known: Record<string, string> = {};
    try {
      const parsed = JSON.parse(await readFile(this.#firstSeenPath, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) known = parsed as Record<string, string>;
    } catch {
      // Missing (first start) or torn: every hook counts from now, which sends nothing old.
    }
    const out = new Map<string, number>();
    for (const h of hooks) {
      const t = Date.parse(known[h] ?? '');
      out.set(h, Number.isFinite(t) ? t : now);
    }
    const next = Object.fromEntries([...out].map(([h, t]) => [h, new Date(t).toISOString()]));
    if (JSON.stringify(next) !== JSON.stringify(known)) await writeFileAtomic(this.#firstSeenPath, JSON.stringify(next), { faults: this.faults, writer: 'hooks' });
    return out;
  }
}
