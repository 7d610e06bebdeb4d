/**
 * Helpers for the call-flow tests: a simulator, and a raw ESL client on its TCP port that collects every event.
 */
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EslEvent } from '../../src/esl/types';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { eventsOf, parseAll } from '../helpers/frames';
import { waitFor } from '../helpers/wait-for';

export interface Listener {
  readonly socket: Socket;
  events(): EslEvent[];
  text(): string;
  /** Sends `api <cmd>` and resolves to the reply body. */
  api(cmd: string): Promise<string>;
}

/** An authenticated connection that sent `subscribe` (e.g. `event plain ALL`). */
export async function listen(t: Test, sim: FreeswitchSimulator, subscribe: string): Promise<Listener> {
  const socket = connect(sim.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  t.teardown(() => socket.destroy());
  const text = (): string => Buffer.concat(chunks).toString();
  socket.write(`auth ClueCon\n\n${subscribe}\n\n`);
  await waitFor(() => /Reply-Text: [+-](OK event|ERR)/.test(text()), 'subscribed');
  const frames = (): ReturnType<typeof parseAll>['frames'] => parseAll([Buffer.concat(chunks)]).frames;
  return {
    socket,
    text,
    events: () => eventsOf(frames()),
    api: async (cmd) => {
      const before = frames().filter((f) => f.headers.get('Content-Type') === 'api/response').length;
      socket.write(`api ${cmd}\n\n`);
      await waitFor(() => frames().filter((f) => f.headers.get('Content-Type') === 'api/response').length > before, `reply to ${cmd}`);
      return frames().filter((f) => f.headers.get('Content-Type') === 'api/response')[before]?.body.toString() ?? '';
    },
  };
}

export async function startSim(t: Test): Promise<{ sim: FreeswitchSimulator; dir: string }> {
  const sim = new FreeswitchSimulator({ heartbeatMs: 0 });
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-flow-'));
  t.teardown(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sim, dir };
}
