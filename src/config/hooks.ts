/**
 * `hooks:`: where fsrecd hands each stored recording's description (src/hooks/). A list of webhooks (a URL,
 * signed with a per-hook secret) and commands (an argv, run without a shell). Every mistake is located
 * (file:line:column); a hook that cannot be reached is a delivery failure at run time, not a config error.
 */
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Reader } from './reader';
import type { Secret } from './secret';
import { readSecret } from './secrets';

/** What a hook can be told of. Only "stored" today: a recording in storage, verified, journaled. */
export const HOOK_EVENTS = ['stored'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

interface HookCommon {
  /** Names the hook in status, metrics, logs and the delivery files; unique. */
  name: string;
  events: HookEvent[];
  /** Only recordings of these tenants (tenant_uuid); undefined = every tenant. */
  tenants?: string[];
  /** One attempt's limit: the request (headers and body) or the command's run. */
  timeoutMs: number;
  /** Attempts at once for this hook. */
  concurrency: number;
  /** Waits between attempts (capped exponential backoff with jitter). */
  retryMinMs: number;
  retryMaxMs: number;
  /** A delivery not done this long after it was created (or retried by hand) is marked failed. */
  maxAgeMs: number;
  /** Validity of the presigned download URL put in each attempt's body; undefined = http.url_expiry_seconds. */
  urlExpirySeconds?: number;
}

export interface WebhookConfig extends HookCommon {
  kind: 'url';
  url: string;
  /** Key of the HMAC-SHA256 signature (X-Fsrecd-Signature). */
  secret: Secret;
}

export interface CommandHookConfig extends HookCommon {
  kind: 'command';
  /** argv[0] is run as it is (no shell): an absolute path, or a name looked up in PATH. */
  argv: string[];
}

export type HookConfig = WebhookConfig | CommandHookConfig;

const KEYS = ['name', 'url', 'command', 'secret', 'secret_file', 'secret_env', 'timeout_ms', 'events', 'tenants', 'concurrency', 'retry_min_ms', 'retry_max_ms', 'max_age_hours', 'url_expiry_seconds'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface HookDefaults {
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The URL's problem, or undefined. Warnings (clear text off this machine) go to `warn`. */
function urlProblem(s: string, warn: (m: string) => void): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `not a URL: ${JSON.stringify(s)} (give e.g. https://crm.example.com/fsrecd)`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `a webhook URL is http:// or https://, got ${u.protocol}`;
  if (u.username || u.password) return 'no credentials in the URL (they would show in logs and status): the signature authenticates fsrecd to the receiver';
  if (u.hash) return 'a URL fragment is never sent to the server: remove it';
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) warn(`http:// to ${u.hostname} sends each recording's parties and its download URL (a bearer credential) in clear text: use https://`);
  return undefined;
}

function argv(r: Reader, p: string[], v: unknown, baseDir: string): string[] {
  if (!Array.isArray(v)) {
    r.error(p, 'command is a list: the program and its arguments, run without a shell, e.g. [/usr/local/bin/transcribe, --json]');
    return [];
  }
  const args = r.strList(p, v, []);
  if (args.length === 0 || args[0] === '') {
    r.error(p, 'an empty command: give at least the program to run');
    return [];
  }
  const program = args[0] as string;
  // A path with a slash is the config's, like every path in it; a bare name is looked up in PATH.
  const resolved = program.includes('/') && !isAbsolute(program) ? resolve(baseDir, program) : program;
  if (resolved.includes('/')) {
    try {
      accessSync(resolved, constants.X_OK);
    } catch (err) {
      r.warnings.push(`${p.join('.')}.0: ${resolved} is not an executable file (${(err as NodeJS.ErrnoException).code ?? String(err)}): its deliveries will fail until it is`);
    }
  }
  return [resolved, ...args.slice(1)];
}

export function readHooks(r: Reader, v: unknown, d: HookDefaults): HookConfig[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.error(['hooks'], 'expected a list of hooks, each with a name and a url or a command');
    return [];
  }
  const seen = new Map<string, number>();
  const out: HookConfig[] = [];
  v.forEach((item, i) => {
    const p = ['hooks', String(i)];
    const o = r.map(p, item, KEYS);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return;
    const name = r.str([...p, 'name'], o.name, '');
    if (!name) r.error(p, 'a hook needs a name (letters, digits, - and _): it names the hook in status, metrics and logs');
    else if (!NAME.test(name)) r.error([...p, 'name'], `a hook name is 1-64 letters, digits, - and _, starting with a letter or digit; got ${JSON.stringify(name)}`);
    else if (seen.has(name)) r.error([...p, 'name'], `hook name "${name}" is also used by hooks.${seen.get(name)}`);
    else seen.set(name, i);

    const hasUrl = o.url !== undefined && o.url !== null;
    const hasCommand = o.command !== undefined && o.command !== null;
    if (hasUrl === hasCommand) r.error(p, hasUrl ? 'give url or command, not both' : 'a hook needs a url (a webhook) or a command');
    const isCommand = hasCommand && !hasUrl;
    const events = r.strList([...p, 'events'], o.events, ['stored']).flatMap((e, j) => {
      if ((HOOK_EVENTS as readonly string[]).includes(e)) return [e as HookEvent];
      r.error([...p, 'events', String(j)], `unknown event ${JSON.stringify(e)}; known: ${HOOK_EVENTS.join(', ')}`);
      return [];
    });
    if (Array.isArray(o.events) && o.events.length === 0) r.error([...p, 'events'], 'an empty events list would deliver nothing: leave it out for [stored]');
    const tenants = o.tenants === undefined || o.tenants === null ? undefined : r.strList([...p, 'tenants'], o.tenants, []);
    if (tenants !== undefined && tenants.length === 0) r.error([...p, 'tenants'], 'an empty tenants list would deliver nothing: leave it out for every tenant');
    const common: HookCommon = {
      name,
      events,
      tenants,
      timeoutMs: r.integer([...p, 'timeout_ms'], o.timeout_ms, isCommand ? 60_000 : 10_000, 100, 3_600_000),
      concurrency: r.integer([...p, 'concurrency'], o.concurrency, 4, 1, 64),
      retryMinMs: r.integer([...p, 'retry_min_ms'], o.retry_min_ms, 1000, 10, 3_600_000),
      retryMaxMs: r.integer([...p, 'retry_max_ms'], o.retry_max_ms, 300_000, 10, 86_400_000),
      maxAgeMs: r.num([...p, 'max_age_hours'], o.max_age_hours, 72, 0.001, 24 * 90) * 3_600_000,
      urlExpirySeconds: o.url_expiry_seconds === undefined ? undefined : r.integer([...p, 'url_expiry_seconds'], o.url_expiry_seconds, 3600, 1, 604_800),
    };
    if (common.retryMaxMs < common.retryMinMs) r.error([...p, 'retry_max_ms'], 'must be at least retry_min_ms');

    if (isCommand) {
      for (const k of ['secret', 'secret_file', 'secret_env']) {
        if (o[k] !== undefined) r.keyError([...p, k], 'a command hook is not signed (it runs on this machine): remove the secret');
      }
      out.push({ ...common, kind: 'command', argv: argv(r, [...p, 'command'], o.command, d.baseDir) });
      return;
    }
    const url = r.str([...p, 'url'], o.url, '');
    const problem = hasUrl ? urlProblem(url, (m) => r.warnings.push(`${p.join('.')}.url: ${m}`)) : undefined;
    if (problem) r.error([...p, 'url'], problem);
    const secret = readSecret(r, p, o, 'secret', d.baseDir, d.env);
    if (hasUrl && !secret && !r.issues.some((x) => x.path.startsWith(`${p.join('.')}.secret`))) {
      r.error(p, 'a webhook needs secret_file, secret_env or secret: the receiver checks X-Fsrecd-Signature with it');
    }
    if (secret && secret.reveal().length < 16) r.error([...p, 'secret'], 'a webhook secret is at least 16 characters (e.g. openssl rand -hex 32)');
    if (secret) out.push({ ...common, kind: 'url', url, secret });
  });
  return out;
}
