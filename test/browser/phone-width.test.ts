/**
 * Every console page at a phone's width (375 × 812 CSS px, touch, 2× pixels) in a real headless
 * Chromium against the service as a process, with data on every page: calls (one with a long
 * number and a long recording URL, one whose recording was refused, one whose delivery fails),
 * a reconciliation run with a finding, a dead letter, users, tokens, a recording rule, an added
 * account. On each page the document is no wider than the screen (wide tables scroll inside
 * their own box), and its full-page screenshot is 375 CSS px wide; the calls table's key
 * columns (time, number, outcome, delivery) can be scrolled into view. Screenshots are kept in
 * a temporary directory (calltrail-phone-shots-*) whose paths are printed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import postgres from 'postgres';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationUniq } from '../../src/ledger/versions';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { databaseUrl } from '#test/database-url';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { postSigned, startService, type Service } from '#test/process';

const WIDTH = 375;
const SCALE = 2;
/** A recording path long enough to overflow any cell that does not wrap. */
const LONG_PATH = `/monitor/${'2026/11/20/queue-sales-north-wing/'.repeat(3)}incoming-call-recording-with-a-very-long-file-name-0001.wav`;

let dir: string;
let shots: string;
let pbx: FileServer;
let service: Service;
let browser: Browser;
let phone: BrowserContext;
let page: Page;
let dbName: string;
const ids: Record<string, string> = {};
let runId = '';
const PHONE = { viewport: { width: WIDTH, height: 812 }, deviceScaleFactor: SCALE, isMobile: true, hasTouch: true };

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${service.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${res.status}`).toBeLessThan(300);
  return (await res.json()) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const until = Date.now() + ms; ; ) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface CallItem {
  id: string;
  call_key: string;
  delivery_state: string;
}

/** The call's id once its delivery reached a state that `done` accepts. */
const settled = (key: string, done: (state: string) => boolean) =>
  waitFor(`call ${key}`, async () => {
    const { items } = await call<{ items: CallItem[] }>('/v1/calls?limit=50');
    const item = items.find((i) => i.call_key === key);
    return item && done(item.delivery_state) ? item.id : undefined;
  });

async function postCall(key: string, fields: Record<string, unknown>) {
  const res = await postSigned(service.url, callEnded({ call_id: key, ...fields }), SECRET);
  expect(res.status, `${key}: ${await res.clone().text()}`).toBe(202);
}

/** Start, answer and end times of a call that ended `ago` seconds ago. */
function at(ago: number) {
  const now = Math.floor(Date.now() / 1000);
  return { started_at: now - ago - 40, answered_at: now - ago - 30, ended_at: now - ago };
}

/** Calls of several kinds, delivered; a run that found one gap. */
async function seedDelivered() {
  pbx.put('/monitor/ivan.wav', toneWav(4));
  pbx.put(LONG_PATH, toneWav(3));
  await postCall('phone-ivan', { from: '+7 (495) 123-45-67', ...at(300), recording: { id: 'r-ivan', url: pbx.url('/monitor/ivan.wav') } });
  await postCall('phone-long', {
    from: '+7 (495) 765-43-21 доб. 1234567890 (main reception, north wing)',
    extension: '1017',
    ...at(240),
    recording: { id: 'r-long', url: pbx.url(LONG_PATH) },
  });
  await postCall('phone-refused', {
    from: '+7 916 555-12-34',
    ...at(180),
    recording: { id: 'r-refused', url: `https://recordings.not-an-allowed-host.example.com${LONG_PATH}` },
  });
  await postCall('phone-missed', { from: '+7 812 000-11-22', ...at(120), answered_at: null, disposition: 'no_answer' });
  for (const key of ['phone-ivan', 'phone-long', 'phone-refused', 'phone-missed']) ids[key] = await settled(key, (s) => s === 'delivered' || s === 'skipped');
  // Someone removed the recording link from Ivan's note: today's run finds it and puts it back.
  await call(`/sandbox/amocrm/__sandbox/notes/${conversationUniq('generic', 'phone-ivan')}/link`, { method: 'DELETE' });
  const started = await call<{ id: string }>('/v1/reconcile', {
    method: 'POST',
    body: JSON.stringify({ date: DateTime.now().setZone('Europe/Moscow').toISODate() }),
  });
  runId = started.id;
  await waitFor('the run', async () => ((await call<{ status: string }>(`/v1/reconcile/runs/${runId}`)).status === 'done' ? true : undefined));
}

/** A call whose delivery fails: the CRM answers 502 to every write from now on. */
async function seedFailing() {
  // The CRM answers 502 from now on: the next call's delivery fails and waits to retry.
  await call('/sandbox/amocrm/__sandbox/faults', { method: 'POST', body: JSON.stringify({ rate: 1, kinds: { '502_before': 1 } }) });
  await postCall('phone-failing', { from: '+7 343 222-33-44', direction: 'outbound', ...at(60) });
  ids['phone-failing'] = await settled('phone-failing', () => true);
  await waitFor('the failed attempt', async () => {
    const detail = await call<{ deliveries: { last_error: string | null }[] }>(`/v1/calls/${ids['phone-failing']}`);
    return detail.deliveries.some((d) => d.last_error) ? true : undefined;
  });
}

/** Everything else a page lists: people, tokens, a rule, an account, a dead letter, a ringing call. */
async function seedTheRest() {
  await call('/v1/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'svetlana.konstantinopolskaya@sales-department.example.com', role: 'supervisor', password: 'a-long-password-0123' }),
  });
  await call('/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'reporting dashboard for the north wing', scopes: ['read', 'lookup'] }) });
  await call('/v1/recording-policies', {
    method: 'POST',
    body: JSON.stringify({ department: 'support', direction: 'inbound', action: 'skip', note: 'Support calls are not recorded at the customer’s request' }),
  });
  await call('/v1/accounts', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'acme-north',
      name: 'Acme North — sales and support',
      owner: { email: 'owner@acme-north.example.com', password: 'a-long-password-0123' },
    }),
  });
  const sql = postgres(databaseUrl(dbName), { max: 1, onnotice: () => {} });
  await sql`insert into dead_letters (queue, message_id, summary, attempts, error, first_failed_at, last_failed_at, died_at)
    values ('deliveries', 'msg-0123456789abcdef0123456789abcdef', 'drain deliveries of CRM account 1', 5,
      ${`Error: amoCRM answered 502 Bad Gateway at ${LONG_PATH} after 30000 ms; giving up`}, now() - interval '1 hour', now(), now())`;
  await sql.end();
  const ringing = {
    type: 'call.ringing',
    call_id: 'phone-ringing',
    direction: 'inbound',
    from: '+7 (495) 555-66-77',
    to: '74957654321',
    extensions: ['101', '102', '103', '104', '105', '106'],
    line: '74957654321',
    at: new Date().toISOString(),
  };
  expect((await postSigned(service.url, ringing, SECRET)).status).toBe(202);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-phone-width-'));
  // Kept after the run, for a person to look at: the paths are printed.
  shots = mkdtempSync(join(tmpdir(), 'calltrail-phone-shots-'));
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  pbx = await fileServer();
  const config = join(dir, 'calltrail.json');
  writeFileSync(
    config,
    JSON.stringify({
      recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true },
      extensions: { '101': { department: 'sales' }, '1017': { department: 'reception and front desk, north wing' } },
    }),
  );
  const database = await createServiceDatabase('phone');
  dbName = database.name;
  service = await startService({
    DATABASE_URL: database.url,
    DATA_DIR: dir,
    GENERIC_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    SECRETS_KEYS: TEST_SECRETS_KEYS,
    CONFIG_FILE: config,
    SETTLE_SECONDS: '1',
    LOG_LEVEL: 'warn',
  });
  await launching;
});

// The data, in hooks of their own, each well within the 60 s hook limit.
beforeAll(seedDelivered);

beforeAll(async () => {
  await seedFailing();
  await seedTheRest();
  phone = await browser.newContext(PHONE);
  page = await phone.newPage();
  page.setDefaultTimeout(15_000);
  await signIn(page);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await pbx?.close();
  await dropServiceDatabase(dbName);
  if (shots) console.log(`phone-width screenshots: ${shots}`);
  rmSync(dir, { recursive: true, force: true });
});

/** Signs in with the admin token; users exist, so its form is folded under its summary. */
async function signIn(p: Page) {
  await p.goto(`${service.url}/admin`);
  expect(new URL(p.url()).pathname).toBe('/admin/login');
  await p.click('summary:has-text("admin token")');
  await p.fill('#token-sign-in input[name=token]', ADMIN_TOKEN);
  await Promise.all([p.waitForURL(`${service.url}/admin`), p.click('#token-sign-in button[type=submit]')]);
}

/** A PNG's width in pixels, from its IHDR chunk. */
const pngWidth = (file: string) => readFileSync(file).readUInt32BE(16);

/** Opens a console page and checks that it fits the phone's width; answers the screenshot's path. */
async function fits(path: string, name: string, heading?: string | RegExp, p = page): Promise<string> {
  const res = await p.goto(`${service.url}${path}`);
  expect(res?.status(), path).toBe(200);
  expect(new URL(p.url()).pathname, 'not sent to sign in').toBe(new URL(path, service.url).pathname);
  if (heading) await expect(p.locator('main h1').first().textContent()).resolves.toMatch(heading);
  const layout = await p.evaluate(
    (width) => ({
      viewport: window.innerWidth,
      page: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      // What sticks out past the right edge, for the failure message.
      wide: [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !el.parentElement?.closest('.scroll, pre, textarea'))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).replace(/ /g, '.')}` : ''}`),
    }),
    WIDTH,
  );
  // A page wider than the screen also widens a phone's layout viewport (innerWidth).
  expect(layout.page, `${path} is wider than the screen: ${layout.wide.join(', ')}`).toBeLessThanOrEqual(WIDTH);
  expect(layout.viewport, path).toBe(WIDTH);
  expect(layout.body, path).toBeLessThanOrEqual(WIDTH);
  const file = join(shots, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  expect(pngWidth(file), file).toBe(WIDTH * SCALE);
  console.log(`screenshot ${path} → ${file}`);
  return file;
}

describe('the console at 375 px, in Chromium', () => {
  it('signs in; the overview, live calls and calls list fit; the calls table’s key columns scroll into view', async () => {
    const signedOut = await browser.newContext(PHONE);
    await fits('/admin/login', 'login', undefined, await signedOut.newPage());
    await signedOut.close();
    await fits('/admin', 'overview', 'Overview');
    await fits('/admin/live', 'live');
    await fits('/admin/calls', 'calls', 'Calls');
    const rows = page.locator('#calls-table tbody tr[data-call-id]');
    expect(await rows.count()).toBe(5);
    const row = page.locator(`#calls-table tr[data-call-id="${ids['phone-long']}"]`);
    const headers = await page.locator('#calls-table thead th').allTextContents();
    // Each key column can be swiped into view inside the table's box, clear of the time column
    // that stays put on a phone; what is at the cell's start is then the cell itself.
    for (const column of ['Time', 'Number', 'Outcome', 'Delivery']) {
      const index = headers.indexOf(column);
      expect(index, column).toBeGreaterThanOrEqual(0);
      const seen = await row.evaluate((tr, index) => {
        const box = tr.closest('.scroll') as HTMLElement;
        const cell = tr.children[index] as HTMLElement;
        const first = tr.children[0] as HTMLElement;
        tr.scrollIntoView({ block: 'center', inline: 'nearest' });
        const clearOf = () =>
          index > 0 && getComputedStyle(first).position === 'sticky' ? first.getBoundingClientRect().right : box.getBoundingClientRect().left;
        box.scrollLeft += cell.getBoundingClientRect().left - clearOf();
        const r = cell.getBoundingClientRect();
        const probe = document.elementFromPoint(r.left + Math.min(r.width, 40) / 2, r.top + r.height / 2);
        return { left: r.left, right: r.left + Math.min(r.width, 60), clear: clearOf(), hit: cell.contains(probe), text: cell.textContent?.trim() };
      }, index);
      expect(seen.left, column).toBeGreaterThanOrEqual(seen.clear - 0.5);
      expect(seen.right, column).toBeLessThanOrEqual(WIDTH);
      expect(seen.hit, `${column} is covered`).toBe(true);
      expect(seen.text, column).not.toBe('');
    }
    // Scrolled to the delivery state, the row's time is still on screen.
    const time = await row.locator('td').first().boundingBox();
    expect(time?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect((time?.x ?? 0) + (time?.width ?? WIDTH)).toBeLessThanOrEqual(WIDTH);
    const scrolled = join(shots, 'calls-scrolled.png');
    await page.screenshot({ path: scrolled });
    console.log(`screenshot /admin/calls, its table scrolled to the delivery state → ${scrolled}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
    await fits('/admin/calls?phone=%2B7%20495%20123-45-67&outcome=answered&state=delivered', 'calls-filtered', 'Calls');
  });

  it('each call fits: recordings archived and refused, a long number and URL, a delivery that failed', async () => {
    for (const key of ['phone-ivan', 'phone-long', 'phone-refused', 'phone-missed', 'phone-failing']) {
      await fits(`/admin/calls/${ids[key]}`, `call-${key}`);
    }
    // The last one: its delivery's error is on the page.
    expect(await page.locator('#delivery').textContent()).toMatch(/502/);
  });

  it('the reconciliation runs and a run’s report fit', async () => {
    await fits('/admin/runs', 'runs', 'Reconciliation');
    await fits(`/admin/runs/${runId}`, 'run');
    expect(await page.locator('tr[data-finding]').count()).toBe(1);
  });

  it('the agents, CRM, widget, config, recording policy and dead letters pages fit', async () => {
    await fits('/admin/agents', 'agents');
    await fits('/admin/crm', 'crm');
    await fits('/admin/widget', 'widget');
    await fits('/admin/config', 'config');
    await fits('/admin/recording-policy', 'recording-policy');
    await fits('/admin/dead-letters', 'dead-letters');
    expect(await page.locator('main').textContent()).toContain('drain deliveries of CRM account 1');
  });

  it('the users, tokens, audit trail and accounts pages fit, and the nav wraps inside the screen', async () => {
    await fits('/admin/users', 'users');
    expect(await page.locator('main').textContent()).toContain('svetlana.konstantinopolskaya@sales-department.example.com');
    await fits('/admin/tokens', 'tokens');
    await fits('/admin/audit', 'audit');
    await fits('/admin/accounts', 'accounts');
    await fits('/admin/accounts/acme-north', 'account');
    const nav = await page.locator('nav.main').boundingBox();
    expect((nav?.x ?? 0) + (nav?.width ?? 0)).toBeLessThanOrEqual(WIDTH);
    const links = await page.locator('nav.main a').count();
    expect(links).toBeGreaterThan(8);
    for (let i = 0; i < links; i++) {
      const box = await page.locator('nav.main a').nth(i).boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0), `nav link ${i}`).toBeLessThanOrEqual(WIDTH);
    }
  });
});
