/** Credentials files: checked at config load with file:line:column, re-read on change, sessions follow them. */
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromString } from '../../src/config/load';
import { Access } from '../../src/http/access';
import { hashPassword } from '../../src/http/credentials';
import { silentLogger } from '../../src/log';

const TOKEN = 'a-token-of-sufficient-length-1';
const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-creds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('mistakes in a credentials file are config errors located in that file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'tokens'), `# ops\n${TOKEN}\nshort\n${TOKEN}x acme extra\n  ${TOKEN}y bad/tenant\n`);
  writeFileSync(join(dir, 'users'), `ops:${hashPassword('long enough pw', 1024)}:acme\nbad name:whatever12\nshorty:1234\nx:$scrypt$1000$abc$def\n`);
  const r = await loadConfigFromString(`http: {tokens_file: ${dir}/tokens, users_file: ${dir}/users}\n`, `${dir}/fsrecd.yml`);
  t.notOk(r.ok);
  const errors = r.ok ? [] : r.errors.map(String);
  t.same(errors, [
    `${dir}/tokens:3:1: http.tokens_file: a token is at least 20 printable characters (make one with: fsrecd token)`,
    `${dir}/tokens:4:33: http.tokens_file: expected "<token> [<tenant>]"`,
    `${dir}/tokens:5:35: http.tokens_file: expected "<token> [<tenant>]"`,
    `${dir}/users:2:1: http.users_file: user name "bad name": use letters, digits and . _ @ -`,
    `${dir}/users:3:8: http.users_file: a password is at least 8 characters`,
    `${dir}/users:4:3: http.users_file: malformed $scrypt$ hash (make one with: fsrecd passwd NAME)`,
  ]);
  const missing = await loadConfigFromString(`http:\n  tokens_file: ${dir}/nope\n`, `${dir}/fsrecd.yml`);
  t.match(missing.ok ? [] : missing.errors.map(String), [`${dir}/fsrecd.yml:2:16: http.tokens_file: cannot read ${dir}/nope: ENOENT`]);
});

t.test('Access: tokens, basic users, edits picked up, a bad edit keeps the last good set', async (t) => {
  const dir = tempDir(t);
  const tokens = join(dir, 'tokens');
  const users = join(dir, 'users');
  writeFileSync(tokens, `${TOKEN} acme\n`);
  writeFileSync(users, `ops:${hashPassword('long enough pw', 1024)}\n`);
  let now = 1_000_000;
  const access = new Access({ tokensFile: tokens, usersFile: users }, silentLogger(), () => now);
  t.same(access.authenticate(req({ authorization: `Bearer ${TOKEN}` })), { name: 'token on line 1', tenant: 'acme' });
  t.equal(access.authenticate(req({ authorization: `Bearer ${TOKEN}x` })), undefined);
  const basic = (u: string, p: string) => req({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  t.same(access.authenticate(basic('ops', 'long enough pw')), { name: 'ops', tenant: undefined });
  t.equal(access.authenticate(basic('ops', 'long enough pX')), undefined);
  t.equal(access.authenticate(basic('nobody', 'long enough pw')), undefined);
  t.equal(access.authenticate(req({})), undefined);

  const session = access.login({ token: TOKEN });
  t.ok(session);
  const cookie = req({ cookie: `other=1; fsrecd_session=${session?.sessionId}` });
  t.same(access.authenticate(cookie), { name: 'token on line 1', tenant: 'acme' });

  // The operator removes the token: the next check (a second later) reloads, and its session ends too.
  writeFileSync(tokens, `# revoked\n${TOKEN}2 acme\n`);
  utimesSync(tokens, new Date(), new Date(Date.now() + 5000));
  t.same(access.authenticate(req({ authorization: `Bearer ${TOKEN}` })), { name: 'token on line 1', tenant: 'acme' }, 'within the second: not re-read yet');
  now += 1001;
  t.equal(access.authenticate(req({ authorization: `Bearer ${TOKEN}` })), undefined, 'revoked');
  t.equal(access.authenticate(cookie), undefined, 'and the session it opened');
  t.same(access.authenticate(req({ authorization: `Bearer ${TOKEN}2` })), { name: 'token on line 2', tenant: 'acme' });

  writeFileSync(tokens, 'too short\n');
  utimesSync(tokens, new Date(), new Date(Date.now() + 10_000));
  now += 1001;
  t.same(access.authenticate(req({ authorization: `Bearer ${TOKEN}2` })), { name: 'token on line 2', tenant: 'acme' }, 'a bad edit keeps the last good credentials');

  now += 13 * 3600_000;
  const old = access.login({ user: 'ops', password: 'long enough pw' });
  now += 12 * 3600_000 + 1;
  t.equal(access.authenticate(req({ cookie: `fsrecd_session=${old?.sessionId}` })), undefined, 'sessions expire after 12 h');
  t.equal(access.login({ user: 'ops', password: 'wrong' }), undefined);
});

t.test('no files: nobody gets in, and the API can say why', async (t) => {
  const access = new Access({}, silentLogger());
  t.ok(access.empty);
  t.equal(access.authenticate(req({ authorization: 'Bearer anything-at-all-0123456789' })), undefined);
  t.equal(access.login({ token: 'anything' }), undefined);
});
