/**
 * The simulator's uuid_record media bugs: start, stop, mask, the files they leave, their RECORD_START and
 * RECORD_STOP events, and when each one was fed audio.
 *
 * Modelled on FreeSWITCH's src/switch_ivr_async.c (master, cc93a683), not guessed:
 * - switch_ivr_record_session_event opens the file and adds the media bug at once; the bug's INIT callback
 *   (record_callback, SWITCH_ABC_TYPE_INIT) fires RECORD_START right then, whether or not the channel is
 *   answered. The limit (`to = now + limit`) counts from this moment too.
 * - RECORD_ANSWER_REQ=true sets SMBF_ANSWER_REQ, RECORD_BRIDGE_REQ=true SMBF_BRIDGE_REQ. switch_core_io.c
 *   (switch_core_session_read_frame / write_frame) skips such a bug while the channel lacks CF_ANSWERED, resp.
 *   CF_BRIDGED, so the file's first sample is the first frame after answer (bridge); a bridge-gated bug stops
 *   being fed when the channel is unbridged and resumes at the next bridge.
 * - At close (SWITCH_ABC_TYPE_CLOSE) a bug that never wrote (`!rh->writes`) has its file removed
 *   (switch_file_remove), the channel variable RECORD_DISCARDED=true set, and completion cause `empty-file`; a
 *   file shorter than RECORD_MIN_SEC: removed, `input-too-short`. Otherwise a hung-up channel gives
 *   `success-silence` (speech seen). send_record_stop_event then ALWAYS fires RECORD_STOP, with
 *   Record-File-Path, Record-Completion-Cause and the record_* channel variables. So an armed recording on a
 *   call never answered ends with RECORD_STOP (empty-file, RECORD_DISCARDED) and no file.
 * - RECORD_DISCARDED is a channel variable that nothing clears: a later RECORD_STOP on the same channel still
 *   carries variable_RECORD_DISCARDED=true. The simulator keeps that trap.
 */
import type { SimChannel } from './channel';
import type { RecordEventFault, SimFaults } from './faults';
import { finishRecording, prepareRecordingFile, type ActiveSimRecording, type FinishedSimRecording, type RecordGate } from './uuid-record';

type Headers = Array<[string, string]>;

export interface RecordingsHost {
  clockUs(): number;
  readonly faults: SimFaults;
  eventHeaders(name: 'RECORD_START' | 'RECORD_STOP', ch: SimChannel, extra: Record<string, string>): Headers;
  send(name: string, headers: Headers): Promise<void>;
  /** A file closed as FreeSWITCH leaves it, before any client hears its RECORD_STOP. */
  finished(done: FinishedSimRecording): void;
}

/**
 * When a recording got audio, for measuring the audio lost at the start of a call:
 * lostAfterAnswerUs = firstSampleUs − answeredUs (0 when armed with RECORD_ANSWER_REQ; the start delay when
 * uuid_record ran after answer).
 */
export interface RecordingTimeline {
  path: string;
  uuid: string;
  gate: RecordGate;
  /** uuid_record start (RECORD_START went out). */
  armedUs: number;
  /** The channel's answer and (first) bridge, 0 when it never was. */
  answeredUs: number;
  bridgedUs: number;
  /** The first sample written to the file; 0 when none was (the file is discarded). */
  firstSampleUs: number;
  /** RECORD_STOP; 0 while recording. */
  stoppedUs: number;
  lostAfterAnswerUs?: number;
  lostAfterBridgeUs?: number;
}

interface Entry {
  ch: SimChannel;
  rec: ActiveSimRecording;
  firstBridgeUs: number;
  stoppedUs: number;
}

/** Timelines kept for finished recordings (a long benchmark must not grow without bound). */
const MAX_TIMELINES = 200_000;

function gateOf(vars: Map<string, string>, ch: SimChannel): RecordGate {
  // get_recording_var: the command's {vars} first, then the channel's variables (switch_true: true/yes/on/1).
  const isTrue = (name: string): boolean => /^(true|yes|on|1|enabled|active|allow)$/i.test(vars.get(name) ?? ch.vars.get(name) ?? '');
  if (isTrue('RECORD_BRIDGE_REQ')) return 'bridge';
  if (isTrue('RECORD_ANSWER_REQ')) return 'answer';
  return 'none';
}

function gateOpen(gate: RecordGate, ch: SimChannel): boolean {
  if (ch.state === 'hangup') return false;
  if (gate === 'answer') return ch.state === 'answered';
  if (gate === 'bridge') return ch.inBridge === true;
  return true;
}

export class SimRecordings {
  readonly #byChannel = new Map<string, Map<string, Entry>>();
  readonly #timelines = new Map<string, Entry>();

  constructor(private readonly host: RecordingsHost) {}

  pathsOf(uuid: string): string[] {
    return [...(this.#byChannel.get(uuid)?.keys() ?? [])];
  }

  clear(): void {
    this.#byChannel.clear();
  }

  start(ch: SimChannel, path: string, limitSec: number, vars: Map<string, string>): void {
    prepareRecordingFile(path);
    const stereo = (vars.get('RECORD_STEREO') ?? ch.vars.get('RECORD_STEREO') ?? ch.vars.get('record_stereo') ?? 'true') === 'true';
    const rate = Number(vars.get('record_sample_rate') ?? ch.vars.get('record_sample_rate') ?? 8000) || 8000;
    const minSec = Number(vars.get('RECORD_MIN_SEC') ?? ch.vars.get('RECORD_MIN_SEC') ?? 0) || 0;
    let recs = this.#byChannel.get(ch.uuid);
    if (!recs) {
      recs = new Map();
      this.#byChannel.set(ch.uuid, recs);
    }
    const now = this.host.clockUs();
    const gate = gateOf(vars, ch);
    const rec: ActiveSimRecording = { path, startedUs: now, gate, open: [], limitSec, minSec, format: { sampleRate: rate, channels: stereo ? 2 : 1 }, masks: [] };
    if (gateOpen(gate, ch)) rec.open.push([now, undefined]);
    rec.eventFault = this.host.faults.nextRecordFault();
    const entry: Entry = { ch, rec, firstBridgeUs: ch.inBridge ? ch.bridgedUs : 0, stoppedUs: 0 };
    recs.set(path, entry);
    this.#remember(path, entry);
    ch.vars.set('record_stereo', stereo ? 'true' : 'false');
    const start = this.host.eventHeaders('RECORD_START', ch, { 'Record-File-Path': path });
    if (rec.eventFault === 'stop-before-start') rec.heldStart = start;
    else void this.#sendTimes('RECORD_START', start, rec.eventFault);
  }

  /** The channel was answered, bridged, unbridged or hung up: gated recordings start or pause writing. */
  gateChanged(ch: SimChannel): void {
    const now = this.host.clockUs();
    for (const entry of this.#byChannel.get(ch.uuid)?.values() ?? []) {
      const { rec } = entry;
      if (ch.inBridge && entry.firstBridgeUs === 0) entry.firstBridgeUs = ch.bridgedUs || now;
      const last = rec.open.at(-1);
      const writing = last !== undefined && last[1] === undefined;
      const open = gateOpen(rec.gate, ch);
      if (open && !writing) rec.open.push([now, undefined]);
      if (!open && writing) last[1] = now;
    }
  }

  /** uuid_record stop: false when no such recording runs ('all' stops every one). */
  stop(ch: SimChannel, path: string): boolean {
    const recs = this.#byChannel.get(ch.uuid);
    const targets = path === 'all' ? [...(recs?.keys() ?? [])] : recs?.has(path) ? [path] : [];
    if (targets.length === 0) return false;
    for (const p of targets) void this.#stopOne(ch, p, 'success-maxtime');
    return true;
  }

  /**
   * switch_ivr_transfer_recordings (uuid_transfer -bleg with recording_follow_transfer=true): the media bugs move
   * to the other leg (switch_core_media_bug_transfer_callback); the INIT on the new leg sends no second
   * RECORD_START, and the RECORD_STOP comes from the new leg.
   */
  move(from: SimChannel, to: SimChannel): void {
    const recs = this.#byChannel.get(from.uuid);
    if (!recs) return;
    this.#byChannel.delete(from.uuid);
    let dest = this.#byChannel.get(to.uuid);
    if (!dest) {
      dest = new Map();
      this.#byChannel.set(to.uuid, dest);
    }
    for (const [path, entry] of recs) {
      entry.ch = to;
      dest.set(path, entry);
    }
    this.gateChanged(to);
  }

  mask(ch: SimChannel, path: string, mask: boolean): boolean {
    const rec = this.#byChannel.get(ch.uuid)?.get(path)?.rec;
    if (!rec) return false;
    const now = this.host.clockUs();
    const open = rec.masks.at(-1);
    if (mask && (!open || open[1] !== undefined)) rec.masks.push([now, undefined]);
    if (!mask && open && open[1] === undefined) open[1] = now;
    return true;
  }

  /** Every recording of the channel, as the media bugs close when it hangs up. */
  async stopAll(ch: SimChannel, cause: string): Promise<void> {
    for (const path of this.pathsOf(ch.uuid)) await this.#stopOne(ch, path, cause);
    this.#byChannel.delete(ch.uuid);
  }

  timeline(path: string): RecordingTimeline | undefined {
    const entry = this.#timelines.get(path);
    if (!entry) return undefined;
    const { ch, rec } = entry;
    const firstSampleUs = rec.open[0]?.[0] ?? 0;
    const out: RecordingTimeline = {
      path,
      uuid: ch.uuid,
      gate: rec.gate,
      armedUs: rec.startedUs,
      answeredUs: ch.answeredUs,
      bridgedUs: entry.firstBridgeUs,
      firstSampleUs,
      stoppedUs: entry.stoppedUs,
    };
    if (firstSampleUs && ch.answeredUs) out.lostAfterAnswerUs = firstSampleUs - ch.answeredUs;
    if (firstSampleUs && entry.firstBridgeUs) out.lostAfterBridgeUs = firstSampleUs - entry.firstBridgeUs;
    return out;
  }

  #remember(path: string, entry: Entry): void {
    this.#timelines.delete(path);
    this.#timelines.set(path, entry);
    if (this.#timelines.size > MAX_TIMELINES) {
      const oldest = this.#timelines.keys().next().value;
      if (oldest !== undefined) this.#timelines.delete(oldest);
    }
  }

  /** Sends a RECORD_* event as often as the recording's event fault says (once when there is none). */
  async #sendTimes(name: 'RECORD_START' | 'RECORD_STOP', headers: Headers, fault: RecordEventFault | undefined): Promise<void> {
    const kind = name === 'RECORD_START' ? 'start' : 'stop';
    if (fault === `omit-${kind}`) return;
    await this.host.send(name, headers);
    if (fault === `duplicate-${kind}`) await this.host.send(name, headers);
  }

  async #stopOne(ch: SimChannel, path: string, cause: string): Promise<void> {
    const recs = this.#byChannel.get(ch.uuid);
    const entry = recs?.get(path);
    if (!entry) return;
    recs?.delete(path);
    const { rec } = entry;
    const now = this.host.clockUs();
    entry.stoppedUs = now;
    const last = rec.open.at(-1);
    if (last && last[1] === undefined) last[1] = now;
    const done = finishRecording(rec, now, cause, ch.media);
    this.host.finished(done);
    for (const [k, v] of [
      ['record_file_size', String(done.size)],
      ['record_samples', String(done.samples)],
      ['record_seconds', String(Math.floor(done.ms / 1000))],
      ['record_ms', String(done.ms)],
      ['record_completion_cause', done.cause],
    ] as const) ch.vars.set(k, v);
    if (done.discarded) ch.vars.set('RECORD_DISCARDED', 'true');
    const extra: Record<string, string> = { 'Record-File-Path': path, 'Record-Completion-Cause': done.cause };
    await this.#sendTimes('RECORD_STOP', this.host.eventHeaders('RECORD_STOP', ch, extra), rec.eventFault);
    if (rec.heldStart) await this.host.send('RECORD_START', rec.heldStart);
  }
}
