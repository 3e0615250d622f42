/**
 * Accounts in the console, in a real headless Chromium: the instance's owner adds an account from
 * the Accounts page (its owner's temporary password shown once), that owner signs in to the
 * account's own console under /a/acme/ and sees its calls only — not account 1's — and the
 * session opens nothing outside it. Screenshots go to test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { callEnded } from '#test/events';
import { postSigned, startService, type Service } from '#test/process';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
const PASSWORD = 'a-long-password-0123';
const ACME_SECRET = 'acme-webhook-secret-0123456789';

let dir: string;
let service: Service;
let browser: Browser;
let dbName: string | undefined;

async function signIn(prefix: string, email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${service.url}${prefix}/admin`);
  expect(new URL(page.url()).pathname).toBe(`${prefix}/admin/login`);
  await page.fill('#sign-in input[name=email]', email);
  await page.fill('#sign-in input[name=password]', password);
  await Promise.all([page.waitForURL((url) => url.pathname !== `${prefix}/admin/login`), page.click('#sign-in button[type=submit]')]);
  return page;
}

const navLinks = async (page: Page) => page.locator('nav.main a').allTextContents();

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-accounts-browser-'));
  const database = await createServiceDatabase('accounts');
  dbName = database.name;
  service = await startService({
    DATABASE_URL: database.url,
    DATA_DIR: dir,
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    SECRETS_KEYS: TEST_SECRETS_KEYS,
    SETTLE_SECONDS: '1',
    LOG_LEVEL: 'warn',
  });
  await launching;
  const owner = await fetch(`${service.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'olga@instance.test', role: 'owner', password: PASSWORD }),
  });
  expect(owner.status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await dropServiceDatabase(dbName);
  rmSync(dir, { recursive: true, force: true });
});

describe('accounts in the console, in Chromium', () => {
  let acmeOwnerPassword = '';

  it("the instance's owner adds an account from the Accounts page", async () => {
    const page = await signIn('', 'olga@instance.test', PASSWORD);
    expect(await navLinks(page)).toContain('Accounts');
    await page.click('nav.main >> text=Accounts');
    expect(new URL(page.url()).pathname).toBe('/admin/accounts');
    await page.fill('#add-account input[name=slug]', 'acme');
    await page.fill('#add-account input[name=name]', 'Acme Ltd');
    await page.fill('#add-account input[name=owner_email]', 'owner@acme.test');
    await page.fill('#add-account textarea[name=variables]', `GENERIC_WEBHOOK_SECRET=${ACME_SECRET}`);
    await Promise.all([page.waitForLoadState('load'), page.click('#add-account button[type=submit]')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('Account acme added; its owner is owner@acme.test.');
    acmeOwnerPassword = (await page.locator('#shown-once').textContent()) ?? '';
    expect(acmeOwnerPassword.length).toBeGreaterThanOrEqual(10);
    const row = page.locator('#accounts tr[data-slug=acme]');
    await expect(row.textContent()).resolves.toContain('running');
    // The variable's name is shown; its value never.
    await expect(row.textContent()).resolves.toContain('GENERIC_WEBHOOK_SECRET');
    expect(await page.content()).not.toContain(ACME_SECRET);
    await page.screenshot({ path: join(SHOTS, 'accounts-added.png'), fullPage: true });
    await page.context().close();
  });

  it("the account's owner signs in under /a/acme/ and sees its calls only; the session opens nothing else", async () => {
    const now = Math.floor(Date.now() / 1000);
    const call = (id: string, ext: string) =>
      callEnded({ call_id: id, extension: ext, to: ext, started_at: now - 60, answered_at: now - 50, ended_at: now - 10 });
    expect((await postSigned(`${service.url}/a/acme`, call('acme-call', '201'), ACME_SECRET)).status).toBe(202);
    expect((await postSigned(service.url, call('root-call', '909'), SECRET)).status).toBe(202);

    const page = await signIn('/a/acme', 'owner@acme.test', acmeOwnerPassword);
    expect(new URL(page.url()).pathname).toBe('/a/acme/admin');
    const nav = await navLinks(page);
    expect(nav).toContain('Users');
    expect(nav).not.toContain('Accounts');
    await page.click('nav.main >> text=Calls');
    expect(new URL(page.url()).pathname).toBe('/a/acme/admin/calls');
    const calls = (await page.locator('main').textContent()) ?? '';
    expect(calls).toContain('201');
    expect(calls).not.toContain('909');
    await page.screenshot({ path: join(SHOTS, 'accounts-acme-calls.png'), fullPage: true });
    // Every link of the account's console stays inside it.
    const hrefs = await page.locator('a[href^="/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.length).toBeGreaterThan(5);
    for (const href of hrefs) expect(href.startsWith('/a/acme/'), href).toBe(true);
    // Account 1's console and accounts page: the acme session is not a session there.
    for (const path of ['/admin/calls', '/admin/accounts']) {
      await page.goto(`${service.url}${path}`);
      expect(new URL(page.url()).pathname, path).toBe('/admin/login');
    }
    await page.context().close();
  });
});
