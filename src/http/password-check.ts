/**
 * Checks a user's password off the event loop (crypto.scrypt runs in libuv's thread pool), and pays the
 * same scrypt for a user name that does not exist, or whose file line holds a plain password, as for
 * one with a hash: how long a failed login takes does not tell which names exist.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { parseScrypt, SCRYPT_MAXMEM, type UserEntry } from '../config/credentials-file';
import { DEFAULT_SCRYPT_N } from './credentials';

/** scrypt(password, salt) of `keylen` bytes at cost N; injectable so tests can count and time the work. */
export type Hasher = (password: string, salt: Buffer, keylen: number, n: number) => Promise<Buffer>;

export const scryptHasher: Hasher = (password, salt, keylen, n) =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N: n, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });

/**
 * The cost a check without a hash of its own pays: the one most users' hashes have (ties: the dearer),
 * so those checks take as long as a typical real one.
 */
export function decoyCost(users: Iterable<UserEntry>): number {
  const counts = new Map<number, number>();
  for (const u of users) {
    const h = parseScrypt(u.secret);
    if (h) counts.set(h.n, (counts.get(h.n) ?? 0) + 1);
  }
  let best = DEFAULT_SCRYPT_N;
  let seen = 0;
  for (const [n, c] of counts) {
    if (c > seen || (c === seen && n > best)) [best, seen] = [n, c];
  }
  return best;
}

const KEY_LENGTH = 32;

export class PasswordCheck {
  /** A salt and hash no password matches (2^-256): what an unknown user's check is compared with. */
  readonly #decoySalt = randomBytes(16);
  readonly #decoyHash = randomBytes(KEY_LENGTH);

  constructor(private readonly hasher: Hasher = scryptHasher) {}

  /** Exactly one scrypt per call, at the entry's cost or else at `decoyN`; secrets compared in constant time. */
  async verify(entry: UserEntry | undefined, password: string, decoyN: number): Promise<boolean> {
    const h = entry ? parseScrypt(entry.secret) : undefined;
    if (h) return timingSafeEqual(await this.hasher(password, h.salt, h.hash.length, h.n), h.hash);
    const key = await this.hasher(password, this.#decoySalt, KEY_LENGTH, decoyN);
    // Compared like a real hash (never equal) so an unknown name does the same work as a known one.
    if (!entry) {
      timingSafeEqual(key, this.#decoyHash);
      return false;
    }
    return timingSafeEqual(digest(password), digest(entry.secret));
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
