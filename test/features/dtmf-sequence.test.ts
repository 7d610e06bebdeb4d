import t from 'tap';
import { DtmfSequenceMatcher } from '../../src/features/dtmf-sequence';

const TIMEOUT = 2000;

function feedAll(m: DtmfSequenceMatcher, leg: string, seq: Array<[string, number]>): Array<string | undefined> {
  return seq.map(([d, at]) => m.feed(leg, d, at));
}

t.test('*3 within the timeout matches; slow digits do not', async (t) => {
  const m = new DtmfSequenceMatcher(['*3'], TIMEOUT);
  t.same(feedAll(m, 'a', [['*', 0], ['3', 500]]), [undefined, '*3']);
  t.same(feedAll(m, 'a', [['*', 10_000], ['3', 10_000 + TIMEOUT + 1]]), [undefined, undefined], 'gap over the timeout');
  t.same(feedAll(m, 'a', [['*', 20_000], ['3', 20_000 + TIMEOUT]]), [undefined, '*3'], 'gap exactly at the timeout');
});

t.test('other digits reset; a second * starts a new sequence', async (t) => {
  const m = new DtmfSequenceMatcher(['*3'], TIMEOUT);
  t.same(feedAll(m, 'a', [['*', 0], ['4', 100], ['3', 200]]), [undefined, undefined, undefined]);
  t.same(feedAll(m, 'a', [['*', 1000], ['*', 1100], ['3', 1200]]), [undefined, undefined, '*3']);
  t.same(feedAll(m, 'a', [['3', 3000], ['1', 3100]]), [undefined, undefined], 'a lone 3 is nothing');
});

t.test('legs are independent and forgotten', async (t) => {
  const m = new DtmfSequenceMatcher(['*3'], TIMEOUT);
  t.equal(m.feed('a', '*', 0), undefined);
  t.equal(m.feed('b', '3', 100), undefined, 'b did not press *');
  t.equal(m.feed('a', '3', 200), '*3');
  m.feed('c', '*', 0);
  t.equal(m.trackedLegs, 1);
  m.forget('c');
  t.equal(m.trackedLegs, 0);
});

t.test('several codes, longer codes, reconfigure', async (t) => {
  const m = new DtmfSequenceMatcher(['*3', '*41'], TIMEOUT);
  t.same(feedAll(m, 'a', [['*', 0], ['4', 10], ['1', 20]]), [undefined, undefined, '*41']);
  t.same(feedAll(m, 'a', [['*', 100], ['4', 110], ['3', 120]]), [undefined, undefined, undefined]);
  m.reconfigure(['#9'], TIMEOUT);
  t.same(feedAll(m, 'a', [['*', 200], ['3', 210]]), [undefined, undefined], 'old code gone');
  t.same(feedAll(m, 'a', [['#', 300], ['9', 310]]), [undefined, '#9']);
});
