/**
 * Headers of real FreeSWITCH 1.10.9 events (test/fixtures/freeswitch-esl), one entry per event kind, in
 * wire order with decoded values. The data is generated (`npx tsx scripts/extract-sim-templates.ts`) and
 * read from beside this file; `make build` copies it into dist/sim/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Pairs = ReadonlyArray<readonly [string, string]>;

function load(): Record<string, Pairs> {
  const raw = JSON.parse(readFileSync(join(__dirname, 'captured-frames.json'), 'utf8')) as Record<string, string[][]>;
  return Object.fromEntries(Object.entries(raw).map(([k, rows]) => [k, rows.map((row) => [row[0] ?? '', row[1] ?? ''] as const)]));
}

export const CAPTURED_EVENTS: Record<string, Pairs> = load();
