/**
 * The recording a file nobody journaled becomes when the scan adopts it (a dialplan recording, a file left
 * by a run that died before journaling it).
 */
import { createHash } from 'node:crypto';
import type { RecordingMeta } from '../model/recording';
import type { FoundFile } from './scan-decision';

/**
 * What can be told about a file nobody journaled: its path, its time. The id is the file's identity, so a
 * run that dies before the adoption is journaled adopts the same file under the same id again (and the
 * storage, finding that id's bytes already stored, stores nothing twice).
 */
export function adoptedMeta(file: FoundFile, rel: string, node = ''): RecordingMeta {
  const { path, mtimeMs } = file;
  const base = rel.split('/').pop() ?? rel;
  const identity = createHash('sha256').update(`${file.dev}:${file.ino}:${file.size}:${mtimeMs}:${path}`).digest('hex').slice(0, 24);
  return {
    id: `adopted-${identity}`,
    callUuid: (/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(base) ?? [''])[0],
    legUuid: '',
    path,
    relativePath: rel,
    format: base.includes('.') ? (base.split('.').pop() as string) : '',
    srcnum: '',
    dstnum: '',
    callerName: '',
    direction: 'inbound',
    network: 'internal',
    domain: '',
    tenantUuid: rel.includes('/') ? (rel.split('/')[0] as string) : '',
    node,
    reasons: ['adopted from spool_dir'],
    onDemand: false,
    startedAt: new Date(mtimeMs).toISOString(),
  };
}
