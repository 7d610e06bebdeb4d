/** Whose phone a leg is: one rule for the recording decision and the feature codes. */
import type { Leg } from '../calls/types';
import type { AccountConfig } from '../config/types';

/**
 * The user behind a leg's device: the YAML owner, else the directory's fsrecd_user, else the device itself
 * (on a plain FreeSWITCH, directory user 1000 is both the device and the person).
 */
export function userOf(account: AccountConfig, leg: Leg): string | undefined {
  const device = leg.device;
  return (device ? account.devices.get(device)?.user : undefined) ?? leg.userVar ?? device;
}
