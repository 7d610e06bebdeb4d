/**
 * The validated, normalised configuration. The YAML may use KAZOO and Wazo spellings (onnet/offnet,
 * call-recording, call_record_incoming_internal_enabled, any, inherit…); src/config/ turns them all into
 * this one shape, so nothing downstream handles aliases.
 */
import type { SseConfig } from './sse';
import type { HookConfig } from './hooks';
import type { Secret } from './secret';

export type Direction = 'inbound' | 'outbound';
export type Network = 'internal' | 'external';
/** A rule cell: 'on' or 'off'; undefined = inherit. */
export type Switch = 'on' | 'off';

/** Rule matrix direction × network; a missing cell inherits. */
export interface RecordMatrix {
  inbound: { internal?: Switch; external?: Switch };
  outbound: { internal?: Switch; external?: Switch };
}

export type StartOn = 'answer' | 'bridge';

export interface RecordingOptions {
  /** filename_extension / KAZOO format: wav (default), mp3, … */
  format: string;
  /** KAZOO record_min_sec: FreeSWITCH discards shorter recordings (RECORD_MIN_SEC). */
  minSeconds: number;
  /** KAZOO time_limit: 0 = no limit (uuid_record's limit argument). */
  maxSeconds: number;
  stereo: boolean;
  /** record_sample_rate; undefined = the channel's rate. */
  sampleRate?: number;
  startOn: StartOn;
  followTransfer: boolean;
  /** Played to both parties when recording starts (a file or tone_stream:// URL), if set. */
  announcement?: string;
  /** One file per recorded endpoint instead of one per call. */
  perEndpointFiles: boolean;
}

export interface UserConfig {
  id: string;
  record: RecordMatrix;
  /** Wazo's online_call_record_enabled: may this user start *3 on-demand recordings. undefined = account's. */
  onlineCallRecordEnabled?: boolean;
  /** May this user use the *26 toggle. undefined = account's. */
  toggleEnabled?: boolean;
  options: Partial<RecordingOptions>;
  /** Keep this user's recordings this many days (over the account's; see lifecycle/retention-policy.ts). */
  retentionDays?: number;
}

export interface DeviceConfig {
  id: string;
  /** Owner user id (docs/design.md section 2); else the channel's fsrecd_user variable. */
  user?: string;
  record: RecordMatrix;
  options: Partial<RecordingOptions>;
}

export interface QueueConfig {
  id: string;
  /** "record all calls" for the queue: wins over an account rule that says off (KAZOO Call Center Pro). */
  record?: Switch;
  options: Partial<RecordingOptions>;
  /** Keep this queue's recordings this many days (over the account's). */
  retentionDays?: number;
}

export interface AgentConfig {
  id: string;
  record?: Switch;
  options: Partial<RecordingOptions>;
}

export interface AccountConfig {
  /** The FreeSWITCH domain (variable_domain_name) this account is keyed by. */
  domain: string;
  /** Wazo tenant_uuid used in filenames; defaults to the domain. */
  tenantUuid: string;
  /** KAZOO "force record entire account" (recording settings matrix, relative to the account). */
  recordAccount: RecordMatrix;
  /** KAZOO "force record all users": the endpoint default, below user and device rules. */
  recordAllUsers: RecordMatrix;
  onlineCallRecordEnabled: boolean;
  toggleEnabled: boolean;
  options: Partial<RecordingOptions>;
  users: Map<string, UserConfig>;
  devices: Map<string, DeviceConfig>;
  /** mod_callcenter queues and agents, keyed by normalizeCcKey(YAML key) (cc-keys.ts); `id` is the key as written. */
  queues: Map<string, QueueConfig>;
  agents: Map<string, AgentConfig>;
  /** Keep the account's recordings this many days (over retention.default_days); undefined = inherit. */
  retentionDays?: number;
}

export interface EslConfig {
  host: string;
  port: number;
  password: Secret;
  connectTimeoutMs: number;
  apiTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** FreeSWITCH sends a HEARTBEAT event every 20 s by default: silence this long means it is gone (reconnect). */
  heartbeatTimeoutMs: number;
}

export interface NamingConfig {
  /** Wazo call_recording.filename_template. */
  filenameTemplate: string;
  /** Wazo call_recording.filename_extension (default wav). */
  filenameExtension: string;
  /** Template for *3 on-demand recordings (Wazo: auto-<timestamp>-<name>). */
  onDemandFilenameTemplate: string;
}

export interface NetworkConfig {
  /** Contexts whose calls come from carriers (FreeSWITCH vanilla: public). */
  externalContexts: string[];
  /** Numbers matching any of these are external (e.g. E.164). Compiled once at load. */
  externalNumberPatterns: RegExp[];
}

export type UnknownUserAction = 'refuse' | 'create';

export interface FeaturesConfig {
  toggle: {
    enabled: boolean;
    code: string;
    unknownUser: UnknownUserAction;
    /** What the caller hears: recording now on / now off / refused. */
    confirmOn: string;
    confirmOff: string;
    refused: string;
  };
  onDemand: {
    enabled: boolean;
    code: string;
    interDigitTimeoutMs: number;
    /** Channel variable that names an on-demand recording (Wazo: the <name> part). */
    nameVariable: string;
    /** Channel variable that picks the on-demand format. */
    formatVariable: string;
    /** Played when an on-demand recording starts / stops, if set. */
    startTone?: string;
    stopTone?: string;
  };
  /** uuid_record mask/unmask (card numbers); off unless a code is set. */
  pause: { enabled: boolean; code: string };
}

export interface LocalStorageConfig {
  type: 'local';
  /** Where finished recordings are kept; default <spool_dir>/../recordings. */
  dir: string;
}

export interface S3StorageConfig {
  type: 's3';
  endpoint: string;
  port?: number;
  useSsl: boolean;
  region: string;
  bucket: string;
  createBucket: boolean;
  pathStyle: boolean;
  accessKey: Secret;
  secretKey: Secret;
  /** nunjucks template for the object key; default = path relative to spool_dir. */
  keyTemplate?: string;
  /** Legal holds with S3 Object Lock: where the bucket has it (auto, the default), required, or never. */
  objectLock?: 'auto' | 'require' | 'off';
  /** Server-side encryption of every object (storage.sse); undefined = the bucket's default. */
  sse?: SseConfig;
  /**
   * The server refuses a PUT with `If-None-Match: *` on an existing key (AWS S3, MinIO): fsrecd then creates
   * first and looks only when refused. False (the default): it looks (HEAD) before each create, as servers
   * that ignore the header (s3rver, older Ceph RGW) need.
   */
  trustIfNoneMatch?: boolean;
}

export type StorageConfig = LocalStorageConfig | S3StorageConfig;

/** retention: when the daemon deletes expired recordings (the days themselves are per account, user, queue). */
export interface RetentionConfig {
  /** Days to keep a recording no account, user or queue rule covers; undefined = forever. */
  defaultDays?: number;
  /** How often the daemon looks for expired recordings. */
  intervalMs: number;
  /** At most this many deletions per run (the rest wait for the next one). */
  batch: number;
}

export interface UploadConfig {
  concurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Keep the local copy this many days after a verified upload (0 = delete at once). */
  keepLocalDays: number;
  /**
   * Journal entries of finished business (stored with no local copy left, discarded, failed, lost) are
   * removed after this many days; the recordings index keeps them. Bounds the journal, its load at start
   * and every status walk.
   */
  journalKeepDays: number;
  /** Warn and raise a metric when the spool's filesystem is fuller than this percentage. */
  diskWarnPercent: number;
  /** A spool file no journal names is picked up after it has not changed for this long. */
  orphanStableMs: number;
  /** /healthz answers 503 when more recordings than this wait for storage. */
  healthMaxBacklog: number;
}

export interface HttpConfig {
  /** host:port; undefined = no listener. */
  listen?: string;
  /** Bearer tokens, one per line: "<token> [<tenant>]". */
  tokensFile?: string;
  /** Basic-auth users, one per line: "<name>:<password or $scrypt$ hash>[:<tenant>]". */
  usersFile?: string;
  /** How long `fsrecd recordings url` links stay valid. */
  urlExpirySeconds: number;
  /** Lets Prometheus scrape /metrics without a credential (everything else still needs one). */
  metricsWithoutAuth: boolean;
  /** HTTPS instead of HTTP (absent: plain HTTP, meant for loopback or behind a TLS proxy). */
  tls?: HttpTlsConfig;
}

/** http.tls: PEM files, re-read by the listener when they change (src/http/tls.ts). */
export interface HttpTlsConfig {
  certFile: string;
  keyFile: string;
  /** Clients must present a certificate this CA signed (mutual TLS), besides their token or user. */
  caFile?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** How often the files are checked for a change (a renewal is served within this). */
  checkIntervalMs: number;
}

export interface FsrecdConfig {
  /** Files the config came from, in merge order (main file, then conf.d/*.yml). */
  sources: string[];
  esl: EslConfig;
  spoolDir: string;
  stateDir: string;
  /** Absolute directories an absolute filename_template may write under. */
  allowedDirs: string[];
  log: { level: 'error' | 'warn' | 'info' | 'debug' };
  http: HttpConfig;
  naming: NamingConfig;
  network: NetworkConfig;
  /** Defaults for every recording; account, user, device, queue options override in that order. */
  recording: RecordingOptions;
  /** Accounts keyed by FreeSWITCH domain. */
  accounts: Map<string, AccountConfig>;
  /** Account used for a leg whose domain no account names (e.g. a carrier leg before transfer). */
  defaultAccount: AccountConfig;
  features: FeaturesConfig;
  storage: StorageConfig;
  upload: UploadConfig;
  /** Absent (a configuration built in code) = no retention rules: nothing expires. */
  retention?: RetentionConfig;
  /** Where each stored recording's description is handed (src/hooks/); absent = none. */
  hooks?: HookConfig[];
  /** The recordings index: SQLite in state_dir (one node), or a PostgreSQL database several nodes share. Absent = SQLite. */
  index?: IndexConfig;
}

/** index: which engine keeps the recordings index (src/recordings/open-index.ts). */
export type IndexConfig = { type: 'sqlite' } | { type: 'postgres'; postgres: PostgresIndexConfig };

export interface PostgresIndexConfig {
  /** postgres://user@host:port/database, without a password (a password in it is refused: configs get shared). */
  url: string;
  /** A file holding the password (one line; trailing newline ignored). */
  passwordFile?: string;
  /** An environment variable holding the password (when no password_file); PGPASSWORD is read anyway by the client. */
  passwordEnv?: string;
  /** Connections per fsrecd process. */
  poolSize: number;
  connectTimeoutMs: number;
  /** Every statement is cancelled by the server after this long (a stuck query must not hold a connection forever). */
  statementTimeoutMs: number;
  tls: PostgresTlsConfig;
}

/** libpq's sslmode, the three that matter: off, encrypted, encrypted to a verified server. */
export interface PostgresTlsConfig {
  mode: 'disable' | 'require' | 'verify-full';
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}
