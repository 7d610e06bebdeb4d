/** A webhook receiver on 127.0.0.1 that checks signatures, and stored journal entries, for the hooks tests. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { CommandHookConfig, WebhookConfig } from '../../src/config/hooks';
import { Secret } from '../../src/config/secret';
import { verifySignature, type Verdict } from '../../src/hooks/signature';
import type { JournalEntry } from '../../src/spool/journal';

export const SECRET = 'test-hook-secret-0123456789abcdef';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** The signature checked as a receiver would, at arrival. */
  verdict: Verdict;
  /** What the receiver answered (undefined: it kept the request past the client's timeout). */
  status?: number;
}

/** How the receiver answers its n-th request (0-based): a status, after an optional delay. */
export type Behaviour = (n: number, body: string) => { status: number; delayMs?: number };

export class Receiver {
  readonly received: Received[] = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** On `port` (0: any free one). */
  static async start(behaviour: Behaviour, port = 0): Promise<Receiver> {
    const holder: { r?: Receiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const rec: Received = { headers: req.headers, body, verdict: verifySignature(req.headers['x-fsrecd-signature'] as string | undefined, body, SECRET, Date.now() / 1000) };
        const r = holder.r as Receiver;
        const n = r.received.length;
        r.received.push(rec);
        const { status, delayMs } = behaviour(n, body);
        const answer = (): void => {
          if (res.destroyed) return;
          rec.status = status;
          res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : `no: ${status}`);
        };
        if (delayMs) setTimeout(answer, delayMs).unref();
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const addr = server.address();
    const r = new Receiver(server, typeof addr === 'object' && addr ? addr.port : 0);
    holder.r = r;
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The delivery ids of the requests answered 2xx. */
  delivered(): string[] {
    return this.received.filter((x) => x.status !== undefined && x.status < 300).map((x) => String(x.headers['x-fsrecd-delivery']));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function webhook(name: string, url: string, more: Partial<WebhookConfig> = {}): WebhookConfig {
  return { kind: 'url', name, url, secret: new Secret(SECRET, 'test'), events: ['stored'], timeoutMs: 2000, concurrency: 2, retryMinMs: 20, retryMaxMs: 100, maxAgeMs: 60_000, ...more };
}

export function commandHook(name: string, argv: string[], more: Partial<CommandHookConfig> = {}): CommandHookConfig {
  return { kind: 'command', name, argv, events: ['stored'], timeoutMs: 5000, concurrency: 2, retryMinMs: 20, retryMaxMs: 100, maxAgeMs: 60_000, ...more };
}

/** A recording the journal says is stored (as the spool's `stored` hands it to the hooks). */
export function storedEntry(id: string, tenant = 'acme'): JournalEntry {
  return {
    id,
    state: 'stored',
    key: `acme/2026/${id}.wav`,
    attempts: 1,
    size: 48_044,
    md5: '0123456789abcdef0123456789abcdef',
    updatedAt: new Date().toISOString(),
    meta: {
      id,
      callUuid: `call-${id}`,
      legUuid: `leg-${id}`,
      path: `/var/spool/fsrecd/${id}.wav`,
      relativePath: `${id}.wav`,
      format: 'wav',
      srcnum: '1000',
      dstnum: '1001',
      callerName: 'Alice',
      direction: 'outbound',
      network: 'internal',
      user: 'alice',
      device: '1000',
      domain: 'acme.example',
      tenantUuid: tenant,
      node: 'pbx1',
      reasons: ['user alice outbound×internal on'],
      onDemand: false,
      startedAt: '2026-11-24T10:00:00.000Z',
      conversationId: `call-${id}`,
      segment: 1,
      parties: [{ role: 'caller', number: '1000', name: 'Alice', user: 'alice' }, { role: 'callee', number: '1001' }],
    },
    result: { endedAt: '2026-11-24T10:01:00.000Z', durationMs: 60_000, completionCause: 'success' },
  };
}
