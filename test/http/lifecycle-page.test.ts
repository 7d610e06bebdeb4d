/// <reference lib="dom" />
/**
 * The page's delete and hold controls in a real headless Chromium (Debian's chromium, driven by
 * playwright-core), against the running daemon and the real lifecycle service: an admin holds, releases
 * and deletes, each after a confirmation that asks the reason; a held recording shows its badge, a deleted
 * one is greyed with who deleted it and why; a reader sees the badge and the tombstone but no control.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bearer } from '../helpers/stack';
import { addConversation, threeSegments } from './conversation-fixture';
import { READER, ROOT_ADMIN, rolesStack } from './lifecycle-fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CONTROLS = 'button.delete, button.hold, button.release';

async function logIn(page: Page, token: string, rows: number): Promise<void> {
  if (await page.locator('#logout').isVisible()) {
    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
  }
  await page.fill('#login-token', token);
  await page.click('#login-submit');
  await page.locator('li.rec').nth(rows - 1).waitFor();
}

t.test('admin: hold, release and delete with a confirmation and a reason; reader: no controls', async (t) => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const { s, base } = await rolesStack(t);
  addConversation(s, 'conv-acme', threeSegments(), Date.now() + 60_000);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${base}/`);

  await logIn(page, READER, 5);
  t.equal(await page.locator(CONTROLS).count(), 0, 'a reader sees no delete, hold or release');
  await page.locator('li.rec.conversation .segments-toggle').click();
  await page.locator('li.seg').nth(2).waitFor({ state: 'visible' });
  t.equal(await page.locator(CONTROLS).count(), 0, 'nor on a conversation\'s segments');
  t.equal(await page.locator('#who').textContent(), 'token on line 1', 'no admin in the header');

  await logIn(page, ROOT_ADMIN, 5);
  t.equal(await page.locator('#who').textContent(), 'token on line 4 · admin');
  t.equal(await page.locator('li.rec:not(.conversation) > .buttons button.delete').count(), 4, 'a Delete on each single recording');
  t.equal(await page.locator('li.rec:not(.conversation) > .buttons button.hold').count(), 4, 'and a Hold');
  await page.locator('li.rec.conversation .segments-toggle').click();
  t.equal(await page.locator('li.seg button.delete').count(), 3, 'and on each segment of a conversation');
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the controls fit a 390 px phone screen');

  const row = page.locator('li.rec', { hasText: '+15551234567' });
  const id = (await row.getAttribute('data-id')) as string;
  const key = (await s.app.index.get(id))?.key as string;

  // Hold: the confirmation asks a reason; blank is refused on the page, nothing is sent.
  await row.locator('button.hold').click();
  await page.locator('#act-dialog').waitFor({ state: 'visible' });
  t.match(await page.locator('#act-title').textContent(), /Put \+15551234567 → 1001 of .* on legal hold\?/);
  await page.fill('#act-reason', '   ');
  await page.click('#act-confirm');
  await page.locator('#act-error').filter({ hasText: 'A reason is required.' }).waitFor();
  t.equal((await s.app.index.get(id))?.hold, undefined, 'a blank reason holds nothing');
  await page.fill('#act-reason', 'ticket 42');
  await page.click('#act-confirm');
  await page.locator('#act-dialog').waitFor({ state: 'hidden' });
  await row.locator('.tag.held').waitFor();
  t.match((await s.app.index.get(id))?.hold, { reason: 'ticket 42', by: 'token on line 4' }, 'held in the index, by the admin');
  t.equal(await row.locator('button.delete').count(), 0, 'a held recording offers no Delete');
  t.equal(await row.locator('button.release').count(), 1, 'but a Release');

  await row.locator('button.release').click();
  await page.fill('#act-reason', 'ticket 42 closed');
  await page.click('#act-confirm');
  await row.locator('button.delete').waitFor();
  t.equal(await row.locator('.tag.held').count(), 0, 'released: no badge');
  t.equal((await s.app.index.get(id))?.hold, undefined);

  // Delete: Cancel leaves it; confirming with a reason deletes it, and the row says who and why.
  await row.locator('button.delete').click();
  t.match(await page.locator('#act-title').textContent(), /Delete \+15551234567 → 1001 of .*\? The audio is removed for good/);
  await page.click('#act-cancel');
  await page.locator('#act-dialog').waitFor({ state: 'hidden' });
  t.equal((await s.app.index.get(id))?.state, 'stored', 'cancelled: still stored');
  await row.locator('button.delete').click();
  await page.fill('#act-reason', 'erasure request 7');
  await page.click('#act-confirm');
  await page.locator(`li.rec.deleted[data-id="${id}"]`).waitFor();
  t.equal((await s.app.index.get(id))?.state, 'deleted', 'deleted in the index');
  t.notOk(existsSync(join(s.dir, 'stored', key)), 'and from storage');
  const deletedRow = page.locator(`li.rec[data-id="${id}"]`);
  t.match(await deletedRow.locator('.tombstone').textContent(), /^Deleted .* by token on line 4 \(on request\): erasure request 7$/, 'who, why');
  t.equal(await deletedRow.locator('button.play, a.download, button.delete, button.hold').count(), 0, 'nothing to play, download, delete or hold');
  t.ok(await deletedRow.evaluate((el) => Number(getComputedStyle(el).opacity) < 1), 'greyed');

  // A refusal from the server is shown in the confirmation: another admin held it meanwhile.
  const other = page.locator('li.rec', { hasText: '../../etc/passwd' });
  const otherId = (await other.getAttribute('data-id')) as string;
  await other.locator('button.delete').click();
  await fetch(`${base}/api/recordings/${otherId}/hold`, { method: 'POST', headers: { ...bearer(ROOT_ADMIN).headers, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'court order' }) });
  await page.fill('#act-reason', 'cleanup');
  await page.click('#act-confirm');
  await page.locator('#act-error').filter({ hasText: /under legal hold \(court order/ }).waitFor();
  t.equal((await s.app.index.get(otherId))?.state, 'stored', 'the held recording was not deleted');
  await page.click('#act-cancel');

  // The reader sees the badge and the tombstone, and still no control.
  await logIn(page, READER, 5);
  await page.locator(`li.rec.deleted[data-id="${id}"] .tombstone`).waitFor();
  t.match(await page.locator(`li.rec[data-id="${id}"] .tombstone`).textContent(), /by token on line 4 \(on request\): erasure request 7/);
  t.equal(await page.locator(`li.rec[data-id="${otherId}"] .tag.held`).count(), 1, 'the held badge');
  t.equal(await page.locator(CONTROLS).count(), 0, 'no controls for a reader');
  await page.locator(`li.rec[data-id="${otherId}"] button.details`).click();
  t.match(await page.locator(`li.rec[data-id="${otherId}"] dl`).textContent(), /Legal holdcourt order \(by token on line 4, /, 'details show the hold');
});
