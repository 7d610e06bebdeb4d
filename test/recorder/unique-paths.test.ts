import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { DiskNames, REFRESH_MS } from '../../src/recorder/disk-names';
import { UniquePaths } from '../../src/recorder/unique-paths';
import { waitFor } from '../helpers/wait-for';

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a directory is created and listed asynchronously on first use; then names are claimed from memory', async (t) => {
  const dir = join(tempDir(t), 'acme', 'day');
  const names = new DiskNames(silentLogger());
  t.notOk(names.known(dir), 'a directory never seen is not known');
  t.notOk(existsSync(dir), 'nothing was created synchronously');
  await names.settled(dir);
  t.ok(existsSync(dir), 'the directory exists once its listing is in');
  t.ok(names.known(dir), 'and the next start asks memory only');
});

t.test('a file already in the directory (an earlier run, still in the spool) is never named again', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '1000-2000.wav'), 'an earlier recording');
  writeFileSync(join(dir, '1000-2000-2.wav'), 'and another');
  const first = new UniquePaths(() => false, silentLogger());
  t.equal(first.claim(join(dir, '1000-2000.wav')), '-3', 'the first start in an unknown directory looks on disk');
  const later = new UniquePaths(() => false, silentLogger());
  later.claim(join(dir, 'other.wav'));
  await later.settled(dir);
  t.equal(later.claim(join(dir, '1000-2000.wav')), '-3', 'later starts find both names in the listing');
  t.equal(readFileSync(join(dir, '1000-2000.wav'), 'utf8'), 'an earlier recording');
});

t.test('names just handed out and live recordings\' names are taken even before their files exist', async (t) => {
  const dir = tempDir(t);
  const live = new Set([join(dir, 'x.wav')]);
  const paths = new UniquePaths((p) => live.has(p), silentLogger());
  await paths.settled(dir);
  t.equal(paths.claim(join(dir, 'x.wav')), '-2', 'live');
  t.equal(paths.claim(join(dir, 'a.wav')), '');
  t.equal(paths.claim(join(dir, 'a.wav')), '-2', 'handed out');
  t.equal(paths.claim(join(dir, 'a.wav')), '-3');
});

t.test('a file another writer creates later is seen by the background listing', async (t) => {
  const dir = tempDir(t);
  const names = new DiskNames(silentLogger());
  names.known(dir);
  await names.settled(dir);
  t.notOk(names.has(join(dir, 'dialplan.wav')));
  writeFileSync(join(dir, 'dialplan.wav'), 'a dialplan recording');
  // Named into now and then, as a directory in use is.
  await waitFor(() => names.known(dir) && names.has(join(dir, 'dialplan.wav')), 'the new file listed', 10 * REFRESH_MS);
  t.ok(names.has(join(dir, 'dialplan.wav')), 'seen without any start waiting for it');
});

t.test('a stale listing is not trusted, and one that began before a claimed file was created does not free its name', async (t) => {
  const dir = tempDir(t);
  let clock = 1_000_000;
  const names = new DiskNames(silentLogger(), () => clock);
  names.known(dir);
  await names.settled(dir);
  t.ok(names.known(dir));
  // Long idle: the listing is stale; a new one starts, and a name is claimed while it runs.
  clock += 100 * REFRESH_MS;
  t.notOk(names.known(dir), 'a stale listing is not trusted (the caller looks on disk)');
  names.claim(join(dir, 'claimed.wav'));
  await names.settled(dir);
  t.notOk(existsSync(join(dir, 'claimed.wav')), 'FreeSWITCH has not created the file');
  t.ok(names.has(join(dir, 'claimed.wav')), 'yet its name stays taken');
  t.ok(names.known(dir), 'and the new listing is fresh');
});

t.test('an unlistable directory: starts look on disk, and our own claims still count', async (t) => {
  const base = tempDir(t);
  writeFileSync(join(base, 'file'), 'x');
  // A path under a regular file can be neither created nor listed.
  const dir = join(base, 'file', 'sub');
  const paths = new UniquePaths(() => false, silentLogger());
  t.equal(paths.claim(join(dir, 'a.wav')), '');
  await paths.settled(dir);
  t.equal(paths.claim(join(dir, 'a.wav')), '-2');
});

t.test('many recordings of one rendered name get consecutive suffixes, the first free one after those on disk', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'anonymous-100-3.wav'), 'on disk');
  const paths = new UniquePaths(() => false, silentLogger());
  paths.claim(join(dir, 'warm.wav'));
  await paths.settled(dir);
  const got = Array.from({ length: 6 }, () => paths.claim(join(dir, 'anonymous-100.wav')));
  t.same(got, ['', '-2', '-4', '-5', '-6', '-7'], 'every name distinct, the one on disk skipped');
});
