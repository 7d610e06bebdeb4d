/**
 * Delete, legal hold and the audit trail over HTTP, against the running daemon (simulator calls, local
 * storage, the real lifecycle service): every new route for an admin of every tenant, an admin of one
 * tenant, readers and no credential; another tenant's recording is "not found"; bad input gets a clear
 * error; each play, download, delete, hold and release appears in the audit trail, once.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bearer } from '../helpers/stack';
import { ACME_ADMIN, ACME_TOKEN, auditOf, listAll, READER, ROOT_ADMIN, rolesStack, type AuditEventView, type Rec } from './lifecycle-fixture';

type Call = { method: string; path: string; body?: unknown; headers?: Record<string, string> };

async function send(base: string, token: string | undefined, c: Call): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(token ? bearer(token).headers : {}), ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}), ...c.headers };
  const res = await fetch(`${base}${c.path}`, { method: c.method, headers, body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const del = (id: string, reason?: string): Call => ({ method: 'DELETE', path: `/api/recordings/${id}`, body: reason === undefined ? undefined : { reason } });
const hold = (id: string, reason?: string): Call => ({ method: 'POST', path: `/api/recordings/${id}/hold`, body: reason === undefined ? undefined : { reason } });
const release = (id: string, reason?: string): Call => ({ method: 'DELETE', path: `/api/recordings/${id}/hold`, body: reason === undefined ? undefined : { reason } });
const audit = (query = ''): Call => ({ method: 'GET', path: `/api/audit${query}` });

async function recordings(base: string): Promise<{ acme: Rec[]; other: Rec }> {
  const all = await listAll(base, ROOT_ADMIN);
  const acme = all.filter((r) => r.tenant === 'acme.example');
  const other = all.find((r) => r.tenant === 'other.example');
  if (acme.length !== 3 || !other) throw new Error(`expected 3 + 1 recordings, got ${all.map((r) => r.tenant).join(', ')}`);
  return { acme, other };
}

const detail = async (base: string, id: string): Promise<Rec> => (await send(base, ROOT_ADMIN, { method: 'GET', path: `/api/recordings/${id}` })).body as unknown as Rec;

t.test('GET /api/me: name, tenant and role of the credential', async (t) => {
  const { base } = await rolesStack(t);
  t.same((await send(base, ROOT_ADMIN, { method: 'GET', path: '/api/me' })).body, { name: 'token on line 4', tenant: null, role: 'admin' });
  t.same((await send(base, ACME_ADMIN, { method: 'GET', path: '/api/me' })).body, { name: 'token on line 5', tenant: 'acme.example', role: 'admin' });
  t.same((await send(base, READER, { method: 'GET', path: '/api/me' })).body, { name: 'token on line 1', tenant: null, role: 'reader' });
  t.same((await send(base, ACME_TOKEN, { method: 'GET', path: '/api/me' })).body, { name: 'token on line 2', tenant: 'acme.example', role: 'reader' });
  t.equal((await send(base, undefined, { method: 'GET', path: '/api/me' })).status, 401);
  t.same((await send(base, READER, { method: 'GET', path: '/api/whoami' })).body, { name: 'token on line 1', tenant: null }, '/api/whoami is as it was');
});

t.test('every new route without a credential, as a reader, as another tenant\'s admin', async (t) => {
  const { s, base } = await rolesStack(t);
  const { acme, other } = await recordings(base);
  const mine = acme[0] as Rec;
  const routes = (id: string): Call[] => [del(id, 'r'), hold(id, 'r'), release(id, 'r'), audit()];

  for (const c of routes(mine.id)) {
    const r = await send(base, undefined, c);
    t.equal(r.status, 401, `${c.method} ${c.path} without a credential`);
  }
  for (const token of [READER, ACME_TOKEN]) {
    for (const c of routes(mine.id)) {
      const r = await send(base, token, c);
      t.equal(r.status, 403, `${c.method} ${c.path} as a reader`);
      t.match(r.body.error, /needs an admin credential; token on line \d is a reader \(role=admin in the tokens or users file\)/);
    }
  }
  // The acme admin: the other tenant's recording does not exist for it, whatever it asks.
  for (const c of [del(other.id, 'r'), hold(other.id, 'r'), release(other.id, 'r')]) {
    const r = await send(base, ACME_ADMIN, c);
    t.equal(r.status, 404, `${c.method} ${c.path}: another tenant's recording is not found`);
    t.same(r.body, { error: 'no such recording' }, 'the same answer as an id that never existed');
  }
  const ref = await send(base, ACME_ADMIN, audit('?tenant=other.example'));
  t.equal(ref.status, 403, 'the acme admin may not ask for another tenant\'s trail');
  t.match(ref.body.error, /sees tenant acme.example only/);

  const after = await recordings(base);
  t.same([...after.acme, after.other].map((r) => [r.id, r.state, r.hold ?? null]), [...acme, other].map((r) => [r.id, 'stored', null]), 'nothing was deleted or held');
  t.ok(existsSync(join(s.dir, 'stored', other.key)), 'the other tenant\'s object is still stored');
  const trail = (await send(base, ROOT_ADMIN, audit(`?recording=${mine.id}`))).body as unknown as { events: { action: string; actor: string; outcome: string; detail?: string }[] };
  const readerAttempts = trail.events.filter((e) => /token on line [12]$/.test(e.actor)).map((e) => `${e.actor} ${e.action} ${e.outcome} ${(e.detail ?? '').split(':')[0]}`);
  t.same(readerAttempts.sort(), ['delete', 'hold', 'release'].flatMap((a) => [1, 2].map((n) => `token on line ${n} ${a} refused forbidden`)).sort(), 'each reader\'s attempt to change the recording is in the audit trail, refused');
});

t.test('an admin of one tenant holds, is refused a delete while held, releases, deletes; the tombstone answers 410', async (t) => {
  const { s, base } = await rolesStack(t);
  const { acme } = await recordings(base);
  const r = acme[0] as Rec;

  const held = await send(base, ACME_ADMIN, hold(r.id, 'ticket 42: customer dispute'));
  t.equal(held.status, 200);
  t.match(held.body, { id: r.id, state: 'stored', hold: { reason: 'ticket 42: customer dispute', by: 'token on line 5', objectLock: false } }, 'the recording as it is now, with its hold');
  t.match((await detail(base, r.id)).hold, { reason: 'ticket 42: customer dispute', by: 'token on line 5' }, 'the view shows the hold');

  const again = await send(base, ACME_ADMIN, hold(r.id, 'twice'));
  t.equal(again.status, 409, 'a second hold');
  t.match(again.body.error, /already under legal hold/);
  const refused = await send(base, ACME_ADMIN, del(r.id, 'cleanup'));
  t.equal(refused.status, 409, 'a held recording cannot be deleted');
  t.match(refused.body.error, /under legal hold .*release it first/);
  t.ok(existsSync(join(s.dir, 'stored', r.key)), 'and its object stays');

  const released = await send(base, ACME_ADMIN, release(r.id, 'dispute settled'));
  t.equal(released.status, 200);
  t.equal(released.body.hold, undefined, 'released');
  const notHeld = await send(base, ACME_ADMIN, release(r.id, 'again'));
  t.equal(notHeld.status, 409, 'releasing what is not held');
  t.match(notHeld.body.error, /not under legal hold/);

  const deleted = await send(base, ACME_ADMIN, del(r.id, 'GDPR erasure request 7'));
  t.equal(deleted.status, 200);
  t.match(deleted.body, { id: r.id, state: 'deleted', deleted: { deletedBy: 'token on line 5', reason: 'GDPR erasure request 7', cause: 'request' } });
  t.notOk(existsSync(join(s.dir, 'stored', r.key)), 'the object is gone from storage');
  t.match(await detail(base, r.id), { state: 'deleted', deleted: { reason: 'GDPR erasure request 7' } }, 'the entry stays as a tombstone');

  for (const link of [r.links.audio, r.links.download, `/api/recordings/${r.id}/url`]) {
    const gone = await send(base, ROOT_ADMIN, { method: 'GET', path: link });
    t.equal(gone.status, 410, `${link}: gone`);
    t.match(gone.body, { error: /recording deleted .* by token on line 5 \(request\): GDPR erasure request 7/, deleted: { deletedBy: 'token on line 5', reason: 'GDPR erasure request 7', cause: 'request' } }, 'with the tombstone');
  }
  const holdDeleted = await send(base, ACME_ADMIN, hold(r.id, 'too late'));
  t.equal(holdDeleted.status, 409, 'a hold on a deleted recording');
  t.match(holdDeleted.body.error, /was deleted/);
  const twice = await send(base, ROOT_ADMIN, del(r.id, 'again'));
  t.equal(twice.status, 409, 'deleting it again');
});

t.test('the admin of every tenant acts on any tenant\'s recording', async (t) => {
  const { base } = await rolesStack(t);
  const { other } = await recordings(base);
  t.equal((await send(base, ROOT_ADMIN, hold(other.id, 'audit by regulator'))).status, 200);
  t.equal((await send(base, ROOT_ADMIN, release(other.id, 'audit over'))).status, 200);
  const gone = await send(base, ROOT_ADMIN, del(other.id, 'customer left'));
  t.equal(gone.status, 200);
  t.equal(gone.body.state, 'deleted');
});

t.test('bad input: unknown and malformed ids, a missing reason, a body that is not JSON, another site', async (t) => {
  const { base } = await rolesStack(t);
  const { acme } = await recordings(base);
  const id = (acme[1] as Rec).id;
  for (const c of [del('no-such-recording', 'r'), hold('no-such-recording', 'r'), release('no-such-recording', 'r')]) {
    const r = await send(base, ROOT_ADMIN, c);
    t.equal(r.status, 404, `${c.method} ${c.path}`);
    t.same(r.body, { error: 'no such recording' });
  }
  for (const c of [del('..%2Fetc', 'r'), hold('.hidden', 'r'), release('%E0%A4%A', 'r')]) {
    t.equal((await send(base, ROOT_ADMIN, c)).status, 400, `${c.method} ${c.path}: not an id`);
  }
  for (const c of [del(id), hold(id), release(id), del(id, '   '), { ...hold(id), body: {} }]) {
    const r = await send(base, ROOT_ADMIN, c);
    t.equal(r.status, 400, `${c.method} ${c.path} ${JSON.stringify(c.body)}: no reason`);
    t.match(r.body.error, /a reason is required: send \{"reason": "..."\} as JSON, or \?reason=/);
  }
  t.match(await send(base, ROOT_ADMIN, { ...hold(id), body: { reason: 42 } }), { status: 400, body: { error: 'reason: expected a string' } });
  t.match(await send(base, ROOT_ADMIN, { ...hold(id), body: '{"reason":' }), { status: 400, body: { error: /not JSON/ } });
  t.match(await send(base, ROOT_ADMIN, { ...hold(id), body: '["x"]' }), { status: 400, body: { error: /a JSON object/ } });
  t.match(await send(base, ROOT_ADMIN, { ...hold(id), body: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), { status: 415, body: { error: /must be JSON/ } });
  t.match(await send(base, ROOT_ADMIN, { ...hold(id), body: { reason: 'x'.repeat(10_000) } }), { status: 413 });
  t.equal((await fetch(`${base}/api/recordings/${id}`, bearer(ROOT_ADMIN))).status, 200, 'none of that changed anything');
  t.equal(((await fetch(`${base}/api/recordings/${id}`, bearer(ROOT_ADMIN)).then((r) => r.json())) as Rec).hold, undefined);

  const crossSite = await send(base, ROOT_ADMIN, { ...hold(id, 'csrf'), headers: { origin: 'https://evil.example' } });
  t.equal(crossSite.status, 403, 'a change from another site\'s page');
  t.match(crossSite.body.error, /only accepted from this listener's own page/);
  t.equal((await send(base, ROOT_ADMIN, { ...hold(id, 'csrf'), headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
  const viaQuery = await send(base, ROOT_ADMIN, { method: 'POST', path: `/api/recordings/${id}/hold?reason=${encodeURIComponent('by query')}`, headers: { origin: base } });
  t.equal(viaQuery.status, 200, 'the reason as a query parameter, from the page\'s own origin');
  t.match(viaQuery.body.hold, { reason: 'by query' });

  t.match(await send(base, ROOT_ADMIN, { method: 'GET', path: `/api/recordings/${id}/hold` }), { status: 405, body: { error: /POST .* DELETE/ } });
  t.equal((await send(base, ROOT_ADMIN, { method: 'PUT', path: `/api/recordings/${id}` })).status, 405);
  t.equal((await send(base, ROOT_ADMIN, { method: 'DELETE', path: `/api/recordings/${id}/audio` })).status, 405);
  for (const [q, msg] of [
    ['?action=explode', /action: expected one of download, play, url, delete, retention-delete, hold, release/],
    ['?colour=red', /unknown parameter "colour"/],
    ['?limit=0', /limit: expected a whole number from 1 to 1000/],
    ['?from=yesterday', /from: expected a date/],
    ['?recording=..%2Fx', /recording: not a recording id/],
    ['?before=abc', /before: not a cursor/],
  ] as const) {
    const r = await send(base, ROOT_ADMIN, audit(q));
    t.equal(r.status, 400, `audit ${q}`);
    t.match(r.body.error, msg);
  }
});

t.test('the audit trail: one play per play (not per Range request), downloads, holds, releases, deletes; filters and pages', async (t) => {
  const { s, base } = await rolesStack(t);
  const { acme, other } = await recordings(base);
  const [a, b] = acme as [Rec, Rec];
  const range = (token: string, value: string) => ({ headers: { ...bearer(token).headers, range: value } });

  // One play in a browser: the first request from byte 0, then the player's seeks and refills.
  for (const value of ['bytes=0-', 'bytes=1000-', 'bytes=2000-3999', 'bytes=-100']) {
    const res = await fetch(`${base}${a.links.audio}`, range(READER, value));
    t.equal(res.status, 206, value);
    await res.arrayBuffer();
  }
  // A second play without Range (curl), a HEAD (no bytes: no play), one download.
  await (await fetch(`${base}${a.links.audio}`, bearer(ACME_TOKEN))).arrayBuffer();
  t.equal((await fetch(`${base}${a.links.audio}`, { method: 'HEAD', ...bearer(READER) })).status, 200);
  await (await fetch(`${base}${b.links.download}`, bearer(ACME_TOKEN))).arrayBuffer();
  await (await fetch(`${base}${other.links.download}`, bearer(READER))).arrayBuffer();
  t.equal((await fetch(`${base}/api/recordings/${b.id}/url`, bearer(READER))).status, 409, 'a local directory has no presigned URLs (S3: presigned-url.test.ts)');
  t.equal((await send(base, ACME_ADMIN, hold(b.id, 'litigation'))).status, 200);
  t.equal((await send(base, ACME_ADMIN, del(b.id, 'oops'))).status, 409);
  t.equal((await send(base, ACME_ADMIN, release(b.id, 'litigation over'))).status, 200);
  t.equal((await send(base, ACME_ADMIN, del(b.id, 'erasure request'))).status, 200);

  const events = await auditOf(base, ROOT_ADMIN);
  const brief = (e: AuditEventView) => [e.action, e.recordingId, e.actor, e.outcome, e.reason ?? null];
  t.same(events.map(brief), [
    ['delete', b.id, 'token on line 5', 'ok', 'erasure request'],
    ['release', b.id, 'token on line 5', 'ok', 'litigation over'],
    ['delete', b.id, 'token on line 5', 'refused', 'oops'],
    ['hold', b.id, 'token on line 5', 'ok', 'litigation'],
    ['download', other.id, 'token on line 1', 'ok', null],
    ['download', b.id, 'token on line 2', 'ok', null],
    ['play', a.id, 'token on line 2', 'ok', null],
    ['play', a.id, 'token on line 1', 'ok', null],
  ], 'newest first: four Range requests of one play are one play; a HEAD and a refused URL are none');
  t.ok(events.every((e) => e.from === '127.0.0.1'), 'from the client address');
  t.ok(events.every((e, i) => i === 0 || e.seq < (events[i - 1] as AuditEventView).seq), 'seq decreases down the page');
  t.equal(events.find((e) => e.outcome === 'refused')?.detail?.startsWith('held:'), true, 'a refusal says why');
  t.equal((await s.app.index.get(b.id))?.state, 'deleted');

  t.same((await auditOf(base, ROOT_ADMIN, '?action=play')).map((e) => e.actor), ['token on line 2', 'token on line 1'], 'by action');
  t.same((await auditOf(base, ROOT_ADMIN, `?recording=${a.id}`)).map((e) => e.action), ['play', 'play'], 'by recording');
  t.same((await auditOf(base, ROOT_ADMIN, '?actor=token on line 1')).map((e) => e.action), ['download', 'play'], 'by actor');
  t.same((await auditOf(base, ROOT_ADMIN, '?tenant=other.example')).map((e) => e.recordingId), [other.id], 'by tenant');
  t.equal((await auditOf(base, ROOT_ADMIN, `?from=${new Date(Date.now() + 60_000).toISOString()}`)).length, 0, 'nothing from the future');
  t.equal((await auditOf(base, ROOT_ADMIN, '?from=1h')).length, 8, 'everything of the last hour');
  t.equal((await auditOf(base, ROOT_ADMIN, `?to=${new Date(Date.now() - 3600_000).toISOString()}`)).length, 0, 'nothing before the test');

  const acmeTrail = await auditOf(base, ACME_ADMIN);
  t.same(acmeTrail.map(brief), events.filter((e) => e.tenant === 'acme.example').map(brief), 'the acme admin sees acme\'s trail only');
  t.equal(acmeTrail.length, 7);

  const seen: number[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const res = await send(base, ROOT_ADMIN, audit(`?limit=3${next ? `&before=${next}` : ''}`));
    t.equal(res.status, 200);
    const page = res.body as unknown as { events: AuditEventView[]; next: string | null };
    seen.push(...page.events.map((e) => e.seq));
    next = page.next;
    pages += 1;
  } while (next && pages < 10);
  t.equal(pages, 3, 'eight events in pages of three');
  t.same(seen, events.map((e) => e.seq), 'the pages cover the trail once, newest first');
});
