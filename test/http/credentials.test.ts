/** Credentials files: checked at config load with file:line:column, re-read on change, sessions follow them. */
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromString } from '../../src/config/load';
import { Access, type Verdict } from '../../src/http/access';
import { hashPassword } from '../../src/http/credentials';
import { silentLogger } from '../../src/log';

const TOKEN = 'a-token-of-sufficient-length-1';
const req = (headers: Record<string, string>): IncomingMessage => ({ headers, socket: { remoteAddress: '192.0.2.1' } }) as unknown as IncomingMessage;
/** The principal a verdict names, or undefined when it names none. */
const who = (v: Verdict) => (v.kind === 'ok' ? v.principal : undefined);

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-creds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('mistakes in a credentials file are config errors located in that file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'tokens'), `# ops\n${TOKEN}\nshort\n${TOKEN}x acme extra\n  ${TOKEN}y bad/tenant\n`);
  writeFileSync(join(dir, 'users'), `ops:${hashPassword('long enough pw', 1024)}:acme\nbad name:whatever12\nshorty:1234\nx:$scrypt$1000$abc$def\ncostly:${hashPassword('long enough pw', 1024).replace('$1024$', '$65536$')}\n`);
  const r = await loadConfigFromString(`http: {tokens_file: ${dir}/tokens, users_file: ${dir}/users}\n`, `${dir}/fsrecd.yml`);
  t.notOk(r.ok);
  const errors = r.ok ? [] : r.errors.map(String);
  t.same(errors, [
    `${dir}/tokens:3:1: http.tokens_file: a token is at least 20 printable characters (make one with: fsrecd token)`,
    `${dir}/tokens:4:33: http.tokens_file: expected "<token> [<tenant>] [role=admin]"`,
    `${dir}/tokens:5:35: http.tokens_file: expected "<token> [<tenant>] [role=admin]"`,
    `${dir}/users:2:1: http.users_file: user name "bad name": use letters, digits and . _ @ -`,
    `${dir}/users:3:8: http.users_file: a password is at least 8 characters`,
    `${dir}/users:4:3: http.users_file: malformed $scrypt$ hash, or its cost is not a power of two from 1024 to 32768 (make one with: fsrecd passwd NAME)`,
    `${dir}/users:5:8: http.users_file: malformed $scrypt$ hash, or its cost is not a power of two from 1024 to 32768 (make one with: fsrecd passwd NAME)`,
  ]);
  const missing = await loadConfigFromString(`http:\n  tokens_file: ${dir}/nope\n`, `${dir}/fsrecd.yml`);
  t.match(missing.ok ? [] : missing.errors.map(String), [`${dir}/fsrecd.yml:2:16: http.tokens_file: cannot read ${dir}/nope: ENOENT`]);
});

/** Rewrites a credentials file and moves its mtime on, as an editor would (a reload notices either). */
let bump = 0;
function edit(path: string, text: string): void {
  writeFileSync(path, text);
  bump += 5;
  utimesSync(path, new Date(), new Date(Date.now() + bump * 1000));
}

t.test('Access: tokens, basic users, edits picked up, a bad edit keeps the last good set', async (t) => {
  const dir = tempDir(t);
  const tokens = join(dir, 'tokens');
  const users = join(dir, 'users');
  writeFileSync(tokens, `${TOKEN} acme\n`);
  writeFileSync(users, `ops:${hashPassword('long enough pw', 1024)}\n`);
  let now = 1_000_000;
  const access = new Access({ tokensFile: tokens, usersFile: users }, silentLogger(), { now: () => now });
  const as = async (r: IncomingMessage) => who(await access.authenticate(r));
  t.same(await as(req({ authorization: `Bearer ${TOKEN}` })), { name: 'token on line 1', tenant: 'acme', role: 'reader' });
  t.equal(await as(req({ authorization: `Bearer ${TOKEN}x` })), undefined);
  const basic = (u: string, p: string) => req({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  t.same(await as(basic('ops', 'long enough pw')), { name: 'ops', tenant: undefined, role: 'reader' });
  t.equal(await as(basic('ops', 'long enough pX')), undefined);
  t.equal(await as(basic('nobody', 'long enough pw')), undefined);
  t.equal(await as(req({})), undefined);

  const session = await access.login({ token: TOKEN }, '192.0.2.1');
  const sid = session.kind === 'ok' ? session.sessionId : t.fail('token login refused');
  const cookie = req({ cookie: `other=1; fsrecd_session=${sid}` });
  t.same(await as(cookie), { name: 'token on line 1', tenant: 'acme', role: 'reader' });

  // The operator removes the token: the next check (a second later) reloads, and its session ends too.
  edit(tokens, `# revoked\n${TOKEN}2 acme\n`);
  t.same(await as(req({ authorization: `Bearer ${TOKEN}` })), { name: 'token on line 1', tenant: 'acme', role: 'reader' }, 'within the second: not re-read yet');
  now += 1001;
  t.equal(await as(req({ authorization: `Bearer ${TOKEN}` })), undefined, 'revoked');
  t.equal(await as(cookie), undefined, 'and the session it opened');
  t.same(await as(req({ authorization: `Bearer ${TOKEN}2` })), { name: 'token on line 2', tenant: 'acme', role: 'reader' });

  edit(tokens, 'too short\n');
  now += 1001;
  t.same(await as(req({ authorization: `Bearer ${TOKEN}2` })), { name: 'token on line 2', tenant: 'acme', role: 'reader' }, 'a bad edit keeps the last good credentials');

  now += 13 * 3600_000;
  const old = await access.login({ user: 'ops', password: 'long enough pw' }, '192.0.2.1');
  t.equal(old.kind, 'ok');
  now += 12 * 3600_000 + 1;
  t.equal(await as(req({ cookie: `fsrecd_session=${old.kind === 'ok' ? old.sessionId : ''}` })), undefined, 'sessions expire after 12 h');
  t.same(await access.login({ user: 'ops', password: 'wrong pw 123' }, '192.0.2.1'), { kind: 'refused' });
});

t.test('a session lasts only while the credential that opened it is unchanged', async (t) => {
  const dir = tempDir(t);
  const tokens = join(dir, 'tokens');
  const users = join(dir, 'users');
  const second = `${TOKEN}-second`;
  const opsLine = (pw: string, tenant = '') => `ops:${hashPassword(pw, 1024)}${tenant}\n`;
  edit(tokens, `${TOKEN} acme\n${second}\n`);
  edit(users, `${opsLine('long enough pw')}dev:another long pw\n`);
  let now = 5_000_000;
  const access = new Access({ tokensFile: tokens, usersFile: users }, silentLogger(), { now: () => now });
  const open = async (login: { token?: string; user?: string; password?: string }) => {
    const v = await access.login(login, '192.0.2.1');
    if (v.kind !== 'ok') throw new Error(`login refused: ${JSON.stringify(login)}`);
    return req({ cookie: `fsrecd_session=${v.sessionId}` });
  };
  const as = async (r: IncomingMessage) => who(await access.authenticate(r));
  const reload = (): void => void (now += 1001);

  // Line 1 gets a new token: the name "token on line 1" and the tenant stay, the credential does not.
  const viaToken = await open({ token: TOKEN });
  const viaSecond = await open({ token: second });
  edit(tokens, `${TOKEN}-replaced acme\n${second}\n`);
  reload();
  t.equal(await as(viaToken), undefined, 'the replaced token\'s session ends');
  t.same(await as(viaSecond), { name: 'token on line 2', tenant: undefined, role: 'reader' }, 'another token\'s session goes on');
  t.same(await as(req({ authorization: `Bearer ${TOKEN}-replaced` })), { name: 'token on line 1', tenant: 'acme', role: 'reader' });

  // A token's tenant changes: a different credential, so its session ends.
  const scoped = await open({ token: second });
  edit(tokens, `${TOKEN}-replaced acme\n${second} other\n`);
  reload();
  t.equal(await as(scoped), undefined, 'a token given another tenant ends its sessions');

  // Lines move (a comment above): the same token, so the session goes on, under its new name.
  const moved = await open({ token: second });
  edit(tokens, `# comment\n${TOKEN}-replaced acme\n${second} other\n`);
  reload();
  t.same(await as(moved), { name: 'token on line 3', tenant: 'other', role: 'reader' }, 'a token that only moved keeps its session');

  // A password change: the user name stays, the hash line does not.
  const viaOps = await open({ user: 'ops', password: 'long enough pw' });
  const viaDev = await open({ user: 'dev', password: 'another long pw' });
  const basicOps = req({ authorization: `Basic ${Buffer.from('ops:long enough pw').toString('base64')}` });
  t.same(await as(basicOps), { name: 'ops', tenant: undefined, role: 'reader' }, 'basic auth, remembered for a while');
  t.equal(access.sessionCount, 3, 'moved, ops and dev');
  edit(users, `${opsLine('a brand new password')}dev:another long pw\n`);
  reload();
  t.notOk(access.empty, 'any look at the credentials reloads them');
  t.equal(access.sessionCount, 2, 'the reload itself ended the old password\'s session');
  t.equal(await as(viaOps), undefined, 'the old password\'s session ends');
  t.equal(await as(basicOps), undefined, 'and the old password is not remembered');
  t.same(await as(viaDev), { name: 'dev', tenant: undefined, role: 'reader' }, 'another user\'s session goes on');

  // Revoking the user ends the rest.
  edit(users, `${opsLine('a brand new password')}\n`);
  reload();
  t.equal(await as(viaDev), undefined, 'a removed user\'s session ends');
  t.same(await as(moved), { name: 'token on line 3', tenant: 'other', role: 'reader' }, 'a token\'s session is untouched by the users file');
  t.equal(access.sessionCount, 1);
});

t.test('no files: nobody gets in, and the API can say why', async (t) => {
  const access = new Access({}, silentLogger());
  t.ok(access.empty);
  t.equal(who(await access.authenticate(req({ authorization: 'Bearer anything-at-all-0123456789' }))), undefined);
  t.same(await access.login({ token: 'anything' }, '192.0.2.1'), { kind: 'refused' });
});
