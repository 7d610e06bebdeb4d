/**
 * A TCP relay in front of a server on 127.0.0.1 (the tests put it before PostgreSQL): an outage made for
 * real, on one port. `cut` ends every relayed connection and stops listening (new connections are refused);
 * `up` listens again on the same port. `hold` stops passing what clients send, so a statement a client has
 * sent is still unanswered when the relay is cut: the connection is lost in the middle of it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** How `cut` ends the relayed connections: a reset (RST, as a network fault) or a close (FIN, as a server that went). */
export type CutKind = 'reset' | 'close';

export class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #holding = false;
  /** Bytes clients sent while the relay was holding (not passed on). */
  heldBytes = 0;
  /** 0 until the first `up`, then the port `up` listens on again after a cut. */
  port = 0;
  constructor(private readonly target: number) {}

  async up(): Promise<void> {
    this.#holding = false;
    this.heldBytes = 0;
    const server = createServer((inbound) => {
      const out = connect(this.target, '127.0.0.1');
      for (const s of [inbound, out]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      inbound.on('data', (chunk: Buffer) => {
        if (this.#holding) this.heldBytes += chunk.length;
        else out.write(chunk);
      });
      out.pipe(inbound);
      inbound.on('end', () => out.end());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** From now on what clients send is kept back (counted in heldBytes) until the cut. */
  hold(): void {
    this.#holding = true;
  }

  async cut(kind: CutKind = 'close'): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) {
      if (kind === 'reset') s.resetAndDestroy();
      else s.destroy();
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
