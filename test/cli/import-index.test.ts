/**
 * fsrecd recordings import-index: a node's own SQLite index moved into the shared PostgreSQL database the
 * configuration names (a real throw-away server), with the built CLI in its own process; then the
 * shared index answers fsrecd recordings list with what the file held, and a second import adds nothing.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteIndex } from '../../src/recordings/index-db';
import type { RecordingEntry } from '../../src/recordings/types';
import { postgresFor } from '../helpers/postgres-server';

const CLI = join(__dirname, '../../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function entry(i: number): RecordingEntry {
  return {
    id: `rec-${i}`, callUuid: `call-${i}`, legUuid: `call-${i}`, startedAt: new Date(Date.UTC(2026, 10, 20) + i * 60_000).toISOString(),
    state: 'stored', direction: 'outbound', network: 'internal', srcnum: `10${i}`, dstnum: '2000', callerName: '', domain: 'acme.example', tenant: 'acme',
    node: 'pbx-old', reasons: ['account acme on'], trigger: 'rule', format: 'wav', key: `pbx-old/acme/${i}.wav`, size: 10, source: 'journal', conversationId: `call-${i}`, segment: 1,
  };
}

t.test('a SQLite index imported into the shared database: recordings, the tombstone, the hold and the audit trail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('shared');
  const file = join(dir, 'old-recordings.sqlite');
  const old = SqliteIndex.open(file);
  await old.upsertMany([1, 2, 3, 4].map(entry));
  await old.markDeleted('rec-2', { deletedAt: '2026-11-21T00:00:00.000Z', deletedBy: 'ops', reason: 'erasure request', cause: 'request' });
  await old.setHold('rec-3', { reason: 'case 9', by: 'ops', at: '2026-11-21T00:00:00.000Z', objectLock: false });
  await old.audit.append({ at: '2026-11-21T00:00:00.000Z', action: 'delete', recordingId: 'rec-2', tenant: 'acme', actor: 'ops', from: 'cli', reason: 'erasure request', outcome: 'ok' });
  await old.close();
  writeFileSync(join(dir, 'fsrecd.yml'), `state_dir: state\nspool_dir: spool\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\nindex: {type: postgres, postgres: {url: "${url}", password_file: ${pg.passwordFile}}}\n`);
  const config = join(dir, 'fsrecd.yml');

  const first = run('recordings', 'import-index', file, '--config', config);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, new RegExp(`${file.replace(/[.]/g, '\\.')} → postgres ${url.replace(/[.]/g, '\\.')}: 4 recording\\(s\\), 1 tombstone\\(s\\), 1 legal hold\\(s\\), 1 audit event\\(s\\)`));
  const list = run('recordings', 'list', '--json', '--config', config, '--node', 'pbx-old');
  t.equal(list.status, 0, list.stderr);
  const listed = (JSON.parse(list.stdout) as { recordings: RecordingEntry[] }).recordings;
  t.same(listed.map((e) => [e.id, e.state]), [['rec-4', 'stored'], ['rec-3', 'stored'], ['rec-2', 'deleted'], ['rec-1', 'stored']]);
  t.equal(listed.find((e) => e.id === 'rec-3')?.hold?.reason, 'case 9');

  const again = run('recordings', 'import-index', file, '--config', config);
  t.equal(again.status, 0, again.stderr);
  t.match(again.stdout, /4 recording\(s\), 0 tombstone\(s\), 0 legal hold\(s\), audit trail NOT copied \(the target has one; --audit-again copies it anyway\)/, 'a second import adds nothing');

  const self = run('recordings', 'import-index', join(dir, 'missing.sqlite'), '--config', config);
  t.equal(self.status, 2, 'a command that cannot run exits 2, as every fsrecd error does');
  t.match(self.stderr, /no SQLite index at .*missing\.sqlite/);
});
