/*
 * The simulator in its own thread (the machine's other core), so what is measured is the daemon and not
 * the simulator's own event-building time. Jobs (messages from the benchmark):
 * - {kind: 'latency', cps, seconds}: places calls at that rate and times, on its own clock, CHANNEL_ANSWER
 *   written -> uuid_record received; each call hangs up once recorded. Replies {latencies, unrecorded}.
 * - {kind: 'hold', calls, cps}: places that many calls (answered, never hung up) and replies {placed,
 *   recorded} once each has its uuid_record (or 60 s after the last was placed).
 * Plain JS over dist/ (make bench builds first): worker threads do not inherit the TypeScript loader.
 */
/* global clearTimeout */
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { FreeswitchSimulator } = require('../dist/sim/simulator.js');

/** Microseconds: the simulator stamps each channel's answer with it (answeredUs) just before it writes the event. */
const clockUs = () => (performance.timeOrigin + performance.now()) * 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const sim = new FreeswitchSimulator({ password: String(workerData.password), clockUs });
  const port = await sim.start();
  /** a-legs of the latency job whose uuid_record is still awaited. */
  const timed = new Set();
  const latencies = [];
  /** a-leg uuid -> resolve, for calls waiting for their uuid_record. */
  const waiting = new Map();
  const held = [];
  sim.on('command', (cmd) => {
    const m = /^uuid_record (\S+) start/.exec(cmd);
    if (!m) return;
    const answeredUs = timed.has(m[1]) ? sim.channel(m[1])?.answeredUs : undefined;
    if (answeredUs) latencies.push((clockUs() - answeredUs) / 1000);
    timed.delete(m[1]);
    waiting.get(m[1])?.();
  });
  parentPort.postMessage({ port });

  /** Resolves true when the a-leg's uuid_record arrives, false after timeoutMs. */
  const recorded = (uuid, timeoutMs) =>
    new Promise((resolve) => {
      if (sim.recordingsOf(uuid).length > 0) return resolve(true);
      const timer = setTimeout(() => {
        waiting.delete(uuid);
        resolve(false);
      }, timeoutMs);
      waiting.set(uuid, () => {
        clearTimeout(timer);
        waiting.delete(uuid);
        resolve(true);
      });
    });

  async function paced(total, cps, place) {
    const t0 = Date.now();
    const pending = [];
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / cps - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(place());
    }
    return Promise.all(pending);
  }

  async function latency(job) {
    latencies.length = 0;
    const results = await paced(job.cps * job.seconds, job.cps, async () => {
      const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '2000' });
      const got = recorded(call.aUuid, 5000);
      timed.add(call.aUuid);
      await call.answer();
      const ok = await got;
      timed.delete(call.aUuid);
      await call.hangup('a');
      return ok;
    });
    return { latencies: [...latencies], unrecorded: results.filter((ok) => !ok).length };
  }

  async function hold(job) {
    const results = await paced(job.calls, job.cps, async () => {
      const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '2000', bridgeTo: { number: '2000', device: '2000' } });
      held.push(call);
      const got = recorded(call.aUuid, 60_000);
      await call.answer();
      return got;
    });
    return { placed: results.length, recorded: results.filter(Boolean).length };
  }

  parentPort.on('message', async (job) => {
    parentPort.postMessage(job.kind === 'hold' ? await hold(job) : await latency(job));
  });
}

void main();
