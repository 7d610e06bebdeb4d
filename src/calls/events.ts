/** What the call registry tells the rest of the daemon, already read and checked at the edge. */
import type { RecordStart, RecordStopInfo } from './record-stop';
import type { Call, Leg } from './types';

export type CallEvents = {
  legCreated: [leg: Leg, call: Call];
  legAnswered: [leg: Leg, call: Call];
  legParked: [leg: Leg, call: Call];
  callBridged: [call: Call, aLeg: Leg, bLeg: Leg | undefined];
  dtmf: [leg: Leg, call: Call, digit: string, atMs: number];
  /** RECORD_START / RECORD_STOP, read: the recorder matches them by path. */
  recordStart: [start: RecordStart];
  recordStop: [stop: RecordStopInfo];
  /** CHANNEL_HANGUP_COMPLETE: the leg is gone from FreeSWITCH; the registry drops it after this. */
  legGone: [leg: Leg, call: Call];
  /** The last leg of a call is gone. */
  callEnded: [call: Call];
};
