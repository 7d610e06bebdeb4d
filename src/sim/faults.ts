/**
 * Fault injection for the simulator's event socket, so fault tests can make FreeSWITCH misbehave the ways
 * a real one does. Everything here is reached as `sim.faults`; the other switches live on the simulator.
 *
 *   sim.faults.delayReply(/^uuid_record .* start/, 3000)
 *       api replies to matching commands come `ms` later (bgapi: the BACKGROUND_JOB with the result). The
 *       command takes effect at once (RECORD_START goes out); only the reply is late, and later replies on
 *       that connection queue behind it, as on FreeSWITCH's one-command-at-a-time socket. Every matching
 *       command until clear(), or `times` of them.
 *   sim.faults.dropAfter(/^uuid_record .* start/)
 *       the next matching api/bgapi command is carried out (FreeSWITCH records on) and then the connection
 *       is closed before any reply or event reaches that client. `times` for more than one.
 *   sim.faults.recordEvents('duplicate-start' | 'duplicate-stop' | 'omit-start' | 'omit-stop' |
 *                           'stop-before-start', recordings = 1)
 *       RECORD_START/RECORD_STOP of the next `recordings` uuid_record starts are sent twice, not at all, or
 *       swapped (START is held back and sent right after the STOP). The recording itself is unaffected:
 *       the file is written and uuid_buglist lists it while it runs.
 *   sim.faults.clear()
 *       removes every pending fault.
 *
 * On the simulator itself:
 *   sim.freeze() / sim.thaw()   a vanished host: sockets stay open, nothing at all is sent (no events, no
 *                               HEARTBEAT, no replies, new connections get no auth/request), commands that
 *                               arrive are lost; calls go on inside. thaw() resumes output (a connection
 *                               accepted while frozen is then greeted).
 *   sim.sendRaw(bytes)          writes raw bytes to every connection (malformed frames for fuzz tests).
 *   heartbeatMs option          HEARTBEAT every this many ms to subscribed connections (20000; 0 = never).
 *   api uuid_buglist <uuid>     answers with the channel's running recordings, as FreeSWITCH does.
 */

export type RecordEventFault = 'duplicate-start' | 'duplicate-stop' | 'omit-start' | 'omit-stop' | 'stop-before-start';

interface Rule {
  pattern: RegExp;
  /** Matches still to act on. */
  left: number;
}

/** `pattern.test` would move lastIndex for /g and /y patterns; search() never does. */
function matches(pattern: RegExp, command: string): boolean {
  return command.search(pattern) >= 0;
}

function take<T extends Rule>(rules: T[], command: string): T | undefined {
  const rule = rules.find((r) => r.left > 0 && matches(r.pattern, command));
  if (rule) rule.left--;
  return rule;
}

export class SimFaults {
  readonly #delays: Array<Rule & { ms: number }> = [];
  readonly #drops: Rule[] = [];
  readonly #recordEvents: RecordEventFault[] = [];

  delayReply(pattern: RegExp, ms: number, times = Infinity): void {
    this.#delays.push({ pattern, ms, left: times });
  }

  dropAfter(pattern: RegExp, times = 1): void {
    this.#drops.push({ pattern, left: times });
  }

  recordEvents(fault: RecordEventFault, recordings = 1): void {
    for (let i = 0; i < recordings; i++) this.#recordEvents.push(fault);
  }

  clear(): void {
    this.#delays.length = 0;
    this.#drops.length = 0;
    this.#recordEvents.length = 0;
  }

  /** How long to hold the reply to `command` (0: not at all). Used by the session. */
  replyDelayFor(command: string): number {
    return take(this.#delays, command)?.ms ?? 0;
  }

  /** Whether to close the connection after carrying out `command`. Used by the session. */
  dropAfterCommand(command: string): boolean {
    return take(this.#drops, command) !== undefined;
  }

  /** The event fault for the recording starting now, if one is pending. Used by the simulator. */
  nextRecordFault(): RecordEventFault | undefined {
    return this.#recordEvents.shift();
  }
}
