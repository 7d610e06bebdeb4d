/** The one backoff (ESL reconnects, upload and journal retries): bounds, growth, cap, and the counting form. */
import t from 'tap';
import { Backoff, retryDelay } from '../../src/util/backoff';

const TOP = () => 0.999999;

t.test('a wait is never below min, grows as min * 2^attempt with full jitter, and is capped at max', async (t) => {
  t.same([0, 1, 2, 3, 4, 5].map((a) => retryDelay(a, 100, 1000, TOP)), [100, 199, 399, 799, 999, 999]);
  t.same([0, 1, 2, 3, 4, 5].map((a) => retryDelay(a, 100, 1000, () => 0)), [100, 100, 100, 100, 100, 100], 'jitter reaches down to min');
  t.equal(retryDelay(3, 100, 1000, () => 0.5), 400, 'half of the ceiling 800');
  t.equal(retryDelay(1e6, 100, 1000, () => 0.5), 500, 'a huge attempt count neither overflows nor passes max');
});

t.test('Backoff counts the attempts: the same waits as retryDelay(0, 1, 2…), until reset', async (t) => {
  const b = new Backoff(100, 1000, TOP);
  t.same([b.next(), b.next(), b.next(), b.next(), b.next()], [100, 199, 399, 799, 999]);
  t.equal(b.max(), 1000);
  b.reset();
  t.equal(b.next(), 100, 'starts over after a good connection');
  const long = new Backoff(1, 2 ** 40, TOP);
  let last = 0;
  for (let i = 0; i < 40; i++) last = long.next();
  t.equal(last, Math.floor(TOP() * 2 ** 30), 'the exponent stops at 30 (2^30 ms is over 12 days)');
});
