/**
 * Section 5 of `make bench` alone (CHANNEL_ANSWER -> uuid_record), for profiling and before/after runs:
 * `node --import tsx bench/latency-run.ts [cps...]` after a build (BENCH_LATENCY_SECONDS sets each rate's length;
 * BENCH_DAEMON_NODE_ARGS=--cpu-prof profiles the daemon process).
 */
import { measureAnswerToRecord, printAnswerLatency } from './latency';

async function main(): Promise<void> {
  const rates = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const seconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 3);
  printAnswerLatency(await measureAnswerToRecord(rates.length ? rates : [50, 200, 500], seconds));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
