/** The one-line STATUS= systemd shows in `systemctl status fsrecd`: what an operator checks first. */

export interface StatusFacts {
  /** host:port of FreeSWITCH's event socket. */
  freeswitch: string;
  eslConnected: boolean;
  /** The event socket was up at least once since start. */
  eslEverConnected: boolean;
  liveCalls: number;
  backlogFiles: number;
  oldestAgeSeconds: number;
  /** The spool's problems (journal writes failing, disk nearly full). */
  problems: readonly string[];
}

export function statusLine(f: StatusFacts): string {
  const esl = f.eslConnected
    ? `FreeSWITCH ${f.freeswitch} connected, ${f.liveCalls} live call${f.liveCalls === 1 ? '' : 's'}`
    : f.eslEverConnected
      ? `FreeSWITCH ${f.freeswitch} disconnected, reconnecting`
      : `waiting for FreeSWITCH at ${f.freeswitch}`;
  const backlog = f.backlogFiles === 0 ? 'no upload backlog' : `upload backlog ${f.backlogFiles} file${f.backlogFiles === 1 ? '' : 's'}, oldest ${formatAge(f.oldestAgeSeconds)}`;
  const problems = f.problems.length ? `; ${f.problems.join('; ')}` : '';
  return `${esl}; ${backlog}${problems}`;
}

function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
