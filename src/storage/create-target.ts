/** Picks the storage target the configuration names. */
import type { StorageConfig } from '../config/types';
import type { Logger } from '../log';
import { LocalTarget } from './local-target';
import { S3Target } from './s3-target';
import type { RecordingStore } from './target';

export function createStorageTarget(cfg: StorageConfig, log: Logger): RecordingStore {
  return cfg.type === 'local' ? new LocalTarget(cfg.dir) : new S3Target(cfg, log);
}
