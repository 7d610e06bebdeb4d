import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTarget } from '../../src/storage/local-target';
import { tempDir, writeRecording } from '../helpers/storage-fixtures';

const RESULT = { endedAt: '2026-11-24T10:00:05.000Z', durationMs: 5000, completionCause: 'success' };

t.test('two recordings under one key: two files, the first untouched, the second suffixed', async (t) => {
  const dir = tempDir(t, 'fsrecd-local-nr-');
  const target = new LocalTarget(join(dir, 'store'));
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'first recording');
  const b = writeRecording(dir, 'rec-b', 'acme/call.wav', 'second, other bytes');
  t.match(await target.put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.match(await target.put(b.path, 'acme/call.wav', b, RESULT), { key: 'acme/call-2.wav' }, 'the key actually used is returned');
  t.equal(readFileSync(join(dir, 'store/acme/call.wav'), 'utf8'), 'first recording', 'not replaced');
  t.equal(readFileSync(join(dir, 'store/acme/call-2.wav'), 'utf8'), 'second, other bytes');
  t.equal(JSON.parse(readFileSync(join(dir, 'store/acme/call.wav.json'), 'utf8')).id, 'rec-a', 'first metadata not replaced');
  t.equal(JSON.parse(readFileSync(join(dir, 'store/acme/call-2.wav.json'), 'utf8')).id, 'rec-b', 'metadata beside the key used');
  t.same(readdirSync(join(dir, 'store/acme')).sort(), ['call-2.wav', 'call-2.wav.json', 'call.wav', 'call.wav.json'], 'no temporaries left');
});

t.test('the same recording again (a run that died before journaling it): same key, not copied again', async (t) => {
  const dir = tempDir(t, 'fsrecd-local-nr-');
  const target = new LocalTarget(join(dir, 'store'));
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio');
  await target.put(a.path, 'acme/call.wav', a, RESULT);
  const before = statSync(join(dir, 'store/acme/call.wav'));
  t.match(await new LocalTarget(join(dir, 'store')).put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  const after = statSync(join(dir, 'store/acme/call.wav'));
  t.equal(after.ino, before.ino, 'the very same file: nothing copied over it');
  t.equal(after.mtimeMs, before.mtimeMs);
  t.notOk(existsSync(join(dir, 'store/acme/call-2.wav')), 'no duplicate');
});

t.test('a crash after the audio, before its metadata: the next put adds the metadata, copies nothing', async (t) => {
  const dir = tempDir(t, 'fsrecd-local-nr-');
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio');
  mkdirSync(join(dir, 'store/acme'), { recursive: true });
  writeFileSync(join(dir, 'store/acme/call.wav'), 'the audio');
  const ino = statSync(join(dir, 'store/acme/call.wav')).ino;
  t.match(await new LocalTarget(join(dir, 'store')).put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call.wav' });
  t.equal(statSync(join(dir, 'store/acme/call.wav')).ino, ino);
  t.equal(JSON.parse(readFileSync(join(dir, 'store/acme/call.wav.json'), 'utf8')).id, 'rec-a');
});

t.test("another recording's metadata with no audio beside it still takes the key", async (t) => {
  const dir = tempDir(t, 'fsrecd-local-nr-');
  mkdirSync(join(dir, 'store/acme'), { recursive: true });
  writeFileSync(join(dir, 'store/acme/call.wav.json'), JSON.stringify({ id: 'someone-else' }));
  const a = writeRecording(dir, 'rec-a', 'acme/call.wav', 'the audio');
  t.match(await new LocalTarget(join(dir, 'store')).put(a.path, 'acme/call.wav', a, RESULT), { key: 'acme/call-2.wav' });
  t.equal(JSON.parse(readFileSync(join(dir, 'store/acme/call.wav.json'), 'utf8')).id, 'someone-else', 'untouched');
});

t.test('twelve recordings racing for one key: twelve files, none replaced', async (t) => {
  const dir = tempDir(t, 'fsrecd-local-nr-');
  const target = new LocalTarget(join(dir, 'store'));
  const recs = Array.from({ length: 12 }, (_, i) => writeRecording(dir, `rec-${i}`, 'acme/call.wav', `recording number ${i}`));
  const keys = await Promise.all(recs.map((m) => target.put(m.path, 'acme/call.wav', m, RESULT).then((r) => r.key)));
  t.equal(new Set(keys).size, 12, 'twelve keys');
  for (const [i, key] of keys.entries()) {
    t.equal(readFileSync(join(dir, 'store', key), 'utf8'), `recording number ${i}`, `${key} holds recording ${i}`);
    t.equal(JSON.parse(readFileSync(join(dir, 'store', `${key}.json`), 'utf8')).id, `rec-${i}`);
  }
});
