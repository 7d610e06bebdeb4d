/** Recordings, S3 targets and a direct S3 client for the storage tests (all on 127.0.0.1). */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { Secret } from '../../src/config/secret';
import type { S3StorageConfig } from '../../src/config/types';
import { silentLogger } from '../../src/log';
import type { RecordingMeta } from '../../src/model/recording';
import { parseMetadataHeader } from '../../src/storage/object-metadata';
import { S3Target } from '../../src/storage/s3-target';

export const BUCKET = 'recordings';

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function s3Config(port: number): S3StorageConfig {
  return { type: 's3', endpoint: '127.0.0.1', port, useSsl: false, region: 'us-east-1', bucket: BUCKET, createBucket: false, pathStyle: true, accessKey: new Secret('S3RVER', 'test'), secretKey: new Secret('S3RVER', 'test') };
}

export function s3Target(port: number): S3Target {
  return new S3Target(s3Config(port), silentLogger());
}

/** A client that talks to the server itself, past any proxy: what is really stored. */
export function directClient(port: number): Client {
  return new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
}

export async function objectBytes(client: Client, key: string, bucket = BUCKET): Promise<Buffer | undefined> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of await client.getObject(bucket, key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } catch {
    return undefined;
  }
}

/**
 * The metadata stored with `key`: its `<key>.json` where there is one, else what the object carries
 * (x-amz-meta-fsrecd-meta); undefined when neither is there.
 */
export async function storedMetadata(client: Client, key: string, bucket = BUCKET): Promise<Record<string, unknown> | undefined> {
  const json = await objectBytes(client, `${key}.json`, bucket);
  if (json) return JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  const st = await client.statObject(bucket, key).catch(() => undefined);
  return parseMetadataHeader(st?.metaData['fsrecd-meta']) as Record<string, unknown> | undefined;
}

export async function listKeys(client: Client): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of client.listObjectsV2(BUCKET, '', true)) keys.push((o as { name: string }).name);
  return keys.sort();
}

export function tempDir(t: { teardown(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The FreeSWITCH node (FreeSWITCH-Hostname) the fixtures' recordings come from. */
export const FIXTURE_NODE = 'pbx1';

/** Where a fixture recording is stored without storage.key_template: its node, then its relative path. */
export function defaultKeyOf(relativePath: string): string {
  return `${FIXTURE_NODE}/${relativePath}`;
}

export function recordingMeta(dir: string, id: string, relativePath: string): RecordingMeta {
  return { id, callUuid: `call-${id}`, legUuid: `leg-${id}`, path: join(dir, `${id}.wav`), relativePath, format: 'wav', srcnum: '1001', dstnum: '1002', callerName: 'x', direction: 'inbound', network: 'internal', domain: 'acme.example', tenantUuid: 'acme', node: FIXTURE_NODE, reasons: ['test'], onDemand: false, startedAt: '2026-11-24T10:00:00.000Z' };
}

/** A finished recording on disk with these bytes. */
export function writeRecording(dir: string, id: string, relativePath: string, bytes: Buffer | string): RecordingMeta {
  const m = recordingMeta(dir, id, relativePath);
  writeFileSync(m.path, bytes);
  return m;
}
