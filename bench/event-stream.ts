/** Records what the simulator sends for N bridged calls, as raw ESL bytes, to replay at full speed. */
import { connect } from 'node:net';
import { FreeswitchSimulator } from '../src/sim/simulator';

export interface RecordedStream {
  bytes: Buffer;
  events: number;
  calls: number;
}

export async function recordStream(calls: number, opts: { hangup: boolean; events: string } = { hangup: true, events: 'ALL' }): Promise<RecordedStream> {
  // No HEARTBEAT: recording 10,000 calls takes longer than its 20 s period, and a replayed stream holds calls only.
  const sim = new FreeswitchSimulator({ heartbeatMs: 0 });
  const port = await sim.start();
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(`auth ClueCon\n\nevent plain ${opts.events}\n\n`);
  while (sim.connectionCount === 0 || !Buffer.concat(chunks).toString().includes('listener enabled')) await new Promise((r) => setTimeout(r, 5));
  const handshake = Buffer.concat(chunks).length;
  for (let i = 0; i < calls; i++) {
    const n = String(10000 + (i % 5000));
    const call = await sim.createCall({ from: { number: n, device: n, domain: 'bench.example' }, to: '2000', bridgeTo: { number: '2000', device: '2000', domain: 'bench.example' } });
    await call.answer();
    await call.dtmf('a', '1');
    if (opts.hangup) await call.hangup('a');
  }
  await new Promise((r) => setTimeout(r, 200));
  socket.destroy();
  await sim.stop();
  const bytes = Buffer.concat(chunks).subarray(handshake);
  return { bytes, events: countEvents(bytes), calls };
}

/** Counted in the Buffer: 10,000 live calls' events are more than the longest string V8 can make (512 MB). */
function countEvents(bytes: Buffer): number {
  const marker = Buffer.from('Content-Type: text/event-plain');
  let n = 0;
  for (let i = bytes.indexOf(marker); i >= 0; i = bytes.indexOf(marker, i + marker.length)) n++;
  return n;
}
