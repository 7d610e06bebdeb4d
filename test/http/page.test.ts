/// <reference lib="dom" />
/**
 * The web page in a real headless Chromium (Debian's chromium, driven by playwright-core): log in, filter,
 * search, play (the audio element reports the recording's duration and seeks with Range requests),
 * download, details, on a phone-sized screen; hostile caller IDs stay text. A conversation of three
 * segments is one row; its segments list their parties and transfers, and "Play all" plays them in order.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { callsRecorded } from '../helpers/recorded-calls';
import { ACME_TOKEN, ADMIN_TOKEN, OTHER_TOKEN } from '../helpers/stack';
import { addConversation, threeSegments } from './conversation-fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
const HOSTILE = '<img src=x onerror="document.title=1">';

function wavSeconds(file: Buffer): number {
  const channels = file.readUInt16LE(22);
  const rate = file.readUInt32LE(24);
  return file.readUInt32LE(40) / (rate * channels * 2);
}

async function rows(page: Page): Promise<string[]> {
  return page.locator('li.rec .parties').allTextContents();
}

t.test('the recordings page in headless Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const { s, base } = await callsRecorded(t, [HOSTILE]);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, acceptDownloads: true });
  const page = await context.newPage();
  const statuses: number[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('/audio')) statuses.push(r.status());
  });

  await page.goto(`${base}/`);
  await page.locator('#login').waitFor({ state: 'visible' });
  t.equal(await page.locator('li.rec').count(), 0, 'nothing before logging in');
  await page.fill('#login-token', 'not-a-valid-token-at-all');
  await page.click('#login-submit');
  await page.locator('#login-error').filter({ hasText: /wrong/ }).waitFor();
  t.pass('a wrong token is refused on the page');

  await page.fill('#login-token', ADMIN_TOKEN);
  await page.click('#login-submit');
  await page.locator('li.rec').nth(4).waitFor();
  t.equal(await page.locator('li.rec').count(), 5, 'every recording listed');
  const texts = await rows(page);
  t.ok(texts.some((x) => x.startsWith(HOSTILE)), 'the hostile caller ID is shown as text');
  t.equal(await page.locator('li.rec img').count(), 0, 'and not as markup');
  t.not(await page.title(), '1', 'no script ran from it');
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  t.ok(fits, 'no sideways scrolling on a 390 px wide phone screen');

  await page.selectOption('#f-direction', 'inbound');
  await page.selectOption('#f-network', 'external');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 3);
  t.same((await rows(page)).map((x) => x.split(' → ')[0]).sort(), [HOSTILE, '+15551234567', '../../etc/passwd'].sort(), 'filtered to inbound external');

  await page.click('#clear');
  await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 5);
  // The node filter (several FreeSWITCH servers sharing one index): another node's name matches nothing here.
  const node = (await s.app.index.query({ limit: 1 })).recordings[0]?.node ?? '';
  t.not(node, '', 'the recordings name their node');
  await page.fill('#f-node', 'pbx-elsewhere');
  await page.click('#apply');
  await page.locator('#count').filter({ hasText: 'No recordings match.' }).waitFor();
  t.equal(await page.locator('li.rec').count(), 0, 'another node\'s filter lists none of this node\'s recordings');
  await page.fill('#f-node', node);
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 5);
  t.pass(`the node filter ${node} lists all five`);
  await page.click('#clear');
  await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 5);
  await page.fill('#f-q', '5551234');
  await page.press('#f-q', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 1);
  t.same(await rows(page), ['+15551234567 → 1001'], 'search by part of a number');

  const id = (await page.locator('li.rec').first().getAttribute('data-id')) as string;
  const entry = await s.app.index.get(id);
  const stored = readFileSync(join(s.dir, 'stored', entry?.key ?? 'missing'));
  const expected = wavSeconds(stored);
  t.ok(expected >= 4, `the recording holds ${expected} s`);

  await page.click('li.rec .play');
  await page.waitForFunction(() => {
    const a = document.getElementById('player') as HTMLAudioElement;
    return a.readyState >= 1 && Number.isFinite(a.duration) && a.duration > 0;
  });
  const duration = await page.evaluate(() => (document.getElementById('player') as HTMLAudioElement).duration);
  t.ok(Math.abs(duration - expected) < 0.05, `the audio element reports ${duration} s for a ${expected} s recording`);
  const seeked = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const a = document.getElementById('player') as HTMLAudioElement;
        a.addEventListener('seeked', () => resolve(a.currentTime), { once: true });
        a.currentTime = a.duration - 1;
      }),
  );
  t.ok(seeked > expected - 1.1, `seeks to ${seeked} s`);
  t.ok(statuses.includes(206), 'the player got partial content (Range)');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('li.rec .download')]);
  t.equal(download.suggestedFilename(), entry?.key.split('/').pop());
  const saved = readFileSync((await download.path()) as string);
  t.ok(saved.equals(stored), 'the downloaded file is the stored recording');

  await page.click('li.rec .details');
  const detailsText = (await page.locator('li.rec dl').textContent()) ?? '';
  t.match(detailsText, entry?.md5 ?? 'no md5', 'details show the checksum');
  t.match(detailsText, entry?.key ?? 'no key', 'and the storage key');
  t.match(detailsText, /inbound · external/);

  await page.click('#logout');
  await page.locator('#login').waitFor({ state: 'visible' });
  t.equal(await page.locator('li.rec').count(), 0, 'logging out clears the list');
  t.equal(await page.inputValue('#f-q'), '', 'and the search');
  await page.fill('#login-token', ACME_TOKEN);
  await page.click('#login-submit');
  await page.locator('li.rec').nth(3).waitFor();
  t.equal(await page.locator('li.rec').count(), 4, 'a tenant token sees its tenant only');
  t.ok(await page.locator('#tenant-field').isHidden(), 'and no tenant filter');
  t.notOk((await rows(page)).some((x) => x.startsWith('2000')), 'nothing of other.example');
});

t.test('a conversation of three segments: one row, its segments, play all in order', async (t) => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const { s, base } = await callsRecorded(t);
  // Bob's caller ID is hostile: it must stay text in the segment list too.
  const specs = threeSegments().map((x) => (x.id === 'seg-b-1' ? { ...x, callee: { ...x.callee, name: HOSTILE } } : x));
  addConversation(s, 'conv-acme', specs, Date.now() + 60_000);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.fill('#login-token', ADMIN_TOKEN);
  await page.click('#login-submit');
  await page.locator('li.rec').nth(4).waitFor();
  t.equal(await page.locator('li.rec').count(), 5, 'four calls and one conversation: five rows, not seven');
  t.equal(await page.locator('#count').textContent(), '5 conversations');
  const row = page.locator('li.rec.conversation');
  t.equal(await row.count(), 1);
  t.equal(await row.getAttribute('data-conversation'), 'conv-acme');
  t.equal(await row.locator('.parties').textContent(), '+15557770001 → 1001 → 1002 → 1003', 'the caller and everyone it was passed to');
  t.equal(await row.locator('.tag.segs').textContent(), '3 segments');
  t.ok(await row.locator('li.seg').first().isHidden(), 'segments folded until asked for');

  await row.locator('.segments-toggle').click();
  await row.locator('li.seg').nth(2).waitFor({ state: 'visible' });
  const segs = await row.locator('li.seg .seg-parties').allTextContents();
  t.same(segs, ['1. +15557770001 Customer Co → 1001 Alice (alice)', `2. +15557770001 Customer Co → 1002 ${HOSTILE} (bob)`, '3. +15557770001 Customer Co → 1003 Carol (carol)'], 'each segment\'s parties, in order');
  t.equal(await row.locator('li.seg img').count(), 0, 'a hostile name is text, not markup');
  t.not(await page.title(), '1');
  t.same(await row.locator('li.seg .seg-how').allTextContents(), ['answer · 0:01', 'transferred (attended) from segment 1 · 0:01', 'transferred (blind) from segment 2 · 0:00 · queue support@acme.example']);
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the open conversation fits a phone screen');
  await row.locator('li.seg').nth(1).locator('.seg-details').click();
  t.match((await row.locator('li.seg dl').textContent()) ?? '', /Conversationconv-acme.*Started bytransferred \(attended\) from seg-a-1/s, 'a segment\'s details name its conversation and transfer');

  // Every segment that ends hands the player to the next: record what ended, and how long it was.
  await page.evaluate(() => {
    const a = document.getElementById('player') as HTMLAudioElement;
    const w = window as unknown as { ended: [string, number][] };
    w.ended = [];
    // Capture on the document runs before the page's own listener on the player moves to the next segment.
    document.addEventListener('ended', () => w.ended.push([a.dataset.recording ?? '', a.duration]), true);
  });
  await row.locator('.play-all').click();
  await page.waitForFunction(() => (window as unknown as { ended: unknown[] }).ended.length === 3, undefined, { timeout: 20_000 });
  const ended = await page.evaluate(() => (window as unknown as { ended: [string, number][] }).ended);
  t.same(ended.map(([id]) => id), ['seg-a-1', 'seg-b-1', 'seg-c-1'], 'played to the end one after the other, in segment order');
  for (const [[, seconds], want] of ended.map((e, i) => [e, [0.6, 0.5, 0.4][i] as number] as const)) t.ok(Math.abs(seconds - want) < 0.01, `each its own audio: ${seconds} s for ${want} s`);
  t.equal(await page.locator('#now-playing').textContent().then((x) => x?.startsWith('Segment 3 of 3: +15557770001 → 1003')), true, 'the player says which segment');
  t.equal(await row.locator('li.seg.playing').getAttribute('data-segment'), '3', 'and the list marks it');

  await row.locator('li.seg').nth(1).locator('.seg-play').click();
  await page.waitForFunction(() => (document.getElementById('player') as HTMLAudioElement).dataset.recording === 'seg-b-1');
  const segAudio = await page.evaluate(() => (document.getElementById('player') as HTMLAudioElement).src);
  t.match(segAudio, /\/api\/recordings\/seg-b-1\/audio$/, 'one segment plays alone too');

  await page.click('#logout');
  await page.locator('#login').waitFor({ state: 'visible' });
  t.ok(await page.locator('#player-bar').isHidden(), 'logging out stops the player');
  await page.fill('#login-token', OTHER_TOKEN);
  await page.click('#login-submit');
  await page.locator('li.rec').first().waitFor();
  t.equal(await page.locator('li.rec').count(), 1, 'another tenant sees its own call only');
  t.equal(await page.locator('li.rec.conversation').count(), 0);
});
