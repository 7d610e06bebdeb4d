/** Pure parts of the recordings API: query parsing, ids, Range, Content-Disposition, entries from storage. */
import t from 'tap';
import { parseRange } from '../../src/http/range';
import { entryFromStorage, idForKey } from '../../src/recordings/entry-from';
import { isRecordingId, parseQuery, parseTime } from '../../src/recordings/query';
import { contentDisposition } from '../../src/util/content-disposition';

const NOW = Date.UTC(2026, 10, 24, 12);

t.test('times: dates are UTC midnight, zone-less times are UTC, ages count back from now', async (t) => {
  t.equal(parseTime('from', '2026-11-24', NOW), Date.UTC(2026, 10, 24));
  t.equal(parseTime('from', '2026-11-24T08:30', NOW), Date.UTC(2026, 10, 24, 8, 30));
  t.equal(parseTime('from', '2026-11-24 08:30:15', NOW), Date.UTC(2026, 10, 24, 8, 30, 15));
  t.equal(parseTime('from', '2026-11-24T08:30:00+02:00', NOW), Date.UTC(2026, 10, 24, 6, 30));
  t.equal(parseTime('from', '2026-11-24T08:30:00.000Z', NOW), Date.UTC(2026, 10, 24, 8, 30));
  t.equal(parseTime('from', '30m', NOW), NOW - 30 * 60_000);
  t.equal(parseTime('from', '7d', NOW), NOW - 7 * 86_400_000);
  t.equal(parseTime('from', '2w', NOW), NOW - 14 * 86_400_000);
  for (const bad of ['yesterday', '2026-13-45', '24/11/2026', '7y', '', "2026-11-24'; DROP"]) t.throws(() => parseTime('from', bad, NOW), /^from: (expected a date|not a valid date)/, bad);
});

t.test('queries: every parameter checked, empty ones ignored, unknown ones refused', async (t) => {
  t.same(parseQuery([], NOW), { limit: 50 });
  t.same(parseQuery([['direction', 'inbound'], ['network', ''], ['q', ' 555 '], ['trigger', 'on-demand'], ['state', 'stored'], ['limit', '10'], ['before', '1795000000000:42']], NOW), { limit: 10, direction: 'inbound', text: '555', trigger: 'on-demand', state: 'stored', before: '1795000000000:42' });
  const cases: [string, string, RegExp][] = [
    ['direction', 'up', /direction: expected one of inbound, outbound/],
    ['network', 'onnet', /network: expected one of internal, external/],
    ['trigger', 'manual', /trigger: expected one of rule, on-demand, adopted/],
    ['state', 'gone', /state: expected one of/],
    ['limit', '1001', /limit: expected a whole number from 1 to 1000/],
    ['limit', '2.5', /limit/],
    ['before', '../x', /before: not a cursor/],
    ['q', 'x'.repeat(201), /q: at most 200 characters/],
    ['sort', 'asc', /unknown parameter "sort"/],
  ];
  for (const [k, v, re] of cases) t.throws(() => parseQuery([[k, v]], NOW), re, `${k}=${v.slice(0, 10)}`);
  t.throws(() => parseQuery([['from', '2026-11-24'], ['to', '2026-11-23']], NOW), /from must be before to/);
  t.same(parseQuery([['conversation', '6f1c2b7e-0000-4000-8000-000000000001'], ['queue', 'support'], ['agent', '1000@acme.example']], NOW), { limit: 50, conversation: '6f1c2b7e-0000-4000-8000-000000000001', queue: 'support', agent: '1000@acme.example' });
  t.throws(() => parseQuery([['conversation', '../x']], NOW), /conversation: not a conversation id "..\/x"/);
});

t.test('recording ids: nothing that could name another path', async (t) => {
  for (const ok of ['6f1c2b7e-0000-4000-8000-000000000001-1', 'adopted-6f1c2b7e-0000-4000-8000-000000000001', 'obj-0123456789abcdef0123456789abcdef', 'a.b_c-d']) t.ok(isRecordingId(ok), ok);
  for (const bad of ['', '..', '../x', 'a/b', 'a\\b', '.hidden', 'a..b', 'x y', 'x\n', 'x%2F', 'ü', 'a'.repeat(201)]) t.notOk(isRecordingId(bad), JSON.stringify(bad));
});

t.test('Range: one range, suffixes, clamping, 416', async (t) => {
  t.equal(parseRange(undefined, 100), undefined);
  t.same(parseRange('bytes=0-', 100), { start: 0, end: 99 });
  t.same(parseRange('bytes=10-19', 100), { start: 10, end: 19 });
  t.same(parseRange('bytes=90-500', 100), { start: 90, end: 99 }, 'clamped to the end');
  t.same(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  t.same(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  t.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  t.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  t.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  t.equal(parseRange('bytes=5-3', 100), undefined, 'invalid: the whole body');
  t.equal(parseRange('bytes=0-1,5-6', 100), undefined, 'several ranges: the whole body');
  t.equal(parseRange('items=0-1', 100), undefined);
});

t.test('Content-Disposition: an ASCII fallback and the exact UTF-8 name', async (t) => {
  t.equal(contentDisposition('attachment', 'a-1001.wav'), `attachment; filename="a-1001.wav"; filename*=UTF-8''a-1001.wav`);
  t.equal(contentDisposition('inline', 'Zoë "x"; y.wav'), `inline; filename="Zo_ _x__ y.wav"; filename*=UTF-8''Zo%C3%AB%20%22x%22%3B%20y.wav`);
  t.notMatch(contentDisposition('attachment', 'a\r\nSet-Cookie: x'), /[\r\n]/);
});

t.test('entries from storage: metadata objects from anywhere, trusted for nothing', async (t) => {
  const obj = { key: 'acme/x.wav', size: 10, etag: '"0123456789abcdef0123456789abcdef"', lastModified: new Date('2026-11-01T00:00:00Z') };
  const e = entryFromStorage(obj, { id: 'call-1-1', srcnum: '1000', direction: 'outbound', network: 'external', tenantUuid: 'acme', reasons: ['user a outbound×external on', 42], onDemand: true, startedAt: '2026-11-02T10:00:00.000Z', result: { durationMs: 5000, completionCause: 'success' } });
  t.match(e, { id: 'call-1-1', srcnum: '1000', direction: 'outbound', network: 'external', tenant: 'acme', reasons: ['user a outbound×external on'], trigger: 'on-demand', startedAt: '2026-11-02T10:00:00.000Z', durationMs: 5000, md5: '0123456789abcdef0123456789abcdef', state: 'stored', source: 'storage', format: 'wav' });
  const hostile = entryFromStorage(obj, { id: '../../etc/passwd', direction: 'sideways', startedAt: 'never', reasons: 'x' });
  t.equal(hostile.id, idForKey('acme/x.wav'), 'an id that is not an id is replaced');
  t.equal(hostile.direction, 'inbound');
  t.equal(hostile.startedAt, '2026-11-01T00:00:00.000Z', 'the object time when the metadata has none');
  t.same(hostile.reasons, ['found in storage']);
  t.equal(entryFromStorage({ ...obj, etag: '"abc-2"' }, { md5: 'fedcba9876543210fedcba9876543210' }).md5, 'fedcba9876543210fedcba9876543210', 'a multipart ETag is no MD5: the metadata has it');
  t.equal(entryFromStorage(obj, undefined).reasons[0], 'found in storage');
});
