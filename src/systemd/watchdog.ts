/**
 * The watchdog's decisions, apart from timers and sockets: how often to ping systemd, and whether the
 * process is well enough to say so.
 */

/**
 * Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, in ms; undefined when systemd asked for no
 * watchdog, when the value is unusable, or when WATCHDOG_PID names another process (the variable was
 * inherited, the watchdog is not ours).
 */
export function watchdogPingEveryMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (!usec || !/^\d+$/.test(usec)) return undefined;
  if (env.WATCHDOG_PID && env.WATCHDOG_PID !== String(pid)) return undefined;
  const ms = Math.floor(Number(usec) / 2000);
  return ms >= 1 ? ms : undefined;
}

/**
 * No scan pass of the spool finished for this long: the spool's pump is stuck (a hung file system, a
 * journal write that never returns). The spool scans at least every 30 s, and a pass over a healthy spool
 * takes well under a minute, so five minutes without one is not slowness.
 */
export const PUMP_STUCK_AFTER_MS = 5 * 60_000;

export interface PumpLiveness {
  /** When the spool last finished a scan pass (ms, the spool's clock); undefined before the spool runs. */
  lastScanAt: number | undefined;
  now: number;
  stuckAfterMs: number;
}

/**
 * Whether WATCHDOG=1 may be sent. The event loop is alive by the fact that this is asked from a timer; the
 * spool's pump is alive when its last scan is recent. Before the spool has started (start-up, bounded by
 * TimeoutStartSec) there is no pump to judge yet.
 */
export function pumpAlive(p: PumpLiveness): boolean {
  if (p.lastScanAt === undefined) return true;
  return p.now - p.lastScanAt <= p.stuckAfterMs;
}
