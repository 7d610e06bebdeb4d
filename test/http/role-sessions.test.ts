/** Roles through Access: a credential's role reaches the principal, and a session ends when its role changes. */
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Access, type Verdict } from '../../src/http/access';
import { hashPassword } from '../../src/http/credentials';
import { silentLogger } from '../../src/log';

const TOKEN = 'a-token-of-sufficient-length-1';
const req = (headers: Record<string, string>): IncomingMessage => ({ headers, socket: { remoteAddress: '192.0.2.1' } }) as unknown as IncomingMessage;
const who = (v: Verdict) => (v.kind === 'ok' ? v.principal : undefined);

let bump = 0;
function edit(path: string, text: string): void {
  writeFileSync(path, text);
  bump += 5;
  utimesSync(path, new Date(), new Date(Date.now() + bump * 1000));
}

t.test('a demoted admin\'s session ends; a reader promoted is a new credential too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-roles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokens = join(dir, 'tokens');
  const users = join(dir, 'users');
  const hash = hashPassword('long enough pw', 1024);
  edit(tokens, `${TOKEN} acme role=admin\n`);
  edit(users, `ops:${hash}:role=admin\nclerk:${hash}\n`);
  let now = 1_000_000;
  const access = new Access({ tokensFile: tokens, usersFile: users }, silentLogger(), { now: () => now });
  const open = async (login: { token?: string; user?: string; password?: string }) => {
    const v = await access.login(login, '192.0.2.1');
    if (v.kind !== 'ok') throw new Error(`login refused: ${JSON.stringify(login)}`);
    return req({ cookie: `fsrecd_session=${v.sessionId}` });
  };
  const as = async (r: IncomingMessage) => who(await access.authenticate(r));

  const adminToken = await open({ token: TOKEN });
  const adminUser = await open({ user: 'ops', password: 'long enough pw' });
  const reader = await open({ user: 'clerk', password: 'long enough pw' });
  t.same(await as(adminToken), { name: 'token on line 1', tenant: 'acme', role: 'admin' });
  t.same(await as(adminUser), { name: 'ops', tenant: undefined, role: 'admin' });
  t.same(await as(reader), { name: 'clerk', tenant: undefined, role: 'reader' });

  edit(tokens, `${TOKEN} acme\n`);
  edit(users, `ops:${hash}\nclerk:${hash}:role=admin\n`);
  now += 1001;
  t.equal(await as(adminToken), undefined, 'the token demoted to reader: its admin session ends');
  t.equal(await as(adminUser), undefined, 'the user demoted: its admin session ends');
  t.equal(await as(reader), undefined, 'the reader promoted: its reader session ends too (log in again as admin)');
  t.same(await as(req({ authorization: `Bearer ${TOKEN}` })), { name: 'token on line 1', tenant: 'acme', role: 'reader' }, 'the token itself still works, as a reader');
  t.same(await as(await open({ user: 'clerk', password: 'long enough pw' })), { name: 'clerk', tenant: undefined, role: 'admin' });
});
