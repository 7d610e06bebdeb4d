/** `make bench`: prints numbers, asserts nothing. Each section says what it measures and how. */
import { recordStream } from './event-stream';
import { measureAbsorption, measureLiveCallMemory } from './daemon-load';
import { measureAnswerToRecord, printAnswerLatency } from './latency';
import { measureDaemonMemory, printDaemonMemory } from './daemon-memory';
import { AUDIO_LOST_BENCH, AUDIO_LOST_HEADING, measureAudioLostAtStart, printAudioLost } from './audio-lost';
import { measureParsers } from './parsers';
import { measurePolicyNaming } from './policy-naming';
import { measureUploads, UPLOAD_RATIO_TARGET } from './upload';
import { measureIndexQueries, printIndexBench } from './index-query';

async function main(): Promise<void> {
  console.log('fsrecd benchmark (one Node.js process; the replayed stream is recorded from the simulator, whose events are as large as the captured FreeSWITCH 1.10.9 ones)\n');

  console.log('1. Uploads to a local S3-compatible server (s3rver, another process), concurrency 4 (MB/s; run first, so the peak RSS is the spool\'s and not the event streams\' below):');
  const met = (ratio: number | undefined): string => ((ratio ?? 0) >= UPLOAD_RATIO_TARGET ? 'met' : 'not met');
  for (const r of await measureUploads()) {
    if (r.error) console.log(`   ${r.label.padEnd(18)} not measured: ${r.error}`);
    else {
      console.log(`   ${r.label.padEnd(18)} spool (journal + put + verify) ${r.spoolMBps}; bare minio putObject loop ${r.bareMBps}; ratio ${r.ratio} (target >= ${UPLOAD_RATIO_TARGET}: ${met(r.ratio)}); peak RSS ${r.peakRssMb} MB (target < 150 MB)`);
      if (r.trustedRatio !== undefined) console.log(`   ${''.padEnd(18)} with storage.trust_if_none_match (no HEAD before each create): spool ${r.trustedMBps}; ratio ${r.trustedRatio} (target >= ${UPLOAD_RATIO_TARGET}: ${met(r.trustedRatio)})`);
    }
  }

  const stream = await recordStream(3000);
  const avg = Math.round(stream.bytes.length / stream.events);
  console.log(`\nstream: ${stream.calls} bridged calls, ${stream.events} events, ${(stream.bytes.length / 1e6).toFixed(1)} MB, ${avg} bytes/event on average`);

  console.log('\n2. ESL parsing, 64 KB chunks (events/s):');
  const parsers = measureParsers(stream.bytes);
  const ref = parsers[0]?.eventsPerSecond ?? 1;
  for (const p of parsers) console.log(`   ${p.name.padEnd(36)} ${String(p.eventsPerSecond).padStart(8)}  (${(p.eventsPerSecond / ref).toFixed(2)}x reference)`);

  console.log('\n3. Daemon absorbing the stream over loopback TCP (client + registry + decisions, no recording rules):');
  const abs = await measureAbsorption(stream);
  console.log(`   ${abs.eventsPerSecond} events/s (target >= 20000); ${abs.cpuMsPerCall.toFixed(3)} CPU ms per call (${Math.round(abs.events / stream.calls)} events per call)`);
  console.log(`   ratio to the bare splitter: ${(abs.eventsPerSecond / ref).toFixed(2)}`);

  console.log('\n4. Memory with 10,000 live calls (create, answer, bridge, no hangup):');
  const live = await recordStream(10_000, { hangup: false, events: 'ALL' });
  const mem = await measureLiveCallMemory(live);
  console.log(`   ${mem.liveCalls} live calls: ${(mem.bytesPerCall / 1024).toFixed(1)} KB heap per live call (target <= 50 KB); process RSS ${mem.rssMb} MB, most of it the recorded streams this benchmark holds in memory${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for exact heap numbers)'}`);
  console.log('   The daemon as its own process (dist/cli.js run, its RSS from /proc/<pid>/status; uploads to s3rver in a third process; calls from the simulator in a worker thread here):');
  printDaemonMemory(await measureDaemonMemory());

  console.log('\n5. CHANNEL_ANSWER stamped by the simulator -> uuid_record received by it (ms; the daemon as its own process logging at info, the simulator in a worker thread here, every call recorded and stored in a directory):');
  printAnswerLatency(await measureAnswerToRecord([50, 200, 500]));

  console.log(`\n6. ${AUDIO_LOST_HEADING}`);
  printAudioLost(await measureAudioLostAtStart(AUDIO_LOST_BENCH));

  console.log('\n7. Policy + naming per call (µs, median of 3 runs of 50,000 calls):');
  for (const r of measurePolicyNaming()) console.log(`   ${String(r.users).padStart(6)} users and devices: ${r.microsPerCall} µs`);

  const rows = Number(process.env.BENCH_INDEX_ROWS ?? 1_000_000);
  console.log(`\n8. Recordings index with ${rows.toLocaleString('en')} recordings (SQLite file reopened read-only, as the CLI does; 30 runs per query):`);
  printIndexBench(await measureIndexQueries(rows));

}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
