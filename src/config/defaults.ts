/**
 * Every default in one place: an empty YAML file gives exactly this (a development default: loopback
 * FreeSWITCH with its stock password, spool and state under /var, local storage).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret } from './secret';
import type { AccountConfig, FsrecdConfig, RecordMatrix, RecordingOptions } from './types';

/** templates/ at the package root, from src/config and from dist/config alike. */
export const TEMPLATES_DIR = join(__dirname, '../../templates');

function template(name: string, fallback: string): string {
  try {
    return readFileSync(join(TEMPLATES_DIR, name), 'utf8').trim();
  } catch {
    return fallback;
  }
}

export function emptyMatrix(): RecordMatrix {
  return { inbound: {}, outbound: {} };
}

export function defaultRecordingOptions(): RecordingOptions {
  return { format: 'wav', minSeconds: 0, maxSeconds: 0, stereo: true, startOn: 'answer', followTransfer: true, perEndpointFiles: false };
}

export function emptyAccount(domain: string): AccountConfig {
  return {
    domain,
    tenantUuid: domain,
    recordAccount: emptyMatrix(),
    recordAllUsers: emptyMatrix(),
    onlineCallRecordEnabled: true,
    toggleEnabled: true,
    options: {},
    users: new Map(),
    devices: new Map(),
    queues: new Map(),
    agents: new Map(),
  };
}

export function defaultConfig(): FsrecdConfig {
  const spoolDir = '/var/spool/fsrecd';
  return {
    sources: [],
    esl: {
      host: '127.0.0.1',
      port: 8021,
      password: new Secret('ClueCon', 'default'),
      connectTimeoutMs: 5000,
      apiTimeoutMs: 5000,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
      heartbeatTimeoutMs: 60_000,
    },
    spoolDir,
    stateDir: '/var/lib/fsrecd',
    allowedDirs: [],
    log: { level: 'info' },
    http: { listen: '127.0.0.1:9380', urlExpirySeconds: 3600, metricsWithoutAuth: false },
    naming: {
      filenameTemplate: template('filename.njk', '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}'),
      filenameExtension: 'wav',
      onDemandFilenameTemplate: template('on-demand.njk', 'auto-{{ timestamp }}-{{ name }}'),
    },
    network: { externalContexts: ['public'], externalNumberPatterns: [] },
    recording: defaultRecordingOptions(),
    accounts: new Map(),
    defaultAccount: emptyAccount('default'),
    features: {
      toggle: {
        enabled: true,
        code: '*26',
        unknownUser: 'create',
        confirmOn: 'tone_stream://%(200,0,800);%(200,0,1200)',
        confirmOff: 'tone_stream://%(200,0,1200);%(200,0,800)',
        refused: 'tone_stream://%(500,500,480,620)',
      },
      onDemand: {
        enabled: true,
        code: '*3',
        interDigitTimeoutMs: 3000,
        nameVariable: 'fsrecd_record_name',
        formatVariable: 'fsrecd_record_format',
      },
      pause: { enabled: false, code: '*4' },
    },
    storage: { type: 'local', dir: '/var/lib/fsrecd/recordings' },
    upload: { concurrency: 4, retryMinMs: 1000, retryMaxMs: 300_000, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 90, orphanStableMs: 5000, healthMaxBacklog: 500 },
  };
}
