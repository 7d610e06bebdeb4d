/**
 * Issue #11 "Never lose a recording, proven": a model-based test of the spool. Each run drives the real Spool
 * (real files, real journal, the real LocalTarget or an in-memory S3-like store) through random interleavings
 * of FreeSWITCH activity, storage faults, crashes at durable points, restarts, scans, syncs and time, and checks
 * every step against a reference model (test/spool/model/). Every run prints its seed; MODEL_SEED=N replays
 * one run, MODEL_STEPS=N sets the steps (in total over the runs), MODEL_RUNS=N the number of runs.
 */
import t from 'tap';
import { randomInt } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { ModelFailure, ModelRun } from './model/run';

// 10,000 checked steps take 40-90 s on 2 busy cores; the per-file default (120 s) would be a coin toss on a slow CI machine.
t.setTimeout(300_000);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A tmpfs when there is one: fsync costs nothing there, so more steps fit in the CI budget. */
function scratchDir(): string | undefined {
  if (process.env.MODEL_TMP) return process.env.MODEL_TMP;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}

const fixedSeed = process.env.MODEL_SEED === undefined ? undefined : positive('MODEL_SEED', 1);
const runs = fixedSeed === undefined ? positive('MODEL_RUNS', 8) : 1;
const totalSteps = positive('MODEL_STEPS', fixedSeed === undefined ? 10_400 : 1_300);
const stepsPerRun = Math.ceil(totalSteps / runs);
const tmp = scratchDir();

for (let i = 0; i < runs; i++) {
  const seed = fixedSeed ?? randomInt(1, 2 ** 31 - 1);
  t.test(`spool model run ${i + 1}/${runs}`, async (t) => {
    t.comment(`seed=${seed}`);
    const run = new ModelRun({ seed, steps: stepsPerRun, tmp });
    t.teardown(() => run.close());
    try {
      const r = await run.run();
      t.comment(`seed=${seed} ${r.config}: ${r.steps} steps, ${r.recordings} recordings, ${r.stored} stored, ${r.crashes} crashes, ${r.restarts} starts, ${r.checks} checks, ${r.ms} ms`);
      t.equal(r.checks, r.steps, 'the world was checked against the model after every step');
      t.ok(r.recordings > 0 && r.stored > 0, 'the run made and stored recordings');
    } catch (err) {
      if (!(err instanceof ModelFailure)) throw err;
      for (const line of err.message.split('\n')) t.comment(line);
      t.fail(err.message.split('\n')[0] as string);
    }
  });
}
