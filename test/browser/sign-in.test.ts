/**
 * Signing in to the console in a real headless Chromium, as people with roles: a supervisor sees
 * calls and agents but no settings or users; a rep lands on the calls, sees only the calls on
 * their own extension, and gets the forbidden page elsewhere. Screenshots go to
 * test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { callEnded } from '#test/events';
import { postSigned, startService, type Service } from '#test/process';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
const PASSWORD = 'a-long-password-0123';

let dir: string;
let service: Service;
let browser: Browser;
let dbName: string | undefined;

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function signIn(email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${service.url}/admin`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.fill('#sign-in input[name=email]', email);
  await page.fill('#sign-in input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/admin/login'), page.click('#sign-in button[type=submit]')]);
  return page;
}

const navLinks = async (page: Page) => page.locator('nav.main a').allTextContents();

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-sign-in-'));
  const database = await createServiceDatabase('sign_in');
  dbName = database.name;
  service = await startService({
    DATABASE_URL: database.url,
    DATA_DIR: dir,
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    SETTLE_SECONDS: '1',
    LOG_LEVEL: 'warn',
  });
  await launching;
  for (const [email, role, extension] of [
    ['sue@example.com', 'supervisor', null],
    ['ray@example.com', 'rep', '101'],
  ] as const) {
    expect((await api('POST', '/v1/users', { email, role, extension, password: PASSWORD })).status).toBe(201);
  }
  const now = Math.floor(Date.now() / 1000);
  for (const [id, ext] of [
    ['rays-call', '101'],
    ['someone-elses', '102'],
  ]) {
    const call = callEnded({ call_id: id, extension: ext, to: ext, started_at: now - 60, answered_at: now - 50, ended_at: now - 10 });
    expect((await postSigned(service.url, call, SECRET)).status).toBe(202);
  }
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await dropServiceDatabase(dbName);
  rmSync(dir, { recursive: true, force: true });
});

describe('signing in with roles, in Chromium', () => {
  it('a supervisor: calls, runs and agents; no settings, no users', async () => {
    const page = await signIn('sue@example.com');
    expect(new URL(page.url()).pathname).toBe('/admin');
    const nav = await navLinks(page);
    expect(nav).toEqual(expect.arrayContaining(['Overview', 'Calls', 'Reconciliation', 'Agents']));
    for (const hidden of ['Users', 'API tokens', 'Config', 'CRM']) expect(nav).not.toContain(hidden);
    await page.screenshot({ path: join(SHOTS, 'sign-in-supervisor.png'), fullPage: true });
    await page.click('nav.main >> text=Calls');
    await expect(page.locator('table').first().textContent()).resolves.toContain('102');
    const refused = await page.goto(`${service.url}/admin/users`);
    expect(refused?.status()).toBe(403);
    await expect(page.locator('main').textContent()).resolves.toContain('Your role (supervisor) may not open this page.');
    await page.context().close();
  });

  it('a rep: lands on their calls, sees only their own, and nothing else', async () => {
    const page = await signIn('ray@example.com');
    expect(new URL(page.url()).pathname).toBe('/admin/calls');
    const nav = await navLinks(page);
    expect(nav).toEqual(['Calls']);
    const table = (await page.locator('main').textContent()) ?? '';
    expect(table).toContain('101');
    expect(table).not.toContain('102');
    await page.screenshot({ path: join(SHOTS, 'sign-in-rep.png'), fullPage: true });
    for (const path of ['/admin', '/admin/agents', '/admin/config']) {
      const res = await page.goto(`${service.url}${path}`);
      expect(res?.status(), path).toBe(403);
    }
    await page.context().close();
  });
});
