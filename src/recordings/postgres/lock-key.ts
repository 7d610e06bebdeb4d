/** PostgreSQL advisory locks are keyed by one bigint: a name's key is the first 8 bytes of its SHA-256, the same on every node and every build. */
import { createHash } from 'node:crypto';

/** The key as a decimal string (a signed 64-bit value does not fit a JavaScript number; pass it as `$1::bigint`). */
export function lockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}
