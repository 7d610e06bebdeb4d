/**
 * The schema: every key the YAML may hold, checked and turned into FsrecdConfig. Unknown keys, wrong
 * types, bad regexes and bad templates are located errors; everything has a default.
 */
import { isFileExtension } from './file-extension';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { templateProblem } from '../templates/template-env';
import { indexCcEntries } from './cc-keys';
import { emptyCredentials, parseTokens, parseUsers, type CredentialIssue, type Credentials } from './credentials-file';
import { defaultConfig, emptyAccount } from './defaults';
import { describeOverlap, firstSegmentBelow, isStateEntry, overlap } from './dir-overlap';
import { parseListen } from './listen';
import { readMatrix, readSwitch, WAZO_ALIASES } from './matrix';
import { cleartextListenWarning, readHttpTls } from './http-tls';
import { readHooks } from './hooks';
import { readIndex } from './index-config';
import type { Reader } from './reader';
import { Secret } from './secret';
import { readSecret } from './secrets';
import { readSse } from './sse';
import type { TemplateRenderChecks } from './template-checks';
import { readObjectLock, readRetention, readRetentionDays } from './retention';
import type { AccountConfig, FsrecdConfig, HttpTlsConfig, RecordingOptions, StorageConfig } from './types';

const TOP = ['esl', 'spool_dir', 'state_dir', 'allowed_dirs', 'log', 'http', 'call_recording', 'call-recording', 'network', 'recording', 'accounts', 'default_account', 'features', 'storage', 'upload', 'hooks', 'retention', 'index'];
const OPTION_KEYS = ['format', 'filename_extension', 'min_seconds', 'max_seconds', 'stereo', 'sample_rate', 'start', 'follow_transfer', 'announcement', 'per_endpoint_files'];

interface Ctx {
  r: Reader;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  templates: TemplateRenderChecks;
}

/** Relative to the main file's directory; always normalised (no trailing /, no .. segments). */
function path(ctx: Ctx, p: string[], v: unknown, def: string): string {
  return resolve(ctx.baseDir, ctx.r.str(p, v, def));
}

/** A template is checked (no code, no constructors) and test-rendered with hostile sample values (`render`, naming's). */
function template(ctx: Ctx, p: string[], v: unknown, def: string, render: (source: string) => string | undefined): string {
  const s = ctx.r.str(p, v, def);
  const problem = templateProblem(s) ?? render(s);
  if (problem) ctx.r.error(p, problem);
  return s;
}

interface Dirs {
  spoolDir: string;
  stateDir: string;
  allowedDirs: string[];
  storageDir?: string;
  /** Which keys the operator wrote (a defaulted directory is located at the one it clashes with). */
  given: { spoolDir: boolean; stateDir: boolean; storageDir: boolean };
}

/** The daemon's directories must not overlap (see dir-overlap.ts for why). */
function checkDirectories(r: Reader, d: Dirs): void {
  const stateVsSpool = overlap(d.stateDir, d.spoolDir);
  if (stateVsSpool) {
    const at = d.given.stateDir || !d.given.spoolDir ? ['state_dir'] : ['spool_dir'];
    r.error(at, `state_dir ${d.stateDir} ${describeOverlap(stateVsSpool)} spool_dir ${d.spoolDir}: the spool scan would upload and delete the journal and toggles; give them separate directories`);
  }
  if (d.storageDir !== undefined && d.given.storageDir) {
    const vsSpool = overlap(d.storageDir, d.spoolDir);
    if (vsSpool) r.error(['storage', 'dir'], `storage.dir ${d.storageDir} ${describeOverlap(vsSpool)} spool_dir ${d.spoolDir}: stored recordings would be taken for new ones; give them separate directories`);
    const vsState = overlap(d.storageDir, d.stateDir);
    const below = firstSegmentBelow(d.stateDir, d.storageDir);
    if (vsState && (vsState !== 'inside' || (below !== undefined && isStateEntry(below)))) {
      r.error(['storage', 'dir'], `storage.dir ${d.storageDir} ${describeOverlap(vsState)} ${vsState === 'inside' ? `state_dir's own ${below}` : `state_dir ${d.stateDir}`}: the journal, toggles and index would be listed as recordings; use a directory of its own (the default is <state_dir>/recordings)`);
    }
  }
  d.allowedDirs.forEach((dir, i) => {
    const vsState = overlap(dir, d.stateDir);
    if (vsState) r.error(['allowed_dirs', String(i)], `${dir} ${describeOverlap(vsState)} state_dir ${d.stateDir}: recordings must not be written among the daemon's own files`);
    const vsStorage = d.storageDir === undefined ? undefined : overlap(dir, d.storageDir);
    if (vsStorage) r.error(['allowed_dirs', String(i)], `${dir} ${describeOverlap(vsStorage)} storage.dir ${d.storageDir}: a recording would be stored onto itself and then deleted`);
  });
}

function options(ctx: Ctx, p: string[], v: unknown): Partial<RecordingOptions> {
  const o = ctx.r.map(p, v, OPTION_KEYS);
  const out: Partial<RecordingOptions> = {};
  const fmt = o.format ?? o.filename_extension;
  if (fmt !== undefined) {
    const f = ctx.r.str([...p, 'format'], fmt, 'wav');
    if (isFileExtension(f)) out.format = f.toLowerCase();
    else ctx.r.error([...p, 'format'], `not a file extension: ${JSON.stringify(f)}`);
  }
  if (o.min_seconds !== undefined) out.minSeconds = ctx.r.num([...p, 'min_seconds'], o.min_seconds, 0, 0, 86_400);
  if (o.max_seconds !== undefined) out.maxSeconds = ctx.r.num([...p, 'max_seconds'], o.max_seconds, 0, 0, 86_400 * 7);
  if (o.stereo !== undefined) out.stereo = ctx.r.bool([...p, 'stereo'], o.stereo, true);
  if (o.sample_rate !== undefined) out.sampleRate = ctx.r.num([...p, 'sample_rate'], o.sample_rate, 8000, 8000, 192_000);
  if (o.start !== undefined) out.startOn = ctx.r.oneOf([...p, 'start'], o.start, ['answer', 'bridge'] as const, 'answer');
  if (o.follow_transfer !== undefined) out.followTransfer = ctx.r.bool([...p, 'follow_transfer'], o.follow_transfer, true);
  if (o.announcement !== undefined) {
    const a = ctx.r.str([...p, 'announcement'], o.announcement, '');
    if (/\s/.test(a)) ctx.r.error([...p, 'announcement'], 'must not contain blanks (uuid_broadcast splits on them)');
    else out.announcement = a;
  }
  if (o.per_endpoint_files !== undefined) out.perEndpointFiles = ctx.r.bool([...p, 'per_endpoint_files'], o.per_endpoint_files, false);
  return out;
}

function account(ctx: Ctx, domain: string, p: string[], v: unknown): AccountConfig {
  const r = ctx.r;
  const o = r.map(p, v, ['tenant_uuid', 'record_account', 'record_all_users', 'online_call_record_enabled', 'call_record_toggle_enabled', 'recording', 'users', 'devices', 'queues', 'agents', 'retention_days']);
  const a = emptyAccount(domain);
  a.tenantUuid = r.str([...p, 'tenant_uuid'], o.tenant_uuid, domain);
  a.recordAccount = readMatrix(r, [...p, 'record_account'], o.record_account);
  a.recordAllUsers = readMatrix(r, [...p, 'record_all_users'], o.record_all_users);
  a.onlineCallRecordEnabled = r.bool([...p, 'online_call_record_enabled'], o.online_call_record_enabled, true);
  a.toggleEnabled = r.bool([...p, 'call_record_toggle_enabled'], o.call_record_toggle_enabled, true);
  a.options = options(ctx, [...p, 'recording'], o.recording);
  a.retentionDays = readRetentionDays(r, [...p, 'retention_days'], o.retention_days);
  a.users = r.entries([...p, 'users'], o.users, (id, uv, up) => {
    const u = r.map(up, uv, ['record', 'online_call_record_enabled', 'call_record_toggle_enabled', 'recording', 'retention_days', ...Object.keys(WAZO_ALIASES)]);
    const record = readMatrix(r, [...up, 'record'], u.record);
    for (const [alias, [dir, net]] of Object.entries(WAZO_ALIASES)) {
      if (u[alias] === undefined) continue;
      const s = readSwitch(r, [...up, alias], u[alias]);
      if (s) record[dir][net] = s;
    }
    return {
      id,
      record,
      onlineCallRecordEnabled: r.optBool([...up, 'online_call_record_enabled'], u.online_call_record_enabled),
      toggleEnabled: r.optBool([...up, 'call_record_toggle_enabled'], u.call_record_toggle_enabled),
      options: options(ctx, [...up, 'recording'], u.recording),
      retentionDays: readRetentionDays(r, [...up, 'retention_days'], u.retention_days),
    };
  });
  a.devices = r.entries([...p, 'devices'], o.devices, (id, dv, dp) => {
    const d = r.map(dp, dv, ['user', 'record', 'recording']);
    const user = r.optStr([...dp, 'user'], d.user);
    if (user !== undefined && !a.users.has(user)) r.warnings.push(`${dp.join('.')}.user: user "${user}" is not defined under users`);
    return { id, user, record: readMatrix(r, [...dp, 'record'], d.record), options: options(ctx, [...dp, 'recording'], d.recording) };
  });
  // Keyed by the normalised key (cc-keys.ts): `support` and `support@default` may both be given, a call
  // matches the exact one first (src/policy/cc-lookup.ts).
  const queues = r.entries([...p, 'queues'], o.queues, (id, qv, qp) => {
    const q = r.map(qp, qv, ['record', 'recording', 'retention_days']);
    return { id, record: readSwitch(r, [...qp, 'record'], q.record), options: options(ctx, [...qp, 'recording'], q.recording), retentionDays: readRetentionDays(r, [...qp, 'retention_days'], q.retention_days) };
  });
  a.queues = indexCcEntries(r, [...p, 'queues'], queues, 'queue');
  const agents = r.entries([...p, 'agents'], o.agents, (id, av, ap) => {
    const ag = r.map(ap, av, ['record', 'recording']);
    return { id, record: readSwitch(r, [...ap, 'record'], ag.record), options: options(ctx, [...ap, 'recording'], ag.recording) };
  });
  a.agents = indexCcEntries(r, [...p, 'agents'], agents, 'agent');
  return a;
}

function storage(ctx: Ctx, p: string[], v: unknown, stateDir: string): StorageConfig {
  const r = ctx.r;
  const kind = r.oneOf([...p, 'type'], (v as Record<string, unknown> | null)?.type, ['local', 's3'] as const, 'local');
  if (kind === 'local') {
    const o = r.map(p, v, ['type', 'dir']);
    return { type: 'local', dir: path(ctx, [...p, 'dir'], o.dir, resolve(stateDir, 'recordings')) };
  }
  const keys = ['type', 'endpoint', 'port', 'use_ssl', 'region', 'bucket', 'create_bucket', 'path_style', 'key_template', 'object_lock', 'sse', 'trust_if_none_match'];
  for (const s of ['access_key', 'secret_key']) keys.push(s, `${s}_file`, `${s}_env`);
  const o = r.map(p, v, keys);
  if (!o.endpoint) r.error([...p, 'endpoint'], 'an s3 storage needs an endpoint (host name, e.g. s3.amazonaws.com or 127.0.0.1)');
  if (!o.bucket) r.error([...p, 'bucket'], 'an s3 storage needs a bucket');
  const accessKey = readSecret(r, p, o, 'access_key', ctx.baseDir, ctx.env);
  const secretKey = readSecret(r, p, o, 'secret_key', ctx.baseDir, ctx.env);
  if (!accessKey) r.error([...p, 'access_key'], 'an s3 storage needs access_key (or access_key_file / access_key_env)');
  if (!secretKey) r.error([...p, 'secret_key'], 'an s3 storage needs secret_key (or secret_key_file / secret_key_env)');
  // Only reached with errors recorded above: the config is rejected, the placeholder never used.
  const placeholder = new Secret('', 'missing');
  return {
    type: 's3',
    endpoint: r.str([...p, 'endpoint'], o.endpoint, ''),
    port: o.port === undefined ? undefined : r.num([...p, 'port'], o.port, 443, 1, 65535),
    useSsl: r.bool([...p, 'use_ssl'], o.use_ssl, true),
    region: r.str([...p, 'region'], o.region, 'us-east-1'),
    bucket: r.str([...p, 'bucket'], o.bucket, ''),
    createBucket: r.bool([...p, 'create_bucket'], o.create_bucket, false),
    pathStyle: r.bool([...p, 'path_style'], o.path_style, true),
    accessKey: accessKey ?? placeholder,
    secretKey: secretKey ?? placeholder,
    keyTemplate: o.key_template === undefined ? undefined : template(ctx, [...p, 'key_template'], o.key_template, '', (s) => ctx.templates.objectKey(s)),
    objectLock: readObjectLock(r, [...p, 'object_lock'], o.object_lock),
    sse: readSse(r, [...p, 'sse'], o.sse, ctx.baseDir),
    trustIfNoneMatch: r.bool([...p, 'trust_if_none_match'], o.trust_if_none_match, false),
  };
}

/** null turns the listener off; anything else must be host:port (loopback unless the operator says so). */
function httpListen(r: Reader, v: unknown, def: string | undefined): string | undefined {
  if (v === null) return undefined;
  const s = r.str(['http', 'listen'], v, def ?? '');
  try {
    parseListen(s);
  } catch (err) {
    r.error(['http', 'listen'], (err as Error).message);
  }
  return s;
}

/** The clear-text warning for a listen value that parses (a bad one is already an error). */
function httpListenWarning(listen: unknown, tls: HttpTlsConfig | undefined): string | undefined {
  try {
    return typeof listen === 'string' ? cleartextListenWarning(parseListen(listen).host, listen, tls) : undefined;
  } catch {
    return undefined;
  }
}

type CredentialParser = (text: string, file: string, into: Credentials, issues: CredentialIssue[]) => void;

/** A credentials file is checked at load like the YAML itself, each mistake located in that file. */
function credentialsFile(ctx: Ctx, p: string[], v: unknown, parse: CredentialParser): string | undefined {
  if (v === undefined || v === null) return undefined;
  const file = path(ctx, p, v, '');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    ctx.r.error(p, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return file;
  }
  const issues: CredentialIssue[] = [];
  parse(text, file, emptyCredentials(), issues);
  for (const i of issues) ctx.r.issueAt({ file: i.file, line: i.line, column: i.column }, p, i.message);
  return file;
}

export function buildConfig(value: Record<string, unknown>, r: Reader, baseDir: string, env: NodeJS.ProcessEnv, templates: TemplateRenderChecks): FsrecdConfig {
  const ctx: Ctx = { r, baseDir, env, templates };
  const d = defaultConfig();
  // Top-level keys starting with x- are the operator's own (anchors to share with *alias, as in Compose).
  const top = r.map([], Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('x-'))), TOP);
  if (top['call_recording'] !== undefined && top['call-recording'] !== undefined) {
    r.error(['call-recording'], 'give call_recording or call-recording, not both');
  }

  const e = r.map(['esl'], top.esl, ['host', 'port', 'password', 'password_file', 'password_env', 'connect_timeout_ms', 'api_timeout_ms', 'reconnect_min_ms', 'reconnect_max_ms', 'heartbeat_timeout_ms']);
  const eslHost = r.str(['esl', 'host'], e.host, d.esl.host);
  const esl = {
    host: eslHost,
    port: r.num(['esl', 'port'], e.port, d.esl.port, 1, 65535),
    password: readSecret(r, ['esl'], e, 'password', baseDir, env, 'ClueCon') ?? d.esl.password,
    connectTimeoutMs: r.num(['esl', 'connect_timeout_ms'], e.connect_timeout_ms, d.esl.connectTimeoutMs, 100, 600_000),
    apiTimeoutMs: r.num(['esl', 'api_timeout_ms'], e.api_timeout_ms, d.esl.apiTimeoutMs, 100, 600_000),
    reconnectMinMs: r.num(['esl', 'reconnect_min_ms'], e.reconnect_min_ms, d.esl.reconnectMinMs, 10, 600_000),
    reconnectMaxMs: r.num(['esl', 'reconnect_max_ms'], e.reconnect_max_ms, d.esl.reconnectMaxMs, 10, 3_600_000),
    heartbeatTimeoutMs: r.integer(['esl', 'heartbeat_timeout_ms'], e.heartbeat_timeout_ms, d.esl.heartbeatTimeoutMs, 1000, 3_600_000),
  };
  if (esl.reconnectMaxMs < esl.reconnectMinMs) r.error(['esl', 'reconnect_max_ms'], 'must be at least reconnect_min_ms');

  const spoolDir = path(ctx, ['spool_dir'], top.spool_dir, d.spoolDir);
  const stateDir = path(ctx, ['state_dir'], top.state_dir, d.stateDir);
  const allowedDirs = r.strList(['allowed_dirs'], top.allowed_dirs, []).map((x, i) => {
    if (!isAbsolute(x)) r.error(['allowed_dirs', String(i)], 'must be an absolute directory');
    return x;
  });
  const log = r.map(['log'], top.log, ['level']);
  const http = r.map(['http'], top.http, ['listen', 'tokens_file', 'users_file', 'url_expiry_seconds', 'metrics_without_auth', 'tls']);
  const httpTls = readHttpTls(r, http.tls, (p, v) => path(ctx, p, v, ''));
  const listenWarning = top.http === null || http.listen === null ? undefined : httpListenWarning(http.listen ?? d.http.listen, httpTls);
  if (listenWarning) r.warnings.push(listenWarning);

  const crKey = top['call-recording'] !== undefined ? 'call-recording' : 'call_recording';
  const cr = r.map([crKey], top[crKey], ['filename_template', 'filename_extension', 'on_demand_filename_template']);
  const ext = r.str([crKey, 'filename_extension'], cr.filename_extension, d.naming.filenameExtension);
  if (!isFileExtension(ext)) r.error([crKey, 'filename_extension'], `not a file extension: ${JSON.stringify(ext)}`);

  const net = r.map(['network'], top.network, ['external_contexts', 'external_number_patterns']);
  const patterns = r.strList(['network', 'external_number_patterns'], net.external_number_patterns, []).flatMap((src, i) => {
    try {
      return [new RegExp(src)];
    } catch (err) {
      r.error(['network', 'external_number_patterns', String(i)], `bad regular expression: ${(err as Error).message}`);
      return [];
    }
  });

  const recording = { ...d.recording, ...options(ctx, ['recording'], top.recording) };
  const accounts = r.entries(['accounts'], top.accounts, (domain, v, p) => account(ctx, domain, p, v));
  const defaultAccount = top.default_account === undefined ? d.defaultAccount : account(ctx, 'default', ['default_account'], top.default_account);

  const f = r.map(['features'], top.features, ['toggle', 'on_demand', 'pause']);
  const ft = r.map(['features', 'toggle'], f.toggle, ['enabled', 'code', 'unknown_user', 'confirm_on', 'confirm_off', 'refused']);
  const fo = r.map(['features', 'on_demand'], f.on_demand, ['enabled', 'code', 'interdigit_timeout_ms', 'name_variable', 'format_variable', 'start_tone', 'stop_tone']);
  const fp = r.map(['features', 'pause'], f.pause, ['enabled', 'code']);
  const code = (p: string[], v: unknown, def: string): string => {
    const c = r.str(p, v, def);
    if (!/^[0-9*#]{1,8}$/.test(c)) r.error(p, `a feature code is 1-8 of 0-9, * and #, got ${JSON.stringify(c)}`);
    return c;
  };
  const media = (p: string[], v: unknown, def: string | undefined): string | undefined => {
    const m = v === undefined ? def : r.str(p, v, def ?? '');
    if (m !== undefined && /\s/.test(m)) r.error(p, 'must not contain blanks (uuid_broadcast splits on them)');
    return m;
  };
  const varName = (p: string[], v: unknown, def: string): string => {
    const n = r.str(p, v, def);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(n)) r.error(p, `not a channel variable name: ${JSON.stringify(n)}`);
    return n;
  };
  const features = {
    toggle: {
      enabled: r.bool(['features', 'toggle', 'enabled'], ft.enabled, true),
      code: code(['features', 'toggle', 'code'], ft.code, d.features.toggle.code),
      unknownUser: r.oneOf(['features', 'toggle', 'unknown_user'], ft.unknown_user, ['refuse', 'create'] as const, d.features.toggle.unknownUser),
      confirmOn: media(['features', 'toggle', 'confirm_on'], ft.confirm_on, d.features.toggle.confirmOn) as string,
      confirmOff: media(['features', 'toggle', 'confirm_off'], ft.confirm_off, d.features.toggle.confirmOff) as string,
      refused: media(['features', 'toggle', 'refused'], ft.refused, d.features.toggle.refused) as string,
    },
    onDemand: {
      enabled: r.bool(['features', 'on_demand', 'enabled'], fo.enabled, true),
      code: code(['features', 'on_demand', 'code'], fo.code, d.features.onDemand.code),
      interDigitTimeoutMs: r.num(['features', 'on_demand', 'interdigit_timeout_ms'], fo.interdigit_timeout_ms, d.features.onDemand.interDigitTimeoutMs, 100, 60_000),
      nameVariable: varName(['features', 'on_demand', 'name_variable'], fo.name_variable, d.features.onDemand.nameVariable),
      formatVariable: varName(['features', 'on_demand', 'format_variable'], fo.format_variable, d.features.onDemand.formatVariable),
      startTone: media(['features', 'on_demand', 'start_tone'], fo.start_tone, undefined),
      stopTone: media(['features', 'on_demand', 'stop_tone'], fo.stop_tone, undefined),
    },
    pause: { enabled: r.bool(['features', 'pause', 'enabled'], fp.enabled, false), code: code(['features', 'pause', 'code'], fp.code, d.features.pause.code) },
  };
  if (features.toggle.code === features.onDemand.code) r.error(['features', 'on_demand', 'code'], 'must differ from features.toggle.code');

  const storageConfig = storage(ctx, ['storage'], top.storage, stateDir);
  checkDirectories(r, {
    spoolDir,
    stateDir,
    allowedDirs,
    storageDir: storageConfig.type === 'local' ? storageConfig.dir : undefined,
    given: { spoolDir: top.spool_dir !== undefined, stateDir: top.state_dir !== undefined, storageDir: (top.storage as Record<string, unknown> | null | undefined)?.dir !== undefined },
  });

  const u = r.map(['upload'], top.upload, ['concurrency', 'retry_min_ms', 'retry_max_ms', 'keep_local_days', 'journal_keep_days', 'disk_warn_percent', 'orphan_stable_ms', 'health_max_backlog']);
  return {
    sources: [],
    esl,
    spoolDir,
    stateDir,
    allowedDirs,
    log: { level: r.oneOf(['log', 'level'], log.level, ['error', 'warn', 'info', 'debug'] as const, 'info') },
    http: {
      listen: httpListen(r, http.listen, d.http.listen),
      tokensFile: credentialsFile(ctx, ['http', 'tokens_file'], http.tokens_file, parseTokens),
      usersFile: credentialsFile(ctx, ['http', 'users_file'], http.users_file, parseUsers),
      urlExpirySeconds: r.num(['http', 'url_expiry_seconds'], http.url_expiry_seconds, d.http.urlExpirySeconds, 1, 604_800),
      metricsWithoutAuth: r.bool(['http', 'metrics_without_auth'], http.metrics_without_auth, d.http.metricsWithoutAuth),
      tls: httpTls,
    },
    naming: {
      filenameTemplate: template(ctx, [crKey, 'filename_template'], cr.filename_template, d.naming.filenameTemplate, (s) => templates.filename(s, 'call', spoolDir, allowedDirs)),
      filenameExtension: ext.toLowerCase(),
      onDemandFilenameTemplate: template(ctx, [crKey, 'on_demand_filename_template'], cr.on_demand_filename_template, d.naming.onDemandFilenameTemplate, (s) => templates.filename(s, 'on-demand', spoolDir, allowedDirs)),
    },
    network: { externalContexts: r.strList(['network', 'external_contexts'], net.external_contexts, d.network.externalContexts), externalNumberPatterns: patterns },
    recording,
    accounts,
    defaultAccount,
    features,
    storage: storageConfig,
    upload: {
      concurrency: r.num(['upload', 'concurrency'], u.concurrency, d.upload.concurrency, 1, 64),
      retryMinMs: r.num(['upload', 'retry_min_ms'], u.retry_min_ms, d.upload.retryMinMs, 10, 3_600_000),
      retryMaxMs: r.num(['upload', 'retry_max_ms'], u.retry_max_ms, d.upload.retryMaxMs, 10, 86_400_000),
      keepLocalDays: r.num(['upload', 'keep_local_days'], u.keep_local_days, d.upload.keepLocalDays, 0, 3650),
      journalKeepDays: r.num(['upload', 'journal_keep_days'], u.journal_keep_days, d.upload.journalKeepDays, 1, 3650),
      diskWarnPercent: r.num(['upload', 'disk_warn_percent'], u.disk_warn_percent, d.upload.diskWarnPercent, 1, 100),
      orphanStableMs: r.num(['upload', 'orphan_stable_ms'], u.orphan_stable_ms, d.upload.orphanStableMs, 100, 3_600_000),
      healthMaxBacklog: r.num(['upload', 'health_max_backlog'], u.health_max_backlog, d.upload.healthMaxBacklog, 1, 10_000_000),
    },
    hooks: readHooks(r, top.hooks, { baseDir, env }),
    retention: readRetention(r, top.retention),
    index: readIndex(r, top.index, env, (p, v) => path(ctx, p, v, '')),
  };
}
