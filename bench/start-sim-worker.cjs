/*
 * The simulator in its own thread for the audio-lost-at-start benchmark (bench/audio-lost.ts), so a slow
 * start is the daemon's and not the simulator starved by the daemon's event loop. It places bridged calls at
 * a given rate (ring, answer + bridge, talk, hang up) and reads, for each call, the simulator's timeline of
 * the file the daemon recorded: the audio lost at the start is firstSampleUs − answeredUs (− bridgedUs for a
 * recording that starts on bridge). Plain JS over dist/ (make bench builds first): worker threads do not
 * inherit the TypeScript loader.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const { FreeswitchSimulator } = require('../dist/sim/simulator.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Microseconds, not Date.now()'s milliseconds: an answer-time start is about a millisecond late. */
const clockUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
/** How long to wait, after the talk time, for a recording that has not started yet before giving up. */
const LATE_START_DEADLINE_MS = 5000;
/** The loop-delay histogram records whole timer intervals: this period is subtracted to leave the delay. */
const LOOP_SAMPLE_MS = 1;

async function main() {
  const sim = new FreeswitchSimulator({ password: String(workerData.password), clockUs });
  const port = await sim.start();
  /** Leg uuid -> the paths of the recordings started on it, from the uuid_record commands the daemon sends. */
  const pathsOfLeg = new Map();
  sim.on('command', (cmd) => {
    const m = /^uuid_record (\S+) start (\S+)/.exec(cmd);
    if (!m) return;
    const paths = pathsOfLeg.get(m[1]) ?? [];
    paths.push(m[2]);
    pathsOfLeg.set(m[1], paths);
  });
  parentPort.postMessage({ port });

  const recordedPaths = (call) => [...(pathsOfLeg.get(call.aUuid) ?? []), ...(call.bUuid ? pathsOfLeg.get(call.bUuid) ?? [] : [])];

  async function placeCall(job) {
    const { domain } = job;
    const call = await sim.createCall({
      from: { number: '1000', device: '1000', domain },
      to: '2000',
      bridgeTo: { number: '2000', device: '2000', domain },
    });
    const createdUs = sim.channel(call.aUuid)?.createdUs ?? 0;
    await sleep(job.ringMs);
    await call.answer();
    await sleep(job.talkMs);
    const deadline = Date.now() + LATE_START_DEADLINE_MS;
    while (recordedPaths(call).length === 0 && Date.now() < deadline) await sleep(2);
    await call.hangup('a');
    const path = recordedPaths(call)[0];
    pathsOfLeg.delete(call.aUuid);
    if (call.bUuid) pathsOfLeg.delete(call.bUuid);
    const t = path === undefined ? undefined : sim.recordingTimeline(path);
    if (!t || t.firstSampleUs === 0) return { timeline: false };
    const from = job.measureFrom === 'bridge' ? t.bridgedUs : t.answeredUs;
    return { timeline: true, gate: t.gate, lostUs: t.firstSampleUs - from, armedInTime: t.armedUs <= from, createToArmUs: t.armedUs - createdUs };
  }

  parentPort.on('message', async (job) => {
    // This thread's own event-loop delay: a starved simulator would answer and stamp late, too.
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    loopDelay.enable();
    const t0 = Date.now();
    const pending = [];
    for (let i = 0; i < job.calls; i++) {
      const wait = t0 + (i * 1000) / job.cps - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(placeCall(job));
    }
    const results = await Promise.all(pending);
    loopDelay.disable();
    const lostUs = [];
    const createToArmUs = [];
    const gates = {};
    let noTimeline = 0;
    let armedInTime = 0;
    for (const r of results) {
      if (!r.timeline) {
        noTimeline++;
        continue;
      }
      lostUs.push(r.lostUs);
      createToArmUs.push(r.createToArmUs);
      gates[r.gate] = (gates[r.gate] ?? 0) + 1;
      if (r.armedInTime) armedInTime++;
    }
    parentPort.postMessage({ calls: results.length, lostUs, createToArmUs, gates, noTimeline, armedInTime, loopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_SAMPLE_MS) });
  });
}

void main();
