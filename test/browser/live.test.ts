/**
 * The console's live view in a real headless Chromium against the service as a process: a call
 * written to live_calls (as the live events would) appears on /admin/live without a reload, with
 * its extensions ringing and its screen pops; answered, it shows who took it; ended, it goes.
 * The nav bar leads there, and the widget page offers widget.zip.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { startService, type Service } from '#test/process';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

let dir: string;
let service: Service;
let browser: Browser;
let dbName: string | undefined;
let sql: postgres.Sql;

async function logIn(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${service.url}/admin`);
  await page.fill('input[name=token]', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${service.url}/admin`), page.click('button[type=submit]')]);
  return page;
}

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-live-browser-'));
  const database = await createServiceDatabase('live');
  dbName = database.name;
  service = await startService({ DATABASE_URL: database.url, DATA_DIR: dir, ADMIN_TOKEN, LOG_LEVEL: 'warn' });
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
  await launching;
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await service?.stop();
  await dropServiceDatabase(dbName);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the live view in Chromium', () => {
  it('shows a ringing call without a reload, then who answered, and drops it when it ends', async () => {
    const page = await logIn();
    await Promise.all([page.waitForURL(`${service.url}/admin/live`), page.click('nav.main a[href="/admin/live"]')]);
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Live');
    expect(await page.locator('#live-empty').isVisible()).toBe(true);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    const [call] = await sql<{ id: string }[]>`
      insert into live_calls (source, call_key, state, direction, from_number, to_number, extensions, line, started_at)
      values ('generic', 'live-1', 'ringing', 'inbound', '+74951234567', '+74957000000', ${sql.json(['101', '102'])}, 'sales', now() - interval '5 seconds')
      returning id`;
    await sql`insert into live_pops (live_call_id, user_id, extension, state, latency_ms) values (${call!.id}, '1001', '101', 'shown', 420)`;
    await sql`insert into live_pops (live_call_id, user_id, extension, state, reason) values (${call!.id}, '1002', '102', 'late', 'no budget in time')`;

    const row = page.locator(`#live-rows tr[data-live-id="${call!.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await page.locator('#live-empty').isVisible()).toBe(false);
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('ringing');
    expect(cells[1]).toBe('+74951234567 → +74957000000line sales');
    expect(cells[2]).toContain('in');
    expect(cells[3]).toBe('ringing 101, 102');
    expect(cells[4]).toMatch(/^0:0[5-9]|^0:[1-5]\d$/);
    expect(await row.locator('.pop').allTextContents()).toEqual(['1001 (101): shown in 420 ms', '1002 (102): late — no budget in time']);
    await page.screenshot({ path: join(SHOTS, 'admin-live-ringing.png'), fullPage: true });

    await sql`update live_calls set state = 'answered', answered_by = '101', answered_at = now() where id = ${call!.id}`;
    await page.locator(`#live-rows tr[data-live-id="${call!.id}"][data-state=answered]`).waitFor({ timeout: 10_000 });
    expect(await row.locator('td').nth(3).textContent()).toBe('answered by 101');

    await sql`update live_calls set state = 'ended', ended_at = now() where id = ${call!.id}`;
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('#live-empty').waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the live JSON behind the session', async () => {
    const res = await fetch(`${service.url}/admin/live.json`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/admin\/login/);
  });

  it('explains installing the amoCRM widget, with its download link and PUBLIC_URL', async () => {
    const page = await logIn();
    await Promise.all([page.waitForURL(`${service.url}/admin/widget`), page.click('nav.main a[href="/admin/widget"]')]);
    expect(await page.locator('#widget-download a[href="/widget/amocrm/widget.zip"]').count()).toBe(1);
    expect(await page.locator('#widget-url').textContent()).toBe(new URL('/', service.url.replace('127.0.0.1', 'localhost')).origin);
    await page.screenshot({ path: join(SHOTS, 'admin-widget.png'), fullPage: true });
    await page.close();
  });
});
