/** Whether a failed command may still have been carried out by FreeSWITCH. */
import { EslCommandError, EslNotConnectedError } from '../esl/types';

/**
 * A command that may have reached FreeSWITCH: the reply timed out, or the connection dropped after it
 * was written. A -ERR is a refusal; "not connected" before sending, or an unsafe command, sent nothing.
 */
export function outcomeUnknown(err: unknown): boolean {
  if (err instanceof EslCommandError) return false;
  if (err instanceof EslNotConnectedError) return err.command === '(connection lost)';
  return !(err instanceof Error && /refusing/.test(err.message));
}
