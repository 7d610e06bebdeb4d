/** The batched listing's pure part: which range is listed, what a truncated or misordered listing can tell. */
import t from 'tap';
import { compareKeys, directoryOf, KeyListings, listKeys, startAfterFor, type ListedEntry, type ListPage, type ListQuery } from '../../src/storage/key-listing';

/** A sorted store answering pages as S3 does: keys under the prefix after startAfter, maxKeys at most. */
function store(keys: string[], opts: { misorder?: boolean } = {}): { list: (q: ListQuery) => Promise<ListPage>; queries: ListQuery[] } {
  const sorted = [...keys].sort(compareKeys);
  const queries: ListQuery[] = [];
  const list = async (q: ListQuery): Promise<ListPage> => {
    queries.push(q);
    const after = sorted.filter((k) => k.startsWith(q.prefix) && compareKeys(k, q.startAfter) > 0);
    const page = after.slice(0, q.maxKeys);
    if (opts.misorder) page.reverse();
    return { entries: page.map((key): ListedEntry => ({ key, size: key.length, etag: 'e' })), truncated: after.length > q.maxKeys };
  };
  return { list, queries };
}

t.test('the directory and the start just below a key', async (t) => {
  t.equal(directoryOf('acme/2026/a.wav'), 'acme/2026/');
  t.equal(directoryOf('a.wav'), '');
  t.equal(startAfterFor('acme/a.wav'), 'acme/a.wa');
  t.ok(compareKeys(startAfterFor('acme/a.wav'), 'acme/a.wav') < 0);
});

t.test('one page answers every key of the range: present, absent', async (t) => {
  const s = store(['acme/a.wav', 'acme/b.wav', 'acme/b.wav.json', 'acme/z.wav', 'other/a.wav']);
  const got = await listKeys(s.list, 'acme/', ['acme/b.wav', 'acme/b.wav.json', 'acme/c.wav', 'acme/a.wav.json']);
  t.equal(got.get('acme/b.wav')?.key, 'acme/b.wav');
  t.equal(got.get('acme/b.wav.json')?.key, 'acme/b.wav.json');
  t.equal(got.get('acme/c.wav'), null, 'listed range, nothing there');
  t.equal(got.get('acme/a.wav.json'), null);
  t.equal(s.queries.length, 1);
  t.same(s.queries[0], { prefix: 'acme/', startAfter: 'acme/a.wav.jso', maxKeys: 48 }, 'starts just below the smallest key asked');
});

t.test('a range past a few pages: what was not reached is left to a HEAD (undefined), never taken as absent', async (t) => {
  const many = Array.from({ length: 500 }, (_, i) => `d/k${String(i).padStart(4, '0')}`);
  const s = store(many);
  const got = await listKeys(s.list, 'd/', ['d/k0000', 'd/k0499', 'd/k9999']);
  t.equal(s.queries.length, 3, 'three pages, then it stops');
  t.equal(got.get('d/k0000')?.key, 'd/k0000');
  t.equal(got.get('d/k0499'), undefined, 'not reached: unknown');
  t.equal(got.get('d/k9999'), undefined);
  t.equal(s.queries[1]?.startAfter, s.queries[0] ? `d/k${String(s.queries[0].maxKeys - 1).padStart(4, '0')}` : '', 'each page starts after the last key of the one before');
});

t.test('a listing out of key order is not trusted at all', async (t) => {
  const s = store(['d/a', 'd/b', 'd/c'], { misorder: true });
  const got = await listKeys(s.list, 'd/', ['d/a', 'd/x']);
  t.same([...got.values()], [undefined, undefined]);
});

t.test('keys asked together share one listing; a lone key is listed at once; errors reach every caller', async (t) => {
  const s = store(['d/a', 'd/b']);
  const listings = new KeyListings(s.list);
  const answers = await Promise.all(['d/a', 'd/b', 'd/c', 'd/a'].map((k) => listings.lookup(k)));
  t.same(answers.map((a) => a?.key ?? a), ['d/a', 'd/b', null, 'd/a']);
  t.equal(s.queries.length, 1, 'one listing for four questions');
  t.equal((await listings.lookup('e/x')), null);
  t.equal(s.queries.length, 2, 'another directory: its own listing');
  const failing = new KeyListings(async () => Promise.reject(new Error('503 SlowDown')));
  await t.rejects(Promise.all([failing.lookup('d/a'), failing.lookup('d/b')]), /SlowDown/);
});
