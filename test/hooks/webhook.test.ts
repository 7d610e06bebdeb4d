/**
 * Webhooks against a real receiver on 127.0.0.1 that checks each request's signature and timestamp: a
 * signed delivery, a 500 then ok, an answer later than timeout_ms, 404/410 refusals (failed at once, then
 * `fsrecd hooks retry`), the max_age_hours window, tenant filters, an unreachable URL, a presigned URL from
 * a real S3 server, and deliveries that outlive the dispatcher (created before a stop, or never written).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HookConfig } from '../../src/config/hooks';
import { HookDispatcher, type JournalView } from '../../src/hooks/dispatcher';
import type { HookPayload } from '../../src/hooks/payload';
import { requestRetry } from '../../src/hooks/retry-requests';
import { signatureHeader, verifySignature } from '../../src/hooks/signature';
import { silentLogger } from '../../src/log';
import { Metrics } from '../../src/metrics';
import type { JournalEntry } from '../../src/spool/journal';
import { createStorageTarget } from '../../src/storage/create-target';
import type { StorageReader } from '../../src/storage/target';
import { freePort } from '../helpers/crash-harness';
import { startS3 } from '../helpers/s3-server';
import { BUCKET, directClient, s3Target } from '../helpers/storage-fixtures';
import { waitFor } from '../helpers/wait-for';
import { Receiver, SECRET, storedEntry, webhook, type Behaviour } from './fixtures';

interface Setup {
  dispatcher: HookDispatcher;
  metrics: Metrics;
  stateDir: string;
}

function journalOf(entries: JournalEntry[]): JournalView {
  return { stored: () => entries, has: (id) => entries.some((e) => e.id === id) };
}

async function open(t: Test, hooks: HookConfig[], o: { stateDir?: string; store?: Pick<StorageReader, 'presign'>; journal?: JournalEntry[] } = {}): Promise<Setup> {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'fsrecd-hooks-'));
  const metrics = new Metrics();
  const store = o.store ?? createStorageTarget({ type: 'local', dir: join(stateDir, 'recordings') }, silentLogger());
  const dispatcher = new HookDispatcher({ hooks, stateDir, store, storageType: o.store ? 's3' : 'local', urlExpirySeconds: 3600, log: silentLogger(), metrics, retryPollMs: 50 });
  await dispatcher.open(journalOf(o.journal ?? []));
  // Stopped (its attempts and their writes over) before its directory goes.
  t.teardown(async () => {
    await dispatcher.stop(5000);
    if (!o.stateDir) rmSync(stateDir, { recursive: true, force: true });
  });
  return { dispatcher, metrics, stateDir };
}

async function receiver(t: Test, behaviour: Behaviour): Promise<Receiver> {
  const r = await Receiver.start(behaviour);
  t.teardown(() => r.close());
  return r;
}

const deliveryFile = (s: Setup, id: string): { state: string; attempts: number; lastError?: string } => JSON.parse(readFileSync(join(s.stateDir, 'hooks', 'deliveries', `${id}.json`), 'utf8')) as { state: string; attempts: number; lastError?: string };

t.test('the signature: Stripe-like, over "<t>.<body>", refused when tampered with or outside the window', async (t) => {
  const body = '{"a":1}';
  const h = signatureHeader(SECRET, body, 1_700_000_000);
  t.match(h, /^t=1700000000,v1=[0-9a-f]{64}$/);
  t.same(verifySignature(h, body, SECRET, 1_700_000_100), { ok: true, timestamp: 1_700_000_000 });
  t.match(verifySignature(h, '{"a":2}', SECRET, 1_700_000_000), { ok: false, reason: /does not match/ });
  t.match(verifySignature(h, body, 'another-secret-0123456789', 1_700_000_000), { ok: false, reason: /does not match/ });
  t.match(verifySignature(h, body, SECRET, 1_700_000_000 + 301), { ok: false, reason: /window/ }, 'a replay 301 s later is refused');
  t.match(verifySignature(undefined, body, SECRET, 1_700_000_000), { ok: false });
  t.same(verifySignature(`t=1700000000,v1=${'0'.repeat(64)},${h.split(',')[1]}`, body, SECRET, 1_700_000_000).ok, true, 'any of several v1 values (secret rotation)');
});

t.test('a stored recording is POSTed once, signed, with its description', async (t) => {
  const r = await receiver(t, () => ({ status: 204 }));
  const s = await open(t, [webhook('crm', r.url)]);
  s.dispatcher.onStored(storedEntry('rec-1'));
  await waitFor(() => r.delivered().length === 1, 'one delivery');
  const got = r.received[0];
  t.same(got?.verdict.ok, true, 'the receiver verified the signature and the timestamp');
  t.equal(got?.headers['content-type'], 'application/json');
  t.equal(got?.headers['x-fsrecd-hook'], 'crm');
  const p = JSON.parse(got?.body ?? '{}') as HookPayload;
  t.equal(got?.headers['x-fsrecd-delivery'], p.deliveryId, 'X-Fsrecd-Delivery is the body\'s deliveryId');
  t.match(p, {
    version: 1,
    event: 'stored',
    hook: 'crm',
    recording: {
      id: 'rec-1',
      callUuid: 'call-rec-1',
      conversationId: 'call-rec-1',
      segment: 1,
      tenant: 'acme',
      domain: 'acme.example',
      key: 'acme/2026/rec-1.wav',
      size: 48_044,
      checksums: { md5: '0123456789abcdef0123456789abcdef' },
      durationMs: 60_000,
      startedAt: '2026-11-24T10:00:00.000Z',
      endedAt: '2026-11-24T10:01:00.000Z',
      reasons: ['user alice outbound×internal on'],
      trigger: 'rule',
      parties: [{ role: 'caller', number: '1000' }, { role: 'callee', number: '1001' }],
    },
    storage: { type: 'local', key: 'acme/2026/rec-1.wav' },
  });
  t.notOk('url' in p.storage, 'a local directory gives the key, no URL');
  await waitFor(() => deliveryFile(s, p.deliveryId).state === 'delivered', 'delivered on disk');
  t.equal(s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'crm', outcome: 'delivered' }), 1);
  s.dispatcher.onStored(storedEntry('rec-1'));
  t.equal(s.dispatcher.deliveries.size, 1, 'the same recording heard again makes no second delivery');
});

t.test('a 500 is retried with backoff: delivered by the second attempt, same delivery id', async (t) => {
  const r = await receiver(t, (n) => ({ status: n === 0 ? 500 : 200 }));
  const s = await open(t, [webhook('crm', r.url)]);
  s.dispatcher.onStored(storedEntry('rec-2'));
  await waitFor(() => s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'crm', outcome: 'delivered' }) === 1, 'delivered');
  t.same(r.received.map((x) => x.status), [500, 200]);
  t.equal(r.received[0]?.headers['x-fsrecd-delivery'], r.received[1]?.headers['x-fsrecd-delivery'], 'one id for every attempt');
  t.ok(r.received.every((x) => x.verdict.ok), 'each attempt signed afresh');
  t.equal(s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'crm', outcome: 'retry' }), 1);
  t.equal(s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'crm', outcome: 'delivered' }), 1);
});

t.test('an answer later than timeout_ms is a failed attempt, retried', async (t) => {
  const r = await receiver(t, (n) => ({ status: 200, delayMs: n === 0 ? 3000 : 0 }));
  const s = await open(t, [webhook('slow', r.url, { timeoutMs: 300 })]);
  s.dispatcher.onStored(storedEntry('rec-3'));
  const id = await waitFor(() => [...s.dispatcher.deliveries.values()].find((d) => d.attempts === 1 && d.state === 'pending'), 'the first attempt timed out');
  t.match(id.lastError, /no answer within 300 ms/);
  await waitFor(() => r.delivered().length === 1, 'delivered by the second attempt');
  t.equal(r.received.length, 2);
  t.equal(r.received[0]?.status, undefined, 'the slow answer never reached fsrecd');
});

t.test('404 and 410 fail at once (no retry), stay visible, and fsrecd hooks retry delivers them', async (t) => {
  let refuse = true;
  const r404 = await receiver(t, () => ({ status: refuse ? 404 : 200 }));
  const r410 = await receiver(t, () => ({ status: refuse ? 410 : 200 }));
  const s = await open(t, [webhook('a', r404.url), webhook('b', r410.url)]);
  s.dispatcher.onStored(storedEntry('rec-4'));
  await waitFor(() => s.dispatcher.status().every((x) => x.failed === 1), 'both failed');
  t.same(s.dispatcher.status().map((x) => [x.hook, x.pending, x.failed]), [['a', 0, 1], ['b', 0, 1]]);
  t.match(s.dispatcher.status()[0]?.lastError, /HTTP 404/);
  t.match(s.dispatcher.status()[1]?.lastError, /HTTP 410/);
  for (const d of s.dispatcher.deliveries.values()) {
    const onDisk = await waitFor(() => (deliveryFile(s, d.id).state === 'failed' ? deliveryFile(s, d.id) : undefined), `${d.hook}: failed on disk`);
    t.equal(onDisk.attempts, 1, `${d.hook}: failed on disk after one attempt`);
  }
  t.equal(s.metrics.value('fsrecd_hook_deliveries_total', { hook: 'a', outcome: 'failed' }), 1);
  t.match(s.metrics.render(), /fsrecd_hook_failed\{hook="a"\} 1/);
  refuse = false;
  await requestRetry(s.stateDir, { hook: 'a' });
  await waitFor(() => r404.delivered().length === 1, 'hook a retried and delivered');
  t.same([r404.received.length, r410.received.length], [2, 1], 'only the hook asked for was retried; nothing was retried by itself');
  await requestRetry(s.stateDir, { ids: ['rec-4'] });
  await waitFor(() => r410.delivered().length === 1, 'retried by recording id');
  await waitFor(() => s.dispatcher.status().every((x) => x.failed === 0 && x.pending === 0), 'nothing pending or failed');
});

t.test('a receiver down for longer than max_age_hours: failed, with the reason', async (t) => {
  const r = await receiver(t, () => ({ status: 503 }));
  const s = await open(t, [webhook('down', r.url, { maxAgeMs: 400, retryMinMs: 50, retryMaxMs: 100 })]);
  s.dispatcher.onStored(storedEntry('rec-5'));
  const d = await waitFor(() => [...s.dispatcher.deliveries.values()].find((x) => x.state === 'failed'), 'given up', 5000);
  t.ok(d.attempts >= 2, `retried before giving up (${d.attempts} attempts)`);
  t.match(d.lastError, /gave up after \d+ attempt\(s\) in max_age_hours: HTTP 503/);
});

t.test('tenants: a hook hears only its tenants\' recordings', async (t) => {
  const r = await receiver(t, () => ({ status: 200 }));
  const s = await open(t, [webhook('acme-only', r.url, { tenants: ['acme'] })]);
  s.dispatcher.onStored(storedEntry('rec-6', 'globex'));
  s.dispatcher.onStored(storedEntry('rec-7', 'acme'));
  await waitFor(() => r.delivered().length === 1, 'one delivered');
  t.same(r.received.map((x) => (JSON.parse(x.body) as HookPayload).recording.id), ['rec-7']);
  t.equal(s.dispatcher.deliveries.size, 1, 'no delivery made for the other tenant');
});

t.test('an unreachable URL: retried, visible as pending with the reason, in status and /metrics', async (t) => {
  const port = await freePort();
  const s = await open(t, [webhook('nobody', `http://127.0.0.1:${port}/hook`)]);
  s.dispatcher.onStored(storedEntry('rec-8'));
  await waitFor(() => [...s.dispatcher.deliveries.values()].some((d) => d.attempts >= 2), 'attempted twice');
  const st = s.dispatcher.status()[0];
  t.same([st?.pending, st?.failed], [1, 0]);
  t.match(st?.lastError, /ECONNREFUSED/);
  const text = s.metrics.render();
  t.match(text, /fsrecd_hook_pending\{hook="nobody"\} 1/);
  t.match(text, /fsrecd_hook_deliveries_total\{hook="nobody",outcome="retry"\} [1-9]/);
});

t.test('deliveries outlive the dispatcher: a pending one after a stop, and one a crash kept from being written', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fsrecd-hooks-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const port = await freePort();
  // First life: the receiver is not there yet.
  const first = await open(t, [webhook('crm', `http://127.0.0.1:${port}/hook`)], { stateDir });
  first.dispatcher.onStored(storedEntry('before-stop'));
  await waitFor(() => [...first.dispatcher.deliveries.values()].some((d) => d.attempts >= 1), 'attempted');
  await first.dispatcher.stop(0);
  // What the journal holds at the next start: that one, one stored while no delivery was written (a kill
  // between the two), and one stored before the hook existed (adding a hook does not send the past).
  const old = { ...storedEntry('before-hook'), updatedAt: new Date(Date.now() - 86_400_000).toISOString() };
  const journal = [storedEntry('before-stop'), storedEntry('lost-delivery'), old];
  const r = await Receiver.start(() => ({ status: 200 }));
  t.teardown(() => r.close());
  const second = new HookDispatcher({ hooks: [webhook('crm', r.url)], stateDir, store: { presign: async () => undefined }, storageType: 'local', urlExpirySeconds: 60, log: silentLogger(), metrics: new Metrics() });
  t.teardown(() => second.stop(5000));
  // The URL changed between lives (the receiver moved): deliveries follow the hook by name.
  await second.open(journalOf(journal));
  await waitFor(() => r.delivered().length === 2, 'both delivered after the restart');
  t.same(r.received.map((x) => (JSON.parse(x.body) as HookPayload).recording.id).sort(), ['before-stop', 'lost-delivery']);
  t.notOk([...second.deliveries.values()].some((d) => d.recordingId === 'before-hook'), 'nothing for a recording stored before the hook was added');
  await second.stop(5000);
});

t.test('S3 storage: the body carries a presigned URL that downloads the recording', async (t) => {
  const s3 = await startS3([BUCKET]);
  t.teardown(() => s3.remove());
  const bytes = Buffer.from('RIFF fake audio for the hook');
  await directClient(s3.port).putObject(BUCKET, 'acme/2026/rec-9.wav', bytes);
  const r = await receiver(t, () => ({ status: 200 }));
  await open(t, [webhook('crm', r.url, { urlExpirySeconds: 120 })], { store: s3Target(s3.port) }).then((s) => s.dispatcher.onStored(storedEntry('rec-9')));
  await waitFor(() => r.delivered().length === 1, 'delivered');
  const p = JSON.parse(r.received[0]?.body ?? '{}') as HookPayload;
  t.equal(p.storage.type, 's3');
  t.match(p.storage.url, /^http:\/\/127\.0\.0\.1:\d+\/recordings\/acme\/2026\/rec-9\.wav\?.*X-Amz-Signature=/);
  const at = Date.parse(p.storage.urlExpiresAt ?? '');
  t.ok(Math.abs(at - (Date.now() + 120_000)) < 10_000, 'urlExpiresAt is url_expiry_seconds from now');
  const res = await fetch(p.storage.url as string);
  t.equal(res.status, 200);
  t.same(Buffer.from(await res.arrayBuffer()), bytes, 'the URL fetches the stored bytes');
});
