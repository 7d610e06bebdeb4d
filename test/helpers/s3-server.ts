/** A real S3-compatible HTTP server (s3rver) on 127.0.0.1, for storage tests: not a mock of the client. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startShim } = require('./multipart-list-shim.cjs') as { startShim(port: number): Promise<Server & { multipartUploads: number }> };

export interface LocalS3 {
  /** Where clients connect: s3rver behind the multipart-list shim (see multipart-list-shim.cjs). */
  port: number;
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops and deletes the data. */
  remove(): Promise<void>;
  /** Multipart uploads clients initiated so far. */
  multipartUploads(): number;
}

export async function startS3(buckets: string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'fsrecd-s3-'));
  const make = (port: number): S3rver => new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  let server = make(0);
  const { port: s3rverPort } = await server.run();
  const shim = await startShim(s3rverPort);
  const addr = shim.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let running = true;
  return {
    port,
    multipartUploads: () => shim.multipartUploads,
    stop: async () => {
      if (running) await server.close();
      running = false;
    },
    remove: async () => {
      if (running) await server.close();
      running = false;
      shim.close();
      rmSync(directory, { recursive: true, force: true });
    },
    start: async () => {
      server = make(s3rverPort);
      await server.run();
      running = true;
    },
  };
}

