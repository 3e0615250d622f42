/**
 * Signing in from amoCRM, in a real headless Chromium against the service as a process (pure
 * local sandbox mode): a rep linked to the sandbox's amoCRM user Anna opens the sandbox contact
 * card, whose widget panel shows calltrail's "Open in calltrail"; the click goes through the card's
 * `$authorizedAjax` (a one-time token signed by the sandbox CRM, as amoCRM signs with the
 * integration's secret) to POST /v1/auth/amocrm, and the new tab lands signed in on the rep's
 * calls page. The card is on 127.0.0.1 and calltrail's PUBLIC_URL on localhost, so the tab's first
 * navigation is cross-site, as from a real amoCRM account: the SameSite=Strict session cookie must
 * still reach the calls page. An amoCRM user no one is linked to is told so on the card.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { startService, type Service } from '#test/process';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
/** The sandbox's demo users: Anna (1001) is linked to the rep below, Boris (1002) to nobody. */
const ANNA = 1001;
const BORIS = 1002;

let dir: string;
let service: Service;
let browser: Browser;
let dbName: string | undefined;
let contactId: number;

async function openCard(page: Page, user: number): Promise<void> {
  await page.goto(`${service.url}/sandbox/amocrm/contacts/card/${contactId}?user=${user}`);
  await page.waitForSelector('body[data-widget=ready]', { timeout: 10_000 });
}

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-amocrm-sign-in-'));
  const database = await createServiceDatabase('amo_sign_in');
  dbName = database.name;
  // Pure local mode (no CRM, no PBX secret, PUBLIC_URL on loopback): the sandbox signs widget tokens.
  service = await startService({ DATABASE_URL: database.url, DATA_DIR: dir, ADMIN_TOKEN, LOG_LEVEL: 'warn' });
  const made = await fetch(`${service.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'anna@example.com', name: 'Anna Rep', role: 'rep', extension: '101', amocrm_user_id: ANNA }),
  });
  expect(made.status, await made.clone().text()).toBe(201);
  const created = await fetch(`${service.url}/sandbox/amocrm/__sandbox/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Sign-in Testov', phones: ['+7 495 111-22-33'], responsible_user_id: ANNA }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  contactId = ((await created.json()) as { id: number }).id;
  await launching;
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await dropServiceDatabase(dbName);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('"Open in calltrail" on a sandbox amoCRM card in Chromium', () => {
  it("opens a tab signed in as the linked rep, on the rep's calls", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await openCard(page, ANNA);
    const button = page.locator('#widget-panel .calltrail button.calltrail-open');
    expect(await button.textContent()).toBe('Open in calltrail');
    const [tab, answer] = await Promise.all([
      context.waitForEvent('page'),
      page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/auth/amocrm'),
      button.click(),
    ]);
    // amoCRM's one-time token went with the request.
    expect(answer.request().headers()['x-auth-token']).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(answer.status()).toBe(200);
    await tab.waitForURL((url) => url.pathname === '/admin/calls', { timeout: 10_000 });
    expect(new URL(tab.url()).hostname).toBe('localhost');
    await tab.waitForSelector('nav.main');
    expect(await tab.locator('nav.main a').allTextContents()).toEqual(['Calls']);
    expect(await tab.locator('header form button').textContent()).toBe('Log out');
    await tab.screenshot({ path: join(SHOTS, 'amocrm-sign-in-calls.png'), fullPage: true });
    await page.screenshot({ path: join(SHOTS, 'amocrm-sign-in-card.png'), fullPage: true });
    expect(await page.locator('#notifications li').count()).toBe(0);
    await context.close();
  });

  it('tells an amoCRM user no calltrail user is linked to, and leaves no tab open', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openCard(page, BORIS);
    await page.click('#widget-panel button.calltrail-open');
    const alert = page.locator('#notifications li.error[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`calltrail did not open: no calltrail user is linked to amoCRM user ${BORIS}`);
    await expect.poll(() => context.pages().length).toBe(1);
    await context.close();
  });
});
