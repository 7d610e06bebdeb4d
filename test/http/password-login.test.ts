/**
 * Password checks: scrypt off the event loop, the same work for unknown names, throttled per address
 * and per name (fake clock), logged once per window.
 */
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Access, type AccessOptions } from '../../src/http/access';
import { SCRYPT_MAXMEM } from '../../src/config/credentials-file';
import { hashPassword } from '../../src/http/credentials';
import { decoyCost, scryptHasher, type Hasher } from '../../src/http/password-check';
import { createLogger, silentLogger, type Logger } from '../../src/log';

const basic = (user: string, password: string, from = '192.0.2.1'): IncomingMessage =>
  ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, socket: { remoteAddress: from } }) as unknown as IncomingMessage;

/** A hasher that records each call's cost, then does the real work. */
function counting(inner: Hasher = scryptHasher): { hasher: Hasher; costs: number[] } {
  const costs: number[] = [];
  return { costs, hasher: (p, s, k, n) => (costs.push(n), inner(p, s, k, n)) };
}

function usersFile(t: { teardown(fn: () => unknown): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-pw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'users'), text);
  return join(dir, 'users');
}

function access(file: string, opts: AccessOptions, log: Logger = silentLogger()): Access {
  return new Access({ usersFile: file }, log, opts);
}

const LENIENT = { perAddress: { limit: 1000, windowMs: 60_000 }, perUser: { limit: 1000, windowMs: 60_000 }, maxKeys: 1000 };

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest the event loop stalled (ms) while 40 wrong passwords for `ops` were checked, all started
 * in one turn of the loop as 40 requests arriving together are. The monitor runs a little before and
 * after, so a stall shows even when all the work happened in that one turn.
 */
async function stallDuring40WrongPasswords(a: Access): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await tick(30);
  const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => a.authenticate(basic('ops', `wrong password ${i}`))));
  await tick(30);
  h.disable();
  if (verdicts.some((v) => v.kind !== 'refused')) throw new Error('a wrong password was not refused');
  return h.max / 1e6;
}

t.test('40 wrong passwords at once do not block the event loop', async (t) => {
  const file = usersFile(t, `ops:${hashPassword('the right password')}\n`);
  const real = counting();
  const stall = await stallDuring40WrongPasswords(access(file, { hasher: real.hasher, throttle: LENIENT }));
  t.same(real.costs, Array<number>(40).fill(16384), 'all 40 ran a full-cost scrypt');
  t.ok(stall < 300, `the event loop stalled at most ${stall.toFixed(1)} ms`);

  // The same with scrypt on the event loop (as before): the bound above is one it would not meet. The bound
  // leaves room for a loaded 2-core machine (up to ~130 ms seen there); the blocking version stays over 1 s.
  const blocking: Hasher = async (p, s, k, n) => scryptSync(p, s, k, { N: n, maxmem: SCRYPT_MAXMEM });
  const syncStall = await stallDuring40WrongPasswords(access(file, { hasher: blocking, throttle: LENIENT }));
  t.ok(syncStall > 300, `scryptSync would stall it ${syncStall.toFixed(0)} ms`);
});

t.test('unknown names and plain-password users pay the same scrypt as a hashed user', async (t) => {
  const file = usersFile(t, `ops:${hashPassword('the right password', 1024)}\nold:${hashPassword('the right password', 1024)}\nplain:a plain password\n`);
  const c = counting();
  const a = access(file, { hasher: c.hasher, throttle: LENIENT });
  const kinds = async (user: string, password: string) => {
    c.costs.length = 0;
    const v = await a.authenticate(basic(user, password));
    return { kind: v.kind, costs: [...c.costs] };
  };
  t.same(await kinds('ops', 'a wrong password'), { kind: 'refused', costs: [1024] }, 'wrong password: one scrypt at the hash\'s cost');
  t.same(await kinds('nobody', 'a wrong password'), { kind: 'refused', costs: [1024] }, 'unknown name: one scrypt at the same cost');
  t.same(await kinds('plain', 'a wrong password'), { kind: 'refused', costs: [1024] }, 'plain password, wrong: the same');
  t.same(await kinds('plain', 'a plain password'), { kind: 'ok', costs: [1024] }, 'plain password, right: the same');
  t.same(await kinds('ops', 'the right password'), { kind: 'ok', costs: [1024] });
  t.same(await kinds('ops', 'the right password'), { kind: 'ok', costs: [] }, 'a verified pair is remembered for a while');

  t.equal(decoyCost([]), 16384, 'no hashes: the cost fsrecd passwd uses');
  const entry = (secret: string) => ({ principal: { name: 'x', role: 'reader' as const }, secret, fingerprint: '' });
  t.equal(decoyCost([entry(hashPassword('p', 1024)), entry(hashPassword('p', 2048)), entry(hashPassword('p', 2048)), entry('plain pw 1')]), 2048, 'the cost most hashes have');
});

t.test('parallel checks of one pair share one scrypt', async (t) => {
  const file = usersFile(t, `ops:${hashPassword('the right password', 1024)}\n`);
  const c = counting();
  const a = access(file, { hasher: c.hasher });
  const verdicts = await Promise.all(Array.from({ length: 10 }, () => a.authenticate(basic('ops', 'the right password'))));
  t.ok(verdicts.every((v) => v.kind === 'ok'), 'all ten in, none throttled');
  t.equal(c.costs.length, 1, 'one scrypt');
});

t.test('throttled per name and per address, on a fake clock; good logins cost nothing; logged once per window', async (t) => {
  const file = usersFile(t, `ops:${hashPassword('the right password', 1024)}\ndev:${hashPassword('the right password', 1024)}\n`);
  let now = 1_000_000;
  const logged: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (line: Buffer) => logged.push(line.toString()));
  const c = counting();
  const limits = { perAddress: { limit: 10, windowMs: 300_000 }, perUser: { limit: 5, windowMs: 300_000 }, maxKeys: 1000 };
  const a = access(file, { hasher: c.hasher, now: () => now, throttle: limits }, createLogger('info', stream));
  const throttledLines = () => logged.filter((l) => l.includes('throttled')).length;

  for (let i = 0; i < 20; i++) t.equal((await a.login({ user: 'ops', password: 'the right password' }, `192.0.2.${i}`)).kind, 'ok');
  for (let i = 0; i < 5; i++) t.equal((await a.authenticate(basic('ops', `wrong ${i}`, `198.51.100.${i}`))).kind, 'refused', `failure ${i + 1}, after 20 good logins`);
  c.costs.length = 0;
  now += 60_000;
  t.same(await a.authenticate(basic('ops', 'wrong again', '198.51.100.9')), { kind: 'throttled', retryAfterSeconds: 240 }, 'the sixth failure for ops waits for the window');
  t.same(await a.login({ user: 'ops', password: 'the right password' }, '203.0.113.1'), { kind: 'throttled', retryAfterSeconds: 240 }, 'the right password too: no guessing through the lock');
  t.same(await a.authenticate(basic('ops', 'the right password', '203.0.113.1')), { kind: 'throttled', retryAfterSeconds: 240 }, 'even one remembered as verified');
  t.same(c.costs, [], 'no scrypt ran for a throttled check');
  t.equal((await a.login({ user: 'dev', password: 'the right password' }, '203.0.113.1')).kind, 'ok', 'another user is not affected');
  t.equal(throttledLines(), 1, 'three throttled checks, one log line');

  now += 240_000;
  t.equal((await a.login({ user: 'ops', password: 'the right password' }, '203.0.113.1')).kind, 'ok', 'recovers after the window');

  // One address guessing many names: its own limit (10), whatever the names.
  for (let i = 0; i < 10; i++) t.equal((await a.authenticate(basic(`name${i}`, 'guess', '203.0.113.50'))).kind, 'refused');
  t.same(await a.authenticate(basic('dev', 'the right password', '203.0.113.50')), { kind: 'throttled', retryAfterSeconds: 300 }, 'the address is throttled for every name');
  t.equal((await a.authenticate(basic('dev', 'the right password', '203.0.113.51'))).kind, 'ok', 'the names themselves are not');
  t.equal(throttledLines(), 2, 'a new window, one more line');
  now += 300_000;
  t.equal((await a.authenticate(basic('dev', 'the right password', '203.0.113.50'))).kind, 'ok', 'the address recovers after its window');
});

t.test('a burst of parallel guesses is charged before any scrypt finishes', async (t) => {
  const file = usersFile(t, `ops:${hashPassword('the right password', 1024)}\n`);
  const c = counting();
  const a = access(file, { hasher: c.hasher, throttle: { perAddress: { limit: 100, windowMs: 60_000 }, perUser: { limit: 5, windowMs: 60_000 }, maxKeys: 100 } });
  const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => a.authenticate(basic('ops', `guess ${i}`))));
  t.equal(verdicts.filter((v) => v.kind === 'refused').length, 5, 'five checked and refused');
  t.equal(verdicts.filter((v) => v.kind === 'throttled').length, 25, 'the rest throttled at once');
  t.equal(c.costs.length, 5, 'only five scrypts ran');
});
