/**
 * How long a recording is kept: a pure decision over the configuration and the index entry.
 *
 * Precedence (KAZOO-style, most specific first): a queue or user rule, else the account's, else
 * retention.default_days, else forever. When a queue and a user rule both apply, the longer one wins:
 * keeping a recording longer can be corrected later, deleting it early cannot.
 */
import { findCcRule } from '../policy/cc-lookup';
import type { AccountConfig, FsrecdConfig } from '../config/types';
import type { RecordingEntry } from '../recordings/types';

export type RetentionSource = 'queue' | 'user' | 'account' | 'default';

export interface RetentionRule {
  days: number;
  source: RetentionSource;
}

/** The days each level says for one recording (undefined = no rule there). */
export interface RetentionLevels {
  queue?: number;
  user?: number;
  account?: number;
  default?: number;
}

/** The rule that applies, or undefined: keep forever. */
export function decideRetention(l: RetentionLevels): RetentionRule | undefined {
  if (l.queue !== undefined || l.user !== undefined) {
    // Both: the longer (on a tie the queue's, which names the narrower business process).
    if (l.queue !== undefined && (l.user === undefined || l.queue >= l.user)) return { days: l.queue, source: 'queue' };
    return { days: l.user as number, source: 'user' };
  }
  if (l.account !== undefined) return { days: l.account, source: 'account' };
  if (l.default !== undefined) return { days: l.default, source: 'default' };
  return undefined;
}

/** The account a recording belongs to: by its FreeSWITCH domain, else by tenant, else the default account. */
export function accountOf(cfg: FsrecdConfig, e: RecordingEntry): AccountConfig {
  const byDomain = cfg.accounts.get(e.domain);
  if (byDomain) return byDomain;
  for (const a of cfg.accounts.values()) if (a.tenantUuid === e.tenant) return a;
  return cfg.defaultAccount;
}

export function retentionLevels(cfg: FsrecdConfig, e: RecordingEntry): RetentionLevels {
  const account = accountOf(cfg, e);
  return {
    queue: findCcRule(account.queues, e.queue)?.rule.retentionDays,
    user: e.user === undefined ? undefined : account.users.get(e.user)?.retentionDays,
    account: account.retentionDays,
    default: cfg.retention?.defaultDays,
  };
}

export function retentionRuleFor(cfg: FsrecdConfig, e: RecordingEntry): RetentionRule | undefined {
  return decideRetention(retentionLevels(cfg, e));
}

const DAY_MS = 86_400_000;

/** When the recording's time is up: its end (else its start) plus the rule's days. */
export function expiresAtMs(e: RecordingEntry, rule: RetentionRule): number {
  const ended = e.endedAt === undefined ? NaN : Date.parse(e.endedAt);
  const base = Number.isNaN(ended) ? Date.parse(e.startedAt) || 0 : ended;
  return base + rule.days * DAY_MS;
}

/** The shortest number of days any rule in the configuration keeps a recording (undefined: nothing ever expires). */
export function shortestRetentionDays(cfg: FsrecdConfig): number | undefined {
  const days: number[] = [];
  const push = (d: number | undefined): void => {
    if (d !== undefined) days.push(d);
  };
  push(cfg.retention?.defaultDays);
  for (const a of [...cfg.accounts.values(), cfg.defaultAccount]) {
    push(a.retentionDays);
    for (const u of a.users.values()) push(u.retentionDays);
    for (const q of a.queues.values()) push(q.retentionDays);
  }
  return days.length ? Math.min(...days) : undefined;
}

export function describeRule(rule: RetentionRule): string {
  return `retention ${rule.days} days (${rule.source})`;
}
