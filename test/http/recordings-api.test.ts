/** The recordings API against a running daemon (simulator calls, local storage), with a real HTTP client. */
import t from 'tap';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callsRecorded } from '../helpers/recorded-calls';
import { ACME_TOKEN, ADMIN_TOKEN, bearer, OTHER_TOKEN, USER } from '../helpers/stack';

interface Rec {
  id: string;
  srcnum: string;
  dstnum: string;
  direction: string;
  network: string;
  tenant: string;
  key: string;
  size: number;
  md5: string;
  state: string;
  reasons: string[];
  links: { audio: string; download: string };
  localPath?: string;
}
interface Page {
  recordings: Rec[];
  next: string | null;
}

async function list(base: string, token: string, query = ''): Promise<Page> {
  const res = await fetch(`${base}/api/recordings${query}`, bearer(token));
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as Page;
}

function rawGet(base: string, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('without a credential only /healthz answers', async (t) => {
  const { base } = await callsRecorded(t);
  t.equal((await fetch(`${base}/healthz`)).status, 200);
  for (const path of ['/api/recordings', '/api/whoami', '/metrics', '/api/recordings/x/audio']) {
    const res = await fetch(`${base}${path}`);
    t.equal(res.status, 401, `${path} refused`);
    t.match(res.headers.get('www-authenticate'), /Bearer/);
  }
  const page = await fetch(`${base}/`);
  t.equal(page.status, 401, 'the page is only its login form');
  const html = await page.text();
  t.match(html, /id="login"/);
  t.notMatch(html, /5551234567/, 'no data in it');
  t.match(page.headers.get('content-security-policy'), /script-src 'sha256-/);
  t.equal((await fetch(`${base}/api/recordings`, bearer('wrong-token-0123456789abcdef'))).status, 401, 'a wrong token');
  t.equal((await fetch(`${base}/api/recordings`, { headers: { authorization: `Basic ${Buffer.from(`${USER.name}:nope-nope-nope`).toString('base64')}` } })).status, 401, 'a wrong password');
});

t.test('list, filters, search and pages', async (t) => {
  const { base } = await callsRecorded(t);
  const all = await list(base, ADMIN_TOKEN);
  t.equal(all.recordings.length, 4);
  t.equal(all.next, null);
  const started = all.recordings.map((r) => r.id);
  t.equal(new Set(started).size, 4);
  for (const r of all.recordings) {
    t.equal(r.state, 'stored');
    t.equal(r.localPath, undefined, 'server paths are not shown');
    t.match(r.md5, /^[0-9a-f]{32}$/);
  }
  const inbound = await list(base, ADMIN_TOKEN, '?direction=inbound&network=external');
  t.same(inbound.recordings.map((r) => r.srcnum).sort(), ['+15551234567', '../../etc/passwd'].sort());
  t.same((await list(base, ADMIN_TOKEN, '?q=5551234')).recordings.map((r) => r.srcnum), ['+15551234567'], 'search by number substring');
  t.same((await list(base, ADMIN_TOKEN, '?q=etc/passwd')).recordings.map((r) => r.srcnum), ['../../etc/passwd'], 'search takes any text');
  t.same((await list(base, ADMIN_TOKEN, '?q=100%25')).recordings, [], 'LIKE wildcards are literal');
  t.equal((await list(base, ADMIN_TOKEN, '?q=00')).recordings.length, 4, 'two characters (no trigram): every call to 1001 or 2001');
  t.same((await list(base, ADMIN_TOKEN, '?tenant=other.example')).recordings.map((r) => r.dstnum), ['2001']);
  t.same((await list(base, ADMIN_TOKEN, '?reason=other.example')).recordings.map((r) => r.dstnum), ['2001'], 'by reason');
  t.equal((await list(base, ADMIN_TOKEN, '?from=1d')).recordings.length, 4, 'from an age');
  t.equal((await list(base, ADMIN_TOKEN, `?from=${new Date(Date.now() + 60_000).toISOString()}`)).recordings.length, 0, 'nothing from the future');
  t.equal((await list(base, ADMIN_TOKEN, '?trigger=on-demand')).recordings.length, 0);
  t.equal((await list(base, ADMIN_TOKEN, '?trigger=rule')).recordings.length, 4);

  const first = await list(base, ADMIN_TOKEN, '?limit=3');
  t.equal(first.recordings.length, 3);
  t.type(first.next, 'string');
  const second = await list(base, ADMIN_TOKEN, `?limit=3&before=${first.next}`);
  t.equal(second.recordings.length, 1);
  t.equal(second.next, null);
  t.same([...first.recordings, ...second.recordings].map((r) => r.id), started, 'pages cover the list once, newest first');

  for (const [q, msg] of [
    ['?direction=sideways', /direction: expected one of inbound, outbound/],
    ['?from=yesterday', /from: expected a date/],
    ['?limit=0', /limit/],
    ['?colour=red', /unknown parameter "colour"/],
    ['?before=1;DROP', /before: not a cursor/],
  ] as const) {
    const res = await fetch(`${base}/api/recordings${q}`, bearer(ADMIN_TOKEN));
    t.equal(res.status, 400, q);
    t.match(((await res.json()) as { error: string }).error, msg);
  }
});

t.test('a tenant-scoped token sees only its tenant', async (t) => {
  const { base } = await callsRecorded(t);
  const mine = await list(base, ACME_TOKEN);
  t.equal(mine.recordings.length, 3);
  t.ok(mine.recordings.every((r) => r.tenant === 'acme.example'));
  t.same((await list(base, ACME_TOKEN, '?tenant=acme.example')).recordings.length, 3);
  const refused = await fetch(`${base}/api/recordings?tenant=other.example`, bearer(ACME_TOKEN));
  t.equal(refused.status, 403, 'asking for another tenant is refused');
  const theirs = (await list(base, OTHER_TOKEN)).recordings[0] as Rec;
  t.equal(theirs.tenant, 'other.example');
  for (const path of [`/api/recordings/${theirs.id}`, theirs.links.audio, theirs.links.download]) {
    t.equal((await fetch(`${base}${path}`, bearer(ACME_TOKEN))).status, 404, `${path}: another tenant's recording does not exist for acme`);
  }
  t.equal((await fetch(`${base}${theirs.links.audio}`, bearer(OTHER_TOKEN))).status, 200, 'its own tenant plays it');
  t.equal((await fetch(`${base}/metrics`, bearer(ACME_TOKEN))).status, 403, 'metrics cover every tenant');
  t.same(await (await fetch(`${base}/api/whoami`, bearer(ACME_TOKEN))).json(), { name: 'token on line 3', tenant: 'acme.example' });
});

t.test('details, audio with Range, download with its file name', async (t) => {
  const { s, base } = await callsRecorded(t);
  const rec = (await list(base, ADMIN_TOKEN, '?q=5551234')).recordings[0] as Rec;
  const stored = readFileSync(join(s.dir, 'stored', rec.key));
  const detail = (await (await fetch(`${base}/api/recordings/${rec.id}`, bearer(ADMIN_TOKEN))).json()) as Rec;
  t.match(detail, { id: rec.id, srcnum: '+15551234567', dstnum: '1001', direction: 'inbound', network: 'external', size: stored.length, key: rec.key });
  t.ok(detail.reasons.length > 0);

  const full = await fetch(`${base}${rec.links.audio}`, bearer(ADMIN_TOKEN));
  t.equal(full.status, 200);
  t.equal(full.headers.get('content-type'), 'audio/wav');
  t.equal(full.headers.get('accept-ranges'), 'bytes');
  t.equal(full.headers.get('content-length'), String(stored.length));
  t.ok(Buffer.from(await full.arrayBuffer()).equals(stored), 'the stored bytes');
  t.match(full.headers.get('content-disposition'), /^inline; /);

  const part = await fetch(`${base}${rec.links.audio}`, { headers: { ...bearer(ADMIN_TOKEN).headers, range: 'bytes=44-143' } });
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 44-143/${stored.length}`);
  t.ok(Buffer.from(await part.arrayBuffer()).equals(stored.subarray(44, 144)), 'the asked range');
  const tail = await fetch(`${base}${rec.links.audio}`, { headers: { ...bearer(ADMIN_TOKEN).headers, range: 'bytes=-10' } });
  t.ok(Buffer.from(await tail.arrayBuffer()).equals(stored.subarray(stored.length - 10)), 'a suffix range');
  const beyond = await fetch(`${base}${rec.links.audio}`, { headers: { ...bearer(ADMIN_TOKEN).headers, range: `bytes=${stored.length}-` } });
  t.equal(beyond.status, 416);
  t.equal(beyond.headers.get('content-range'), `bytes */${stored.length}`);

  const dl = await fetch(`${base}${rec.links.download}`, bearer(ADMIN_TOKEN));
  const name = rec.key.split('/').pop() as string;
  t.equal(dl.headers.get('content-disposition'), `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  t.ok(Buffer.from(await dl.arrayBuffer()).equals(stored));
});

t.test('path traversal and malformed ids are refused', async (t) => {
  const { base } = await callsRecorded(t);
  for (const id of ['..%2F..%2Fetc%2Fpasswd', '.hidden', 'a%2Fb', '%2e%2e%2Fx', 'x%00', '%E0%A4%A', `${'a'.repeat(201)}`]) {
    for (const suffix of ['', '/audio', '/download']) {
      const r = await rawGet(base, `/api/recordings/${id}${suffix}`, ADMIN_TOKEN);
      t.equal(r.status, 400, `${id}${suffix}`);
      t.notMatch(r.body, /root:/);
    }
  }
  // ../ and %2e%2e as whole segments are resolved by URL parsing before routing: they never reach a file.
  for (const path of ['/api/recordings/../../../etc/passwd', '/api/recordings/%2e%2e/%2e%2e/etc/passwd', '/api/recordings/../audio']) {
    const dotted = await rawGet(base, path, ADMIN_TOKEN);
    t.equal(dotted.status, 404, path);
    t.notMatch(dotted.body, /root:/);
  }
  t.equal((await rawGet(base, '/api/recordings/no-such-id', ADMIN_TOKEN)).status, 404);
  t.equal((await rawGet(base, '/api/recordings/no-such-id/audio/extra', ADMIN_TOKEN)).status, 404);
});

t.test('basic auth, and the page login: a session cookie that logout ends', async (t) => {
  const { base } = await callsRecorded(t);
  const basic = { authorization: `Basic ${Buffer.from(`${USER.name}:${USER.password}`).toString('base64')}` };
  t.equal((await (await fetch(`${base}/api/recordings`, { headers: basic })).json() as Page).recordings.length, 4, 'basic auth');

  // What the page sends: JSON with its own origin (a browser adds Origin; form posts are refused, see login-listener.test.ts).
  const json = { 'content-type': 'application/json', origin: base };
  const bad = await fetch(`${base}/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: 'nope' }) });
  t.equal(bad.status, 401);
  t.equal(bad.headers.get('set-cookie'), null);
  const login = await fetch(`${base}/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: ACME_TOKEN }) });
  t.equal(login.status, 200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  t.match(login.headers.get('set-cookie'), /HttpOnly; SameSite=Strict/);
  const viaCookie = await fetch(`${base}/api/recordings`, { headers: { cookie } });
  t.equal(((await viaCookie.json()) as Page).recordings.length, 3, 'the session keeps the token\'s tenant');
  t.equal((await fetch(`${base}/`, { headers: { cookie } })).status, 200);
  await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } });
  t.equal((await fetch(`${base}/api/recordings`, { headers: { cookie } })).status, 401, 'logged out');
  t.equal((await fetch(`${base}/api/recordings`, { method: 'DELETE', headers: basic })).status, 405);
});
