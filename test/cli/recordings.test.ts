/** fsrecd recordings list/show/get/url/reindex, token and passwd: the built CLI in a separate process. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCredentials, parseUsers, type CredentialIssue } from '../../src/config/credentials-file';
import { verifyPassword } from '../../src/http/credentials';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { RecordingMeta } from '../../src/model/recording';
import { Spool } from '../../src/spool/spool';
import { LocalTarget } from '../../src/storage/local-target';

const CLI = join(__dirname, '../../dist/cli.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input });

const CALLERS = ['+15551234567', '1000', 'evil\n\u001b[2J\u001b[31mred'];

/** The FreeSWITCH node the recordings come from: their default storage key starts with it. */
const NODE = 'pbx1';

/** Where a recording is stored without a key template: the node, then its relative path. */
function keyOf(relativePath: string): string {
  return `${NODE}/${relativePath}`;
}

/**
 * A conversation of three segments as the recorder journals it: the customer with alice, transferred
 * (attended) to bob (whose caller ID tries to clear the screen), then (blind) to the support queue's carol.
 */
function conversationMetas(spoolDir: string): RecordingMeta[] {
  const customer = { role: 'caller' as const, number: '+15557770001', name: 'Customer Co' };
  const callees = [
    { role: 'callee' as const, number: '1001', name: 'Alice', user: 'alice' },
    { role: 'callee' as const, number: '1002', name: 'Bob\u001b[2J', user: 'bob' },
    { role: 'callee' as const, number: '1003', name: 'Carol', user: 'carol' },
  ];
  return callees.map((callee, i) => ({
    id: `seg-${i + 1}-1`,
    callUuid: `seg-${i + 1}`,
    legUuid: `seg-${i + 1}`,
    path: join(spoolDir, 'acme', `seg-${i + 1}.wav`),
    relativePath: `acme/seg-${i + 1}.wav`,
    format: 'wav',
    srcnum: customer.number,
    dstnum: callee.number,
    callerName: customer.name,
    direction: 'inbound',
    network: 'external',
    user: callee.user,
    domain: 'acme.example',
    tenantUuid: 'acme',
    node: NODE,
    reasons: ['account acme inbound×external on'],
    onDemand: false,
    startedAt: new Date(Date.UTC(2026, 10, 25, 9, i)).toISOString(),
    conversationId: 'conv-1',
    segment: i + 1,
    startedBy: i === 0 ? 'answer' : 'transfer',
    parties: [customer, callee],
    ...(i > 0 ? { transferFrom: { recordingId: `seg-${i}-1`, kind: i === 1 ? ('attended' as const) : ('blind' as const) } } : {}),
    ...(i === 2 ? { queue: 'support@acme.example', agent: '1003@acme.example' } : {}),
  }));
}

async function setup(t: { teardown(fn: () => unknown): void }, withConversation = false): Promise<{ dir: string; cfg: string; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-cli-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  mkdirSync(join(spoolDir, 'acme'), { recursive: true });
  const cfg = join(dir, 'fsrecd.yml');
  writeFileSync(cfg, 'spool_dir: spool\nstate_dir: state\nhttp: {listen: null}\nstorage: {type: local, dir: stored}\n');
  const spool = await Spool.open({ stateDir: join(dir, 'state'), spoolDir, upload: { concurrency: 1, retryMinMs: 10, retryMaxMs: 10, keepLocalDays: 0, journalKeepDays: 7, diskWarnPercent: 99, orphanStableMs: 60_000, healthMaxBacklog: 5 }, target: new LocalTarget(join(dir, 'stored')), log: silentLogger(), metrics: new Metrics() });
  const ids: string[] = [];
  for (const [i, src] of CALLERS.entries()) {
    const path = join(spoolDir, 'acme', `rec-${i}.wav`);
    writeFileSync(path, Buffer.alloc(2000 + i, i + 1));
    const meta: RecordingMeta = { id: `call-${i}-1`, callUuid: `call-${i}`, legUuid: `call-${i}`, path, relativePath: `acme/rec-${i}.wav`, format: 'wav', srcnum: src, dstnum: '1001', callerName: `Caller ${i}`, direction: i === 1 ? 'outbound' : 'inbound', network: i === 1 ? 'internal' : 'external', user: i === 1 ? 'alice' : undefined, domain: 'acme.example', tenantUuid: 'acme', node: NODE, reasons: [i === 1 ? 'user alice outbound×internal on' : 'account acme inbound×external on'], onDemand: i === 2, startedAt: new Date(Date.UTC(2026, 10, 20 + i, 9)).toISOString() };
    await spool.started(meta);
    await spool.finished(meta, { endedAt: meta.startedAt, durationMs: 61_000 + i, completionCause: 'success' });
    ids.push(meta.id);
  }
  for (const meta of withConversation ? conversationMetas(spoolDir) : []) {
    writeFileSync(meta.path, Buffer.alloc(3000 + (meta.segment ?? 0), 9));
    await spool.started(meta);
    await spool.finished(meta, { endedAt: meta.startedAt, durationMs: 30_000 * (meta.segment ?? 1), completionCause: 'success' });
  }
  await spool.stop(0);
  const sync = run(['sync', '--config', cfg]);
  if (sync.status !== 0) throw new Error(sync.stderr);
  return { dir, cfg, ids };
}

t.test('list: a table for people, JSON for scripts, filters as flags', async (t) => {
  const { cfg } = await setup(t);
  const table = run(['recordings', 'list', '--config', cfg]);
  t.equal(table.status, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^STARTED \(UTC\)\s+DIR\s+NET\s+FROM\s+TO\s+USER\s+DUR\s+SIZE\s+STATE\s+ID$/);
  t.equal(lines.length, 4, 'a header and three rows: the newline in a caller ID did not add one');
  t.match(lines[1], /^2026-11-22 09:00:00\s+in\s+ext\s+evil\?\?\[2J\?\[31mred\s+1001\s+1:01\s+2 KB\s+stored\*3\s+call-2-1$/);
  t.notOk(table.stdout.includes('\u001b'), 'no escape sequence reaches the terminal');

  const json = run(['recordings', 'list', '--config', cfg, '--json', '--direction', 'inbound']);
  const page = JSON.parse(json.stdout) as { recordings: { srcnum: string }[]; next: string | null };
  t.same(page.recordings.map((r) => r.srcnum), [CALLERS[2], CALLERS[0]]);
  t.equal(page.next, null);
  const find = (...args: string[]) => (JSON.parse(run(['recordings', 'list', '--config', cfg, '--json', ...args]).stdout) as { recordings: { id: string }[] }).recordings.map((r) => r.id);
  t.same(find('--search', '555123'), ['call-0-1']);
  t.same(find('--user', 'alice'), ['call-1-1']);
  t.same(find('--on-demand'), ['call-2-1']);
  t.same(find('--forced'), ['call-1-1', 'call-0-1']);
  t.same(find('--reason', 'alice'), ['call-1-1']);
  t.same(find('--from', '2026-11-21', '--to', '2026-11-22'), ['call-1-1']);
  t.same(find('--network', 'internal'), ['call-1-1']);
  const paged = run(['recordings', 'list', '--config', cfg, '--limit', '2']);
  t.match(paged.stdout, /more: fsrecd recordings list … --before \d+:\d+/);

  const bad = run(['recordings', 'list', '--config', cfg, '--direction', 'up']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /direction: expected one of inbound, outbound, got "up"/);
});

t.test('show, get with verification, url on a directory target', async (t) => {
  const { dir, cfg } = await setup(t);
  const show = run(['recordings', 'show', 'call-0-1', '--config', cfg]);
  t.equal(show.status, 0, show.stderr);
  for (const re of [/^id\s+call-0-1$/m, /^from\s+\+15551234567 "Caller 0"$/m, /^direction\s+inbound$/m, /^network\s+external$/m, /^reasons\s+account acme inbound×external on$/m, /^duration\s+1:01 \(61000 ms\)$/m, /^size\s+2 KB \(2000 bytes\)$/m, new RegExp(`^storage key\\s+${keyOf('acme/rec-0.wav').replace(/\./g, '\\.')}$`, 'm'), /^md5\s+[0-9a-f]{32}$/m]) t.match(show.stdout, re);

  const out = join(dir, 'out.wav');
  const get = run(['recordings', 'get', 'call-0-1', '-o', out, '--config', cfg]);
  t.equal(get.status, 0, get.stderr);
  t.match(get.stderr, /2000 bytes, md5 [0-9a-f]{32} verified/);
  t.ok(readFileSync(out).equals(readFileSync(join(dir, 'stored', keyOf('acme/rec-0.wav')))));
  t.equal(run(['recordings', 'get', 'call-0-1', '-o', out, '--config', cfg]).status, 2, 'an existing file is not replaced without --force');

  // Same size, different bytes: the checksum catches it and nothing is left behind.
  const stored = join(dir, 'stored', keyOf('acme/rec-1.wav'));
  const bytes = readFileSync(stored);
  bytes[100] = (bytes[100] as number) ^ 0xff;
  writeFileSync(stored, bytes);
  const corrupt = run(['recordings', 'get', 'call-1-1', '-o', join(dir, 'bad.wav'), '--config', cfg]);
  t.equal(corrupt.status, 2);
  t.match(corrupt.stderr, /failed verification: MD5 [0-9a-f]{32}, recorded [0-9a-f]{32}/);
  t.notOk(existsSync(join(dir, 'bad.wav')));

  const url = run(['recordings', 'url', 'call-0-1', '--config', cfg]);
  t.equal(url.status, 2);
  t.match(url.stderr, /local directory .* has no presigned URLs: use fsrecd recordings get/);
  for (const id of ['../../etc/passwd', 'a/b']) {
    const r = run(['recordings', 'show', id, '--config', cfg]);
    t.equal(r.status, 2);
    t.match(r.stderr, /not a recording id/);
  }
  t.match(run(['recordings', 'show', 'nope', '--config', cfg]).stderr, /no recording nope/);
});

t.test('reindex rebuilds a lost index from storage alone', async (t) => {
  const { dir, cfg } = await setup(t);
  for (const f of ['recordings.sqlite', 'recordings.sqlite-wal', 'recordings.sqlite-shm']) rmSync(join(dir, 'state', f), { force: true });
  const missing = run(['recordings', 'list', '--config', cfg]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /no recordings index at .*recordings\.sqlite yet/);
  const re = run(['recordings', 'reindex', '--config', cfg]);
  t.equal(re.status, 0, re.stderr);
  t.match(re.stdout, /: 6 object\(s\), 3 recording\(s\) indexed \(0 without metadata\), 0 gone from storage removed/);
  const page = JSON.parse(run(['recordings', 'list', '--config', cfg, '--json']).stdout) as { recordings: { id: string; source: string; md5: string; srcnum: string; durationMs: number }[] };
  t.same(page.recordings.map((r) => r.id), ['call-2-1', 'call-1-1', 'call-0-1']);
  t.ok(page.recordings.every((r) => r.source === 'storage' && /^[0-9a-f]{32}$/.test(r.md5)), 'checksums come back from the metadata objects');
  t.equal(page.recordings[2]?.durationMs, 61_000);
});

t.test('conversations: grouped list, the conversation command, show lists the other segments, reindex keeps them', async (t) => {
  const { dir, cfg } = await setup(t, true);
  const grouped = run(['recordings', 'list', '--conversations', '--config', cfg]);
  t.equal(grouped.status, 0, grouped.stderr);
  const lines = grouped.stdout.trimEnd().split('\n');
  t.match(lines[0], /^STARTED \(UTC\)\s+SEGS\s+PARTIES\s+DUR\s+STATE\s+CONVERSATION$/);
  t.equal(lines.length, 5, 'a header, the conversation and the three one-segment calls');
  t.match(lines[1], /^2026-11-25 09:00:00\s+3\s+\+15557770001, 1001, 1002, 1003\s+3:00\s+stored\s+conv-1$/, 'one row: three segments, 30 + 60 + 90 s');
  t.match(lines[2], /^2026-11-22 09:00:00\s+1\s+evil\?\?\[2J\?\[31mred, 1001\s+1:01\s+stored\s+call-2$/, 'an older recording: a conversation of one, terminal-safe');
  const json = JSON.parse(run(['recordings', 'list', '--conversations', '--json', '--search', 'carol', '--config', cfg]).stdout) as { conversations: { conversationId: string; segmentCount: number; segments: { id: string }[] }[]; next: string | null };
  t.same(json.conversations.map((c) => [c.conversationId, c.segmentCount, c.segments.map((e) => e.id)]), [['conv-1', 3, ['seg-1-1', 'seg-2-1', 'seg-3-1']]], 'found by the last segment\'s party, whole');
  const ids = (...args: string[]) => (JSON.parse(run(['recordings', 'list', '--config', cfg, '--json', ...args]).stdout) as { recordings: { id: string }[] }).recordings.map((r) => r.id);
  t.same(ids('--conversation', 'conv-1'), ['seg-3-1', 'seg-2-1', 'seg-1-1']);
  t.same(ids('--queue', 'support'), ['seg-3-1']);
  t.same(ids('--agent', '1003@acme.example'), ['seg-3-1']);

  const conv = run(['recordings', 'conversation', 'conv-1', '--config', cfg]);
  t.equal(conv.status, 0, conv.stderr);
  t.notOk(conv.stdout.includes('\u001b'), 'no escape sequence reaches the terminal');
  const out = conv.stdout.trimEnd().split('\n');
  t.equal(out[0], 'conversation conv-1: 3 segments, 3:00, 2026-11-25T09:00:00.000Z to 2026-11-25T09:02:00.000Z');
  t.equal(out[1], 'parties: +15557770001 "Customer Co"; 1001 "Alice" (alice); 1002 "Bob?[2J" (bob); 1003 "Carol" (carol)');
  t.match(out[2], /^SEG\s+STARTED \(UTC\)\s+PARTIES\s+HOW\s+DUR\s+STATE\s+ID$/);
  t.match(out[3], /^1\s+2026-11-25 09:00:00\s+\+15557770001 "Customer Co" → 1001 "Alice" \(alice\)\s+answer\s+0:30\s+stored\s+seg-1-1$/);
  t.match(out[4], /^2\s+2026-11-25 09:01:00\s+.* → 1002 "Bob\?\[2J" \(bob\)\s+transferred \(attended\) from segment 1\s+1:00\s+stored\s+seg-2-1$/);
  t.match(out[5], /^3\s+2026-11-25 09:02:00\s+.* → 1003 "Carol" \(carol\)\s+transferred \(blind\) from segment 2\s+1:30\s+stored\s+seg-3-1$/);
  t.equal(out.length, 6);
  t.equal(run(['recordings', 'conversation', 'seg-2-1', '--config', cfg]).stdout, conv.stdout, 'the id of any of its recordings names the conversation too');
  t.match(run(['recordings', 'conversation', 'nope', '--config', cfg]).stderr, /no conversation nope/);
  t.match(run(['recordings', 'conversation', '../x', '--config', cfg]).stderr, /not a conversation or recording id/);

  const show = run(['recordings', 'show', 'seg-2-1', '--config', cfg]);
  t.equal(show.status, 0, show.stderr);
  for (const re of [/^conversation\s+conv-1$/m, /^segment\s+2 of 3$/m, /^started by\s+transferred \(attended\) from segment 1$/m, /^caller\s+\+15557770001 "Customer Co"$/m, /^callee\s+1002 "Bob\?\[2J" \(bob\)$/m, /^other segments of conversation conv-1:$/m, /^1\s+2026-11-25 09:00:00 .*seg-1-1$/m, /^3\s+2026-11-25 09:02:00 .*seg-3-1$/m]) t.match(show.stdout, re);
  t.notMatch(show.stdout, /^2\s+2026-11-25 09:01:00/m, 'the shown segment is not among the others');
  t.match(run(['recordings', 'show', 'seg-3-1', '--config', cfg]).stdout, /^queue\s+support@acme\.example$/m);
  const single = run(['recordings', 'show', 'call-0-1', '--config', cfg]).stdout;
  t.match(single, /^segment\s+1 of 1$/m);
  t.notMatch(single, /other segments/, 'a conversation of one has no others');

  // The conversation travels in the metadata objects: a lost index comes back grouped.
  for (const f of ['recordings.sqlite', 'recordings.sqlite-wal', 'recordings.sqlite-shm']) rmSync(join(dir, 'state', f), { force: true });
  t.equal(run(['recordings', 'reindex', '--config', cfg]).status, 0);
  t.equal(run(['recordings', 'conversation', 'conv-1', '--config', cfg]).stdout, conv.stdout, 'reindexed from storage alone, the same conversation');
});

t.test('token and passwd make credentials lines', async (t) => {
  const token = run(['token']);
  t.match(token.stdout.trim(), /^[A-Za-z0-9_-]{32}$/);
  t.not(token.stdout, run(['token']).stdout);
  const line = run(['passwd', 'ops', '--tenant', 'acme'], 'a long enough password\n');
  t.equal(line.status, 0, line.stderr);
  t.match(line.stdout.trim(), /^ops:\$scrypt\$16384\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+:acme$/);
  const creds = emptyCredentials();
  const issues: CredentialIssue[] = [];
  parseUsers(line.stdout, 'users', creds, issues);
  t.same(issues, []);
  const user = creds.users.get('ops');
  t.equal(user?.principal.tenant, 'acme');
  t.ok(verifyPassword('a long enough password', user?.secret ?? ''));
  t.notOk(verifyPassword('a wrong password', user?.secret ?? ''));
  t.equal(user?.principal.role, 'reader', 'no --admin: a reader');
  const admin = run(['passwd', 'boss', '--tenant', 'acme', '--admin'], 'a long enough password\n');
  t.match(admin.stdout.trim(), /:acme:role=admin$/);
  parseUsers(admin.stdout, 'users', creds, issues);
  t.same(issues, []);
  t.equal(creds.users.get('boss')?.principal.role, 'admin', '--admin: the line parses as an admin of its tenant');
  t.equal(creds.users.get('boss')?.principal.tenant, 'acme');
  t.equal(run(['passwd', 'ops'], 'short\n').status, 2);
});
