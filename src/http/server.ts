/**
 * The daemon's HTTP listener (loopback by default): Prometheus metrics and a health check that says
 * whether FreeSWITCH is connected and the upload backlog is under control.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';

export interface Health {
  eslConnected: boolean;
  backlogFiles: number;
  oldestAgeSeconds: number;
}

export interface HttpOptions {
  listen: string;
  metrics: Metrics;
  health: () => Health;
  /** /healthz turns 503 when more files than this wait for storage. */
  maxBacklogFiles: number;
  log: Logger;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) throw new Error(`http.listen must be host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port: Number(m[3]) };
}

export async function startHttp(opts: HttpOptions): Promise<Server> {
  const { host, port } = parseListen(opts.listen);
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(opts.metrics.render());
      return;
    }
    if (url === '/healthz') {
      const h = opts.health();
      const reasons: string[] = [];
      if (!h.eslConnected) reasons.push('FreeSWITCH event socket not connected');
      if (h.backlogFiles > opts.maxBacklogFiles) reasons.push(`${h.backlogFiles} recordings waiting for storage (over ${opts.maxBacklogFiles})`);
      res.writeHead(reasons.length ? 503 : 200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: reasons.length === 0, reasons, ...h }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  opts.log.info('HTTP listener up', { listen: opts.listen, paths: ['/metrics', '/healthz'] });
  return server;
}
