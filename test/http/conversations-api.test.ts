/**
 * /api/conversations against a running daemon: a conversation of three segments (attended, then blind
 * transfer to a queue agent) and one that crossed tenants, beside the four ordinary recorded calls.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callsRecorded } from '../helpers/recorded-calls';
import { ACME_TOKEN, ADMIN_TOKEN, bearer, OTHER_TOKEN } from '../helpers/stack';
import { addConversation, CUSTOMER, threeSegments } from './conversation-fixture';

interface Party {
  role: string;
  number: string;
  name?: string;
  user?: string;
}
interface Segment {
  id: string;
  conversationId: string;
  segment: number;
  tenant: string;
  startedBy?: string;
  parties: Party[];
  transferFrom?: { kind: string; recordingId?: string };
  queue?: string;
  agent?: string;
  links: { audio: string; download: string; conversation: string };
}
interface Conversation {
  conversationId: string;
  segmentCount: number;
  startedAt: string;
  lastStartedAt: string;
  endedAt?: string;
  durationMs: number;
  parties: Party[];
  segments: Segment[];
  links: { self: string };
}

async function json<T>(base: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${base}${path}`, bearer(token));
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function withConversations(t: Parameters<typeof callsRecorded>[0]): Promise<{ base: string; dir: string; keys: string[] }> {
  const { s, base } = await callsRecorded(t);
  const now = Date.now();
  const keys = addConversation(s, 'conv-acme', threeSegments(), now + 60_000);
  // Answered in other.example, transferred (attended) to a user of acme.example.
  addConversation(
    s,
    'conv-x',
    [
      { id: 'seg-x1-1', domain: 'other.example', caller: CUSTOMER, callee: { role: 'callee', number: '2001', name: 'Olga', user: 'olga' }, startedBy: 'answer', seconds: 0.3 },
      { id: 'seg-x2-1', domain: 'acme.example', caller: CUSTOMER, callee: { role: 'callee', number: '1004', name: 'Dave', user: 'dave' }, startedBy: 'transfer', transfer: 'attended', seconds: 0.3 },
    ],
    now + 30_000,
  );
  return { base, dir: s.dir, keys };
}

t.test('conversations: one row each, segments in order with parties, transfers and audio', async (t) => {
  const { base, dir, keys } = await withConversations(t);
  const page = await json<{ conversations: Conversation[]; next: string | null }>(base, '/api/conversations', ADMIN_TOKEN);
  t.equal(page.conversations.length, 6, 'four one-segment calls and two conversations');
  t.equal(page.next, null);
  const [acme, cross] = page.conversations as [Conversation, Conversation];
  t.match(acme, { conversationId: 'conv-acme', segmentCount: 3, durationMs: 1500, links: { self: '/api/conversations/conv-acme' } }, 'the newest conversation first, its durations summed');
  t.same(acme.parties.map((p) => `${p.number} ${p.name ?? ''}`), ['+15557770001 Customer Co', '1001 Alice', '1002 Bob', '1003 Carol'], 'everyone once, in the order they joined');
  t.same(acme.segments.map((s) => [s.id, s.segment, s.startedBy, s.transferFrom?.kind ?? null, s.transferFrom?.recordingId ?? null]), [
    ['seg-a-1', 1, 'answer', null, null],
    ['seg-b-1', 2, 'transfer', 'attended', 'seg-a-1'],
    ['seg-c-1', 3, 'transfer', 'blind', 'seg-b-1'],
  ]);
  t.equal(acme.startedAt < acme.lastStartedAt, true);
  t.match(acme.segments[2], { queue: 'support@acme.example', agent: '1003@acme.example', parties: [{ role: 'caller', number: '+15557770001' }, { role: 'callee', number: '1003', user: 'carol' }] });
  t.same(cross.segments.map((s) => s.tenant), ['other.example', 'acme.example'], 'an unscoped credential sees a conversation across tenants whole');

  for (const [i, seg] of acme.segments.entries()) {
    const audio = await fetch(`${base}${seg.links.audio}`, bearer(ADMIN_TOKEN));
    t.equal(audio.status, 200);
    t.ok(Buffer.from(await audio.arrayBuffer()).equals(readFileSync(join(dir, 'stored', keys[i] as string))), `segment ${i + 1}'s own audio`);
  }
  const one = await json<Conversation>(base, '/api/conversations/conv-acme', ADMIN_TOKEN);
  t.same(one, acme, 'the conversation by its id is the row the list shows');

  const ordinary = page.conversations.slice(2);
  t.ok(ordinary.every((c) => c.segmentCount === 1 && c.segments[0]?.conversationId === c.conversationId && c.segments[0]?.segment === 1), 'a recording made before conversations is a conversation of one (its call)');
  const first = ordinary[0]?.segments[0];
  t.same(first?.parties.map((p) => p.role), ['caller', 'callee'], 'its parties come from its numbers');
  t.equal(first?.links.conversation, `/api/conversations/${encodeURIComponent(first?.conversationId ?? '')}`);

  const recs = await json<{ recordings: Segment[] }>(base, '/api/recordings', ADMIN_TOKEN);
  t.equal(recs.recordings.length, 9, '/api/recordings still lists every recording, one per segment');
  t.same((await json<{ recordings: Segment[] }>(base, '/api/recordings?conversation=conv-acme', ADMIN_TOKEN)).recordings.map((r) => r.id), ['seg-c-1', 'seg-b-1', 'seg-a-1'], 'and filters by conversation');
  t.same((await json<{ recordings: Segment[] }>(base, '/api/recordings?agent=1003', ADMIN_TOKEN)).recordings.map((r) => r.id), ['seg-c-1'], 'by agent (1003 is 1003@acme.example)');
  t.same((await json<{ recordings: Segment[] }>(base, '/api/recordings?queue=support@acme.example', ADMIN_TOKEN)).recordings.map((r) => r.id), ['seg-c-1'], 'by queue@domain');
});

t.test('search, filters and pages over conversations', async (t) => {
  const { base } = await withConversations(t);
  const ids = async (q: string): Promise<string[]> => (await json<{ conversations: Conversation[] }>(base, `/api/conversations${q}`, ADMIN_TOKEN)).conversations.map((c) => `${c.conversationId}×${c.segmentCount}`);
  t.same(await ids('?q=carol'), ['conv-acme×3'], 'a party of the last segment finds the whole conversation');
  t.same(await ids('?q=1002'), ['conv-acme×3'], 'so does a number from the middle one');
  t.same(await ids('?queue=support'), ['conv-acme×3'], 'a queue by its name');
  t.same(await ids('?user=olga'), ['conv-x×2']);
  const other = await ids('?tenant=other.example');
  t.equal(other.length, 2, 'other.example: its one call and the conversation it began');
  t.equal(other[0], 'conv-x×1', 'a tenant filter counts only that tenant\'s segments');
  t.match(other[1], /×1$/);
  const seen: string[] = [];
  let next: string | null = null;
  do {
    const page: { conversations: Conversation[]; next: string | null } = await json(base, `/api/conversations?limit=4${next ? `&before=${next}` : ''}`, ADMIN_TOKEN);
    seen.push(...page.conversations.map((c) => c.conversationId));
    next = page.next;
  } while (next);
  t.equal(seen.length, 6);
  t.equal(new Set(seen).size, 6, 'pages list each conversation once');

  for (const [path, status] of [
    ['/api/conversations?direction=up', 400],
    ['/api/conversations?conversation=..%2Fx', 400],
    ['/api/conversations/..%2F..%2Fetc', 400],
    ['/api/conversations/%E0%A4%A', 400],
    ['/api/conversations/no-such-conversation', 404],
    ['/api/conversations/conv-acme/segments', 404],
  ] as const) {
    t.equal((await fetch(`${base}${path}`, bearer(ADMIN_TOKEN))).status, status, path);
  }
  t.equal((await fetch(`${base}/api/conversations`)).status, 401, 'no credential, no conversations');
  t.equal((await fetch(`${base}/api/conversations/conv-acme`)).status, 401);
});

t.test('a tenant sees its own segments only; another tenant\'s conversation does not exist for it', async (t) => {
  const { base } = await withConversations(t);
  const mine = await json<{ conversations: Conversation[] }>(base, '/api/conversations', ACME_TOKEN);
  t.same(mine.conversations.map((c) => c.conversationId).slice(0, 2), ['conv-acme', 'conv-x']);
  t.equal(mine.conversations.length, 5, 'acme: its three calls and both conversations');
  t.ok(mine.conversations.every((c) => c.segments.every((s) => s.tenant === 'acme.example')), 'nothing of other.example in any row');
  const cross = mine.conversations[1] as Conversation;
  t.equal(cross.segmentCount, 1, 'of the conversation that crossed tenants, acme sees its own segment');
  t.same(cross.segments[0]?.transferFrom, { kind: 'attended' }, 'that it was transferred, not which recording of the other tenant it came from');
  t.notOk(JSON.stringify(mine).includes('seg-x1-1'), 'the other tenant\'s recording id appears nowhere');
  t.same((await json<Segment>(base, '/api/recordings/seg-x2-1', ACME_TOKEN)).transferFrom, { kind: 'attended' }, 'nor in the recording\'s own details');
  t.same((await json<Segment>(base, '/api/recordings/seg-x2-1', ADMIN_TOKEN)).transferFrom, { recordingId: 'seg-x1-1', kind: 'attended' }, 'an unscoped credential sees it');

  t.equal((await fetch(`${base}/api/conversations?tenant=other.example`, bearer(ACME_TOKEN))).status, 403, 'asking for another tenant is refused');
  const theirs = await fetch(`${base}/api/conversations/conv-acme`, bearer(OTHER_TOKEN));
  t.equal(theirs.status, 404, 'acme\'s conversation does not exist for other.example');
  t.same(await theirs.json(), { error: 'no such conversation' }, 'exactly like one that never existed');
  const otherView = await json<Conversation>(base, '/api/conversations/conv-x', OTHER_TOKEN);
  t.same(otherView.segments.map((s) => s.id), ['seg-x1-1'], 'other.example sees its first segment only');
  t.equal((await fetch(`${base}/api/recordings/seg-b-1/audio`, bearer(OTHER_TOKEN))).status, 404, 'and none of acme\'s audio');
  t.same((await json<{ conversations: Conversation[] }>(base, '/api/conversations?q=carol', OTHER_TOKEN)).conversations, [], 'nor finds it by a party');
});
