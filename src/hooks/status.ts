/**
 * What the hooks report per hook (pending, failed, the oldest wait, the last error), computed from the
 * deliveries (a pure function): by the daemon from memory for /metrics and /healthz, by `fsrecd status`
 * and `fsrecd hooks status` from the files on disk.
 */
import type { Delivery } from './delivery';

export interface HookStatus {
  hook: string;
  /** False for deliveries of a hook no longer in the configuration: kept, not attempted. */
  configured: boolean;
  pending: number;
  failed: number;
  /** Delivered records still kept (until the journal forgets their recording). */
  delivered: number;
  oldestPendingSeconds: number;
  /** The latest error among pending and failed deliveries. */
  lastError?: string;
}

export function hookStatus(deliveries: Iterable<Delivery>, configured: readonly string[], now: number): HookStatus[] {
  const by = new Map<string, HookStatus & { lastAt: string }>();
  const get = (hook: string): HookStatus & { lastAt: string } => {
    let s = by.get(hook);
    if (!s) {
      s = { hook, configured: configured.includes(hook), pending: 0, failed: 0, delivered: 0, oldestPendingSeconds: 0, lastAt: '' };
      by.set(hook, s);
    }
    return s;
  };
  for (const h of configured) get(h);
  for (const d of deliveries) {
    const s = get(d.hook);
    if (d.state === 'delivered') {
      s.delivered++;
      continue;
    }
    if (d.state === 'pending') {
      s.pending++;
      s.oldestPendingSeconds = Math.max(s.oldestPendingSeconds, Math.round((now - (Date.parse(d.createdAt) || now)) / 1000));
    } else s.failed++;
    const at = d.settledAt ?? d.nextAttemptAt ?? d.createdAt;
    if (d.lastError && at >= s.lastAt) {
      s.lastError = d.lastError;
      s.lastAt = at;
    }
  }
  return [...by.values()].map(({ lastAt: _lastAt, ...s }) => s);
}

/** One line per hook, for `fsrecd status`. */
export function hookStatusLines(status: readonly HookStatus[]): string[] {
  if (status.length === 0) return [];
  return status.map(
    (s) =>
      `hook ${s.hook}${s.configured ? '' : ' (no longer configured: not attempted)'}: pending ${s.pending}${s.pending ? ` (oldest ${s.oldestPendingSeconds} s)` : ''}, failed ${s.failed}${s.failed ? ' (fsrecd hooks retry)' : ''}${s.lastError && (s.pending || s.failed) ? `; last error: ${s.lastError}` : ''}`,
  );
}
