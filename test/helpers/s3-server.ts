/** A real S3-compatible HTTP server (s3rver) on 127.0.0.1, for storage tests: not a mock of the client. */
import S3rver from 's3rver';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalS3 {
  port: number;
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops and deletes the data. */
  remove(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'fsrecd-s3-'));
  const make = (port: number): S3rver => new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  let server = make(0);
  const { port } = await server.run();
  let running = true;
  return {
    port,
    stop: async () => {
      if (running) await server.close();
      running = false;
    },
    remove: async () => {
      if (running) await server.close();
      running = false;
      rmSync(directory, { recursive: true, force: true });
    },
    start: async () => {
      server = make(port);
      await server.run();
      running = true;
    },
  };
}

