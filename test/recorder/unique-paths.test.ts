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

t.test('a directory is created and listed once, asynchronously; then names are claimed without waiting', async (t) => {
  const dir = join(tempDir(t), 'acme', 'day');
  const paths = new UniquePaths(() => false, silentLogger());
  const first = paths.ready(dir);
  t.ok(first instanceof Promise, 'the first recording into a directory waits for it');
  t.notOk(existsSync(dir), 'nothing was created synchronously');
  await first;
  t.ok(existsSync(dir), 'the directory exists once the wait is over');
  t.equal(paths.ready(dir), undefined, 'the next recording does not wait');
  t.equal(paths.claim(join(dir, 'a.wav')), '', 'a free name is kept');
  t.equal(paths.claim(join(dir, 'a.wav')), '-2', 'a name just handed out is not handed out again');
  t.equal(paths.claim(join(dir, 'a.wav')), '-3');
});

t.test('a file already in the directory (an earlier run, still in the spool) is never named again', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '1000-2000.wav'), 'an earlier recording');
  writeFileSync(join(dir, '1000-2000-2.wav'), 'and another');
  const paths = new UniquePaths(() => false, silentLogger());
  for (let wait = paths.ready(dir); wait; wait = paths.ready(dir)) await wait;
  t.equal(paths.claim(join(dir, '1000-2000.wav')), '-3', 'both names on disk are skipped');
  t.equal(readFileSync(join(dir, '1000-2000.wav'), 'utf8'), 'an earlier recording');
});

t.test('a live recording\'s name is taken even when its file is not there yet', async (t) => {
  const dir = tempDir(t);
  const live = new Set([join(dir, 'x.wav')]);
  const paths = new UniquePaths((p) => live.has(p), silentLogger());
  await paths.ready(dir);
  t.equal(paths.claim(join(dir, 'x.wav')), '-2');
});

t.test('a file another writer creates later is seen by the background listing', async (t) => {
  const dir = tempDir(t);
  const names = new DiskNames(silentLogger());
  await names.ready(dir);
  t.notOk(names.has(join(dir, 'dialplan.wav')));
  writeFileSync(join(dir, 'dialplan.wav'), 'a dialplan recording');
  // Named into now and then, as a directory in use is.
  await waitFor(() => (names.ready(dir), names.has(join(dir, 'dialplan.wav'))), 'the new file listed', 10 * REFRESH_MS);
  t.ok(names.has(join(dir, 'dialplan.wav')), 'seen without any start waiting for it');
});

t.test('a listing that began before a claimed file was created does not free its name', async (t) => {
  const dir = tempDir(t);
  let clock = 1_000_000;
  const names = new DiskNames(silentLogger(), () => clock);
  await names.ready(dir);
  // Long idle: the listing is stale, so the next start waits for a new one; claim while it runs.
  clock += 100 * REFRESH_MS;
  const relisting = names.ready(dir);
  t.ok(relisting instanceof Promise, 'a stale listing is not trusted');
  names.claim(join(dir, 'claimed.wav'));
  await relisting;
  t.notOk(existsSync(join(dir, 'claimed.wav')), 'FreeSWITCH has not created the file');
  t.ok(names.has(join(dir, 'claimed.wav')), 'yet its name stays taken');
  t.equal(names.ready(dir), undefined, 'and the new listing is fresh');
});

t.test('an unreadable directory is no reason to wait forever: our own claims still count', async (t) => {
  const base = tempDir(t);
  writeFileSync(join(base, 'file'), 'x');
  // A path under a regular file can be neither created nor listed.
  const dir = join(base, 'file', 'sub');
  const paths = new UniquePaths(() => false, silentLogger());
  await paths.ready(dir);
  t.equal(paths.ready(dir), undefined);
  t.equal(paths.claim(join(dir, 'a.wav')), '');
  t.equal(paths.claim(join(dir, 'a.wav')), '-2');
});

t.test('many recordings of one rendered name get consecutive suffixes, the first free one after those on disk', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'anonymous-100-3.wav'), 'on disk');
  const paths = new UniquePaths(() => false, silentLogger());
  await paths.ready(dir);
  const got = Array.from({ length: 6 }, () => paths.claim(join(dir, 'anonymous-100.wav')));
  t.same(got, ['', '-2', '-4', '-5', '-6', '-7'], 'every name distinct, the one on disk skipped');
});
