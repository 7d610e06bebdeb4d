import t from 'tap';
import { sharedText } from '../../src/calls/shared-text';

t.test('a shared value is the value: short, long, undefined, and past the pool bound', async (t) => {
  t.equal(sharedText(undefined), undefined);
  t.equal(sharedText('default'), 'default');
  t.equal(sharedText(''), '');
  const long = 'x'.repeat(500);
  t.equal(sharedText(long), long, 'a long value is kept as it is');
  // More distinct values than the pool holds: each still comes back as itself.
  const wrong: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const v = `context-${i}`;
    if (sharedText(v) !== v) wrong.push(v);
  }
  t.same(wrong, [], 'every value read back unchanged');
});
