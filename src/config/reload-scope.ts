/**
 * What a live reload (SIGHUP, a watched file) cannot change. The daemon opened these at the start (the ESL
 * connection, the spool and its lock, the storage client, the hook dispatcher, the HTTP listener, the
 * recordings index with its engine and connections), so a new value waits for a restart: the reload says
 * so for each, and the configuration in force keeps the running value, so nothing reads a value the
 * daemon is not using. Rules, names and features apply at once.
 */
import type { FsrecdConfig } from './types';

export interface ReloadScope {
  /** The settings whose new value takes effect at the next restart (for the log). */
  needRestart: string[];
  /** `next` with every restart-only setting as it runs now. */
  inForce: FsrecdConfig;
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

export function reloadScope(running: FsrecdConfig, next: FsrecdConfig): ReloadScope {
  const checks: Array<[string, boolean]> = [
    // The password is a Secret, which JSON shows as a placeholder: compared on its own.
    ['esl', differs(next.esl, running.esl) || next.esl.password.reveal() !== running.esl.password.reveal()],
    ['spool_dir/state_dir', next.spoolDir !== running.spoolDir || next.stateDir !== running.stateDir],
    ['storage', differs(next.storage, running.storage)],
    ['hooks', differs(next.hooks, running.hooks)],
    ['http.listen/http.tls', next.http.listen !== running.http.listen || differs(next.http.tls, running.http.tls)],
    // Another engine or database would split the index in two: what was written stays in the old one.
    ['index', differs(next.index ?? { type: 'sqlite' }, running.index ?? { type: 'sqlite' })],
  ];
  return {
    needRestart: checks.filter(([, changed]) => changed).map(([what]) => what),
    inForce: {
      ...next,
      esl: running.esl,
      spoolDir: running.spoolDir,
      stateDir: running.stateDir,
      storage: running.storage,
      hooks: running.hooks,
      http: { ...next.http, listen: running.http.listen, tls: running.http.tls },
      index: running.index,
    },
  };
}
