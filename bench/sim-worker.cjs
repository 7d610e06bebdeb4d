/*
 * The simulator in its own thread (the machine's other core), so the latency measured is the daemon's and
 * not the simulator's own event-building time. It places calls at a given rate and times, on its own
 * clock, CHANNEL_ANSWER written -> uuid_record received. Plain JS over dist/ (make bench builds first):
 * worker threads do not inherit the TypeScript loader.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { FreeswitchSimulator } = require('../dist/sim/simulator.js');

async function main() {
  const sim = new FreeswitchSimulator({ password: String(workerData.password) });
  const port = await sim.start();
  const answeredAt = new Map();
  const latencies = [];
  sim.on('command', (cmd) => {
    const m = /^uuid_record (\S+) start/.exec(cmd);
    const t = m ? answeredAt.get(m[1]) : undefined;
    if (t !== undefined) latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  });
  parentPort.postMessage({ port });
  parentPort.on('message', async (job) => {
    latencies.length = 0;
    const total = job.cps * job.seconds;
    const t0 = Date.now();
    const pending = [];
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / job.cps - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        (async () => {
          const call = await sim.createCall({ from: { number: '1000', device: '1000' }, to: '2000' });
          await call.answer();
          answeredAt.set(call.aUuid, process.hrtime.bigint());
          const deadline = Date.now() + 5000;
          while (sim.recordingsOf(call.aUuid).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
          await call.hangup('a');
          answeredAt.delete(call.aUuid);
        })(),
      );
    }
    await Promise.all(pending);
    parentPort.postMessage({ latencies });
  });
}

void main();
