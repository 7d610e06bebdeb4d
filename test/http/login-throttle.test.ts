/** The login throttle's bookkeeping, on a fake clock; and the address it counts a client by. */
import t from 'tap';
import { throttleAddress } from '../../src/http/client-address';
import { LoginThrottle, type ThrottleVerdict } from '../../src/http/login-throttle';

const WINDOW = 60_000;
const limits = { perAddress: { limit: 8, windowMs: WINDOW }, perUser: { limit: 5, windowMs: WINDOW }, maxKeys: 100 };

/** Admits and, like a wrong password, keeps the charge. */
function fail(th: LoginThrottle, address: string, user: string, now: number): ThrottleVerdict {
  return th.admit(address, user, now);
}

t.test('per user name: the limit, 429 timing, recovery after the window', async (t) => {
  const th = new LoginThrottle(limits);
  const start = 1_000_000;
  for (let i = 0; i < 5; i++) t.equal(fail(th, `198.51.100.${i}`, 'ops', start + i * 1000).allowed, true, `failure ${i + 1} is checked`);
  const refused = th.admit('198.51.100.99', 'ops', start + 10_000);
  t.same(refused, { allowed: false, retryAfterMs: WINDOW - 10_000, key: 'user ops', firstRefusal: true }, 'the sixth, from yet another address, waits for the window to end');
  t.match(th.admit('198.51.100.99', 'ops', start + 20_000), { allowed: false, retryAfterMs: WINDOW - 20_000, firstRefusal: false }, 'reported once per window');
  t.equal(th.admit('198.51.100.99', 'dev', start + 20_000).allowed, true, 'another name is not affected');
  t.equal(th.admit('198.51.100.99', 'ops', start + WINDOW - 1).allowed, false, 'still locked at the last millisecond');
  const after = th.admit('198.51.100.99', 'ops', start + WINDOW);
  t.equal(after.allowed, true, 'open again once the window is over');
  for (let i = 0; i < 4; i++) th.admit('198.51.100.98', 'ops', start + WINDOW + i);
  t.match(th.admit('198.51.100.97', 'ops', start + WINDOW + 10), { allowed: false, firstRefusal: true }, 'a new window, a new report');
});

t.test('per address: many names from one address hit its own limit', async (t) => {
  const th = new LoginThrottle(limits);
  for (let i = 0; i < 8; i++) t.equal(fail(th, '203.0.113.5', `name${i}`, 1000 + i).allowed, true);
  t.match(th.admit('203.0.113.5', 'fresh-name', 2000), { allowed: false, key: 'address 203.0.113.5', retryAfterMs: WINDOW - 1000 });
  t.equal(th.admit('203.0.113.6', 'fresh-name', 2000).allowed, true, 'another address is not affected');
  t.equal(th.admit('203.0.113.5', 'fresh-name', 1000 + WINDOW).allowed, true, 'recovers after the window');
});

t.test('a check that succeeds is refunded: good logins never lock anyone out', async (t) => {
  const th = new LoginThrottle(limits);
  for (let i = 0; i < 50; i++) {
    const v = th.admit('192.0.2.1', 'ops', 1000 + i);
    if (!v.allowed) return t.fail(`login ${i} throttled`);
    v.refund();
  }
  t.same(th.sizes, { addresses: 0, users: 0 }, 'nothing remembered');
  for (let i = 0; i < 4; i++) th.admit('192.0.2.1', 'ops', 2000);
  const good = th.admit('192.0.2.1', 'ops', 2000);
  if (good.allowed) good.refund();
  t.equal(th.admit('192.0.2.1', 'ops', 2000).allowed, true, 'four failures and a success leave one try');
  t.equal(th.admit('192.0.2.1', 'ops', 2000).allowed, false, 'then the limit');
});

t.test('a refund after the window rolled over does not touch the new window', async (t) => {
  const th = new LoginThrottle(limits);
  const slow = th.admit('192.0.2.1', 'ops', 0);
  for (let i = 0; i < 5; i++) th.admit('192.0.2.1', 'ops', WINDOW + i);
  if (slow.allowed) slow.refund();
  t.equal(th.admit('192.0.2.1', 'ops', WINDOW + 10).allowed, false, 'the new window keeps its five failures');
});

t.test('bounded: a spray of random names and addresses does not grow memory nor free a locked name', async (t) => {
  const th = new LoginThrottle(limits);
  for (let i = 0; i < 5; i++) th.admit(`10.0.0.${i}`, 'target', 0);
  t.equal(th.admit('10.0.1.1', 'target', 1).allowed, false, 'locked');
  for (let i = 0; i < 5000; i++) th.admit(`10.${(i >> 8) & 255}.${i & 255}.9`, `random-${i}`, 2 + i / 1000);
  t.ok(th.sizes.addresses <= 100 && th.sizes.users <= 100, `at most 100 keys each: ${JSON.stringify(th.sizes)}`);
  t.equal(th.admit('10.0.1.1', 'target', 10).allowed, false, 'the locked name stayed locked through the spray');
});

t.test('addresses: IPv4-mapped as IPv4, IPv6 by its /64', async (t) => {
  t.equal(throttleAddress('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(throttleAddress('192.0.2.7'), '192.0.2.7');
  t.equal(throttleAddress('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(throttleAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64', 'the same /64');
  t.equal(throttleAddress('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(throttleAddress('::1'), '0:0:0:0::/64');
  t.equal(throttleAddress('fe80::1%eth0'), 'fe80:0:0:0::/64');
  t.equal(throttleAddress(undefined), 'unknown');
});
