/**
 * Builds the `uuid_record` command line. FreeSWITCH splits it on blanks (single quotes group), so a blank in
 * the path would silently truncate it and shift the rest into <limit>; a CR/LF would end the ESL command and
 * start another. The naming layer never produces such paths; this is the last gate before the socket.
 */
import type { RecordingOptions } from '../config/types';

const UNSAFE = /[\s'"{}\\\p{Cc}]/u;

export class UnsafeRecordPathError extends Error {
  constructor(readonly path: string) {
    super(`refusing to send a recording path with blanks, quotes, braces or control characters: ${JSON.stringify(path)}`);
    this.name = 'UnsafeRecordPathError';
  }
}

export function assertSafeToken(value: string): string {
  if (value.length === 0 || UNSAFE.test(value)) throw new UnsafeRecordPathError(value);
  return value;
}

/**
 * Per-recording variables travel inside the command (`{RECORD_STEREO=true,…}`) rather than via uuid_setvar:
 * channel variables linger and would leak into a later recording of the same channel (an on-demand one).
 */
export function recordingVars(options: RecordingOptions, armed = false): string {
  const vars: string[] = [`RECORD_STEREO=${options.stereo ? 'true' : 'false'}`];
  if (options.minSeconds > 0) vars.push(`RECORD_MIN_SEC=${Math.floor(options.minSeconds)}`);
  if (options.sampleRate) vars.push(`record_sample_rate=${Math.floor(options.sampleRate)}`);
  if (options.startOn === 'bridge') vars.push('RECORD_BRIDGE_REQ=true');
  // Armed before answer: FreeSWITCH holds the file's first sample until the channel is answered.
  else if (armed) vars.push('RECORD_ANSWER_REQ=true');
  return `{${vars.join(',')}}`;
}

export function recordStartCommand(legUuid: string, path: string, options: RecordingOptions, armed = false): string {
  const limit = options.maxSeconds > 0 ? Math.floor(options.maxSeconds) : 0;
  return `uuid_record ${assertSafeToken(legUuid)} start ${assertSafeToken(path)} ${limit} ${recordingVars(options, armed)}`;
}

export function recordStopCommand(legUuid: string, path: string): string {
  return `uuid_record ${assertSafeToken(legUuid)} stop ${assertSafeToken(path)}`;
}

export function recordMaskCommand(legUuid: string, path: string, mask: boolean): string {
  return `uuid_record ${assertSafeToken(legUuid)} ${mask ? 'mask' : 'unmask'} ${assertSafeToken(path)}`;
}
