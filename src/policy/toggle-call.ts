/** A call to the *26 code is a feature call, not a call to record: one rule for the recorder and *26. */
import type { Leg } from '../calls/types';
import type { FsrecdConfig } from '../config/types';

export function isToggleCall(cfg: FsrecdConfig, leg: Leg): boolean {
  return cfg.features.toggle.enabled && leg.destinationNumber === cfg.features.toggle.code;
}
