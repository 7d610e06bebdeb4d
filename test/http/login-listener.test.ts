/**
 * /login and sessions on a running daemon's listener: JSON from its own page only, sessions that end
 * with their credential's edit, failed logins throttled with 429 and Retry-After.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../src/http/credentials';
import { ACME_TOKEN, ADMIN_TOKEN, startStack, USER, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

async function listener(t: { teardown(fn: () => unknown): void }): Promise<{ s: Stack; base: string }> {
  const s = await startStack(t, '');
  return { s, base: `http://127.0.0.1:${s.app.httpAddress()?.port}` };
}

/** What the page sends: JSON, with its own origin (as a browser adds it). */
function pageLogin(base: string, body: Record<string, string>): Promise<Response> {
  return fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify(body) });
}

async function sessionOf(base: string, body: Record<string, string>): Promise<string> {
  const res = await pageLogin(base, body);
  if (res.status !== 200) throw new Error(`login ${res.status}: ${await res.text()}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

const statusWith = async (base: string, cookie: string): Promise<number> => (await fetch(`${base}/api/whoami`, { headers: { cookie } })).status;

t.test('a session ends when its token is replaced in the tokens file', async (t) => {
  const { s, base } = await listener(t);
  const admin = await sessionOf(base, { token: ADMIN_TOKEN });
  const acme = await sessionOf(base, { token: ACME_TOKEN });
  t.equal(await statusWith(base, admin), 200);
  const file = join(s.dir, 'tokens');
  const replacement = 'admin-token-replaced-0123456789';
  writeFileSync(file, readFileSync(file, 'utf8').replace(`${ADMIN_TOKEN}\n`, `${replacement}\n`));
  await waitFor(async () => (await fetch(`${base}/api/whoami`, { headers: { authorization: `Bearer ${replacement}` } })).status === 200, 'the new token accepted');
  t.equal(await statusWith(base, admin), 401, 'the replaced token\'s session is over');
  t.equal(await statusWith(base, acme), 200, 'another token\'s session goes on');
  const again = await sessionOf(base, { token: replacement });
  t.same(await (await fetch(`${base}/api/whoami`, { headers: { cookie: again } })).json(), { name: 'token on line 2', tenant: null }, 'the new token logs in');
});

t.test('a session ends when its user\'s password changes in the users file', async (t) => {
  const { s, base } = await listener(t);
  const ops = await sessionOf(base, { user: USER.name, password: USER.password });
  t.equal(await statusWith(base, ops), 200);
  writeFileSync(join(s.dir, 'users'), `${USER.name}:${hashPassword('a new password for ops', 1024)}\n`);
  // Both files are re-read together; a new token shows when (polling with passwords would be throttled).
  const marker = 'marker-token-0123456789abcdef';
  writeFileSync(join(s.dir, 'tokens'), `${readFileSync(join(s.dir, 'tokens'), 'utf8')}${marker}\n`);
  await waitFor(async () => (await fetch(`${base}/api/whoami`, { headers: { authorization: `Bearer ${marker}` } })).status === 200, 'the files re-read');
  t.equal(await statusWith(base, ops), 401, 'the old password\'s session is over');
  const basicNew = { authorization: `Basic ${Buffer.from(`${USER.name}:a new password for ops`).toString('base64')}` };
  t.equal((await fetch(`${base}/api/whoami`, { headers: basicNew })).status, 200, 'the new password works');
  t.equal((await pageLogin(base, { user: USER.name, password: USER.password })).status, 401, 'the old password is refused');
});

t.test('/login: same-origin JSON only', async (t) => {
  const { base } = await listener(t);
  const form = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
  });
  t.equal(form.status, 403, 'a cross-site form post');
  t.match(await form.json(), { error: /login takes a JSON body/ });
  t.equal(form.headers.get('set-cookie'), null);
  const sameOriginForm = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: new URLSearchParams({ token: ADMIN_TOKEN }).toString() });
  t.equal(sameOriginForm.status, 403, 'a form post, even from the page\'s origin');
  const plain = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: base }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  t.equal(plain.status, 403, 'JSON sent as text/plain (what a cross-site fetch without preflight can send)');
  const crossJson = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  t.equal(crossJson.status, 403, 'JSON from another origin');
  t.match(await crossJson.json(), { error: /not from origin https:\/\/evil.example/ });
  const noOrigin = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  t.equal(noOrigin.status, 403, 'no Origin, Sec-Fetch-Site or Referer');
  t.match(await noOrigin.json(), { error: /API clients send Authorization/ });
  const notObject = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: '"a string"' });
  t.equal(notObject.status, 400, 'a JSON body that is not an object');

  const ok = await pageLogin(base, { token: ADMIN_TOKEN });
  t.equal(ok.status, 200, 'same-origin JSON logs in');
  t.same(await ok.json(), { name: 'token on line 2', tenant: null });
  const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] as string;
  t.equal(await statusWith(base, cookie), 200);
  const viaFetchMetadata = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  t.equal(viaFetchMetadata.status, 200, 'without Origin, Sec-Fetch-Site: same-origin');
});

t.test('failed logins are throttled: 429 with Retry-After, for the page and for basic auth', async (t) => {
  const { base } = await listener(t);
  for (let i = 0; i < 5; i++) t.equal((await pageLogin(base, { user: USER.name, password: `wrong password ${i}` })).status, 401, `wrong password ${i + 1}`);
  const page = await pageLogin(base, { user: USER.name, password: USER.password });
  t.equal(page.status, 429, 'the sixth, even with the right password');
  const retry = Number(page.headers.get('retry-after'));
  t.ok(retry > 290 && retry <= 300, `Retry-After: ${retry} s`);
  t.match(await page.json(), { error: /too many failed logins/ });
  const basic = await fetch(`${base}/api/whoami`, { headers: { authorization: `Basic ${Buffer.from(`${USER.name}:${USER.password}`).toString('base64')}` } });
  t.equal(basic.status, 429, 'basic auth for the same name');
  t.ok(Number(basic.headers.get('retry-after')) > 0);
  t.equal((await pageLogin(base, { token: ADMIN_TOKEN })).status, 200, 'a token still logs in (tokens are not guessable, not throttled)');
});
