/**
 * Who may use the HTTP API: bearer tokens (tokens_file) and basic-auth users (users_file), each either
 * for every tenant or for one. Plain-text files so an operator can manage them with an editor and
 * `chmod 600`; the daemon re-reads them when they change. Their format and parsing are in
 * src/config/credentials-file.ts (check-config reads them too); this module makes and checks secrets.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { parseScrypt, SCRYPT_MAXMEM, sha256 } from '../config/credentials-file';

/** The cost `fsrecd passwd` uses, and the one a check for an unknown user pays when no hash says otherwise. */
export const DEFAULT_SCRYPT_N = 16384;

/** For `fsrecd passwd` (a command, not a request: it may block). */
export function hashPassword(password: string, n = DEFAULT_SCRYPT_N): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: n, maxmem: SCRYPT_MAXMEM });
  return `$scrypt$${n}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Synchronous, for commands and tests only: it blocks the event loop for the whole scrypt. The HTTP
 * listener checks passwords with PasswordCheck (password-check.ts), off the event loop.
 */
export function verifyPassword(password: string, secret: string): boolean {
  const h = parseScrypt(secret);
  if (h) return timingSafeEqual(scryptSync(password, h.salt, h.hash.length, { N: h.n, maxmem: SCRYPT_MAXMEM }), h.hash);
  return timingSafeEqual(Buffer.from(sha256(password), 'hex'), Buffer.from(sha256(secret), 'hex'));
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
