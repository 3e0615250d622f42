/**
 * The admin console in a real headless Chromium against the service as a process: log in, find a
 * call by its number typed another way, open it, play its recording (duration, seek, 1.5× from
 * the speed buttons); after the CRM lost the note's recording link, start a reconciliation from
 * the console, open the run (the link is back) and download its CSV; and on a phone-sized
 * screen the calls table scrolls inside its box instead of widening the page. Every page visited
 * is saved as a screenshot in test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationUniq } from '../../src/ledger/versions';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { postSigned, startService, type Service } from '#test/process';
import { need, steps } from '#test/steps';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
/** Ivan Petrov of the sandbox CRM's demo data, as the PBX sends him… */
const IVAN = '+7 (495) 123-45-67';
/** …and as an admin types him. */
const IVAN_TYPED = '8 495 123 45 67';

let dir: string;
let pbx: FileServer;
let service: Service;
let browser: Browser;
let dbName: string | undefined;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage: true });
}

async function logIn(context: BrowserContext, suffix = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${service.url}/admin`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await shot(page, `login${suffix}`);
  await page.fill('input[name=token]', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${service.url}/admin`), page.click('button[type=submit]')]);
  return page;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-admin-browser-'));
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b), ['--autoplay-policy=no-user-gesture-required']);
  pbx = await fileServer();
  const config = join(dir, 'calltrail.json');
  writeFileSync(
    config,
    JSON.stringify({ recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true }, extensions: { '101': { department: 'sales' } } }),
  );
  // A PostgreSQL database of its own for the service.
  const database = await createServiceDatabase('admin');
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

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await pbx?.close();
  await dropServiceDatabase(dbName);
  rmSync(dir, { recursive: true, force: true });
});

describe('the admin console in Chromium', () => {
  describe('a call found, played, reconciled and exported from the console', () => {
    steps();
    let now = 0;
    let callId: string | undefined;
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    let runId: string | undefined;
    const refused: string[] = [];
    const uniq = conversationUniq('generic', 'admin-1');
    afterAll(async () => {
      await context?.close();
    });

    it('delivers a call with its recording', async () => {
      pbx.put('/monitor/admin-1.wav', toneWav(8));
      now = Math.floor(Date.now() / 1000);
      const posted = await postSigned(
        service.url,
        callEnded({
          call_id: 'admin-1',
          from: IVAN,
          started_at: now - 40,
          answered_at: now - 30,
          ended_at: now - 2,
          recording: { id: 'r1', url: pbx.url('/monitor/admin-1.wav') },
        }),
        SECRET,
      );
      expect(posted.status).toBe(202);
      // Delivered, with its MP3 built (the delivery waits for it).
      type Calls = { items: { id: string; delivery_state: string }[] };
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { items } = await api<Calls>(`/v1/calls?phone=${encodeURIComponent(IVAN)}`);
        if (items[0]?.delivery_state === 'delivered') {
          callId = items[0].id;
          break;
        }
        if (Date.now() > deadline) throw new Error(`the call was not delivered in time: ${JSON.stringify(items)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    it('logs in and finds the call by its number typed another way', async () => {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const p = await logIn(context);
      page = p;
      p.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
      });
      await expect(p.locator('h1').textContent()).resolves.toBe('Overview');
      await shot(p, 'overview');

      await p.click('nav.main >> text=Calls');
      await p.fill('input[name=phone]', IVAN_TYPED);
      await Promise.all([p.waitForURL(/\/admin\/calls\?phone=/), p.click('form.filters button[type=submit]')]);
      const rows = p.locator('#calls-table tbody tr[data-call-id]');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().getAttribute('data-call-id')).toBe(need(callId, 'the delivered call'));
      expect(await rows.first().locator('td.number').textContent()).toBe('+74951234567');
      await shot(p, 'calls');
    });

    it('opens the call: its MP3 plays, seeks, and the 1.5× button sets the speed', async () => {
      const p = need(page, 'the calls page');
      const rows = p.locator('#calls-table tbody tr[data-call-id]');
      await Promise.all([p.waitForURL(`${service.url}/admin/calls/${callId}`), rows.first().locator('a', { hasText: 'Open' }).click()]);
      const audio = p.locator('audio#player');
      const loaded = await audio.evaluate(async (el: HTMLAudioElement) => {
        if (el.readyState < 1) {
          await new Promise<void>((resolve, reject) => {
            el.addEventListener('loadedmetadata', () => resolve(), { once: true });
            el.addEventListener('error', () => reject(new Error(`media error ${el.error?.code}`)), { once: true });
            el.load();
          });
        }
        el.muted = true;
        await el.play();
        await new Promise((r) => setTimeout(r, 300));
        return { duration: el.duration, playing: !el.paused && el.currentTime > 0, src: el.currentSrc };
      });
      expect(loaded.duration).toBeGreaterThan(7.5);
      expect(loaded.duration).toBeLessThan(8.5);
      expect(loaded.playing).toBe(true);
      expect(new URL(loaded.src).pathname).toMatch(/^\/recordings\/[0-9a-f-]{36}\.mp3$/);
      expect(Number(new URL(loaded.src).searchParams.get('e'))).toBeGreaterThan(now + 3000);
      await p.click('button[data-rate="1.5"]');
      expect(await audio.evaluate((el: HTMLAudioElement) => el.playbackRate)).toBe(1.5);
      expect(await p.getAttribute('button[data-rate="1.5"]', 'aria-pressed')).toBe('true');
      expect(await p.getAttribute('button[data-rate="1"]', 'aria-pressed')).toBe('false');
      const seeked = await audio.evaluate(async (el: HTMLAudioElement) => {
        const done = new Promise<void>((resolve) => el.addEventListener('seeked', () => resolve(), { once: true }));
        el.currentTime = 6;
        await done;
        const at = el.currentTime;
        el.pause();
        return { at, rate: el.playbackRate };
      });
      expect(seeked.at).toBeGreaterThanOrEqual(5.9);
      expect(seeked.rate).toBe(1.5);
      expect(await p.locator('#delivery .badge').first().textContent()).toBe('delivered');
      await shot(p, 'call');
    });

    it('puts back a recording link removed in the CRM, by a reconciliation started from the console', async () => {
      const p = need(page, 'the call page');
      // In the CRM, someone removed the recording link from the call's note. A reconciliation of
      // today, started from the console's form, finds it and puts the link back.
      const unlinked = await fetch(`${service.url}/sandbox/amocrm/__sandbox/notes/${uniq}/link`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(await unlinked.json()).toEqual({ unlinked: 1 });
      await p.click('nav.main >> text=Reconciliation');
      await p.waitForURL(`${service.url}/admin/runs`);
      await p.fill('input[name=date]', DateTime.now().setZone('Europe/Moscow').toISODate() as string);
      await Promise.all([p.waitForURL(/\/admin\/runs\/[0-9a-f-]{36}\?notice=run_started$/), p.click('#start-run button[type=submit]')]);
      const id = new URL(p.url()).pathname.split('/').pop() as string;
      for (const until = Date.now() + 30_000; ; ) {
        const run = await api<{ status: string }>(`/v1/reconcile/runs/${id}`);
        if (run.status === 'done') break;
        if (Date.now() > until) throw new Error(`the run did not finish in time: ${JSON.stringify(run)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      runId = id;
      const state = (await (await fetch(`${service.url}/sandbox/amocrm/__sandbox/state`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        notes: { params: { uniq?: string; link?: string } }[];
      };
      expect(state.notes.filter((n) => n.params.uniq === uniq).map((n) => n.params.link)).toEqual([
        expect.stringMatching(/\/recordings\/[0-9a-f-]{36}\.mp3\?/),
      ]);
    });

    it('opens the run, its finding linked to the call, and downloads its CSV', async () => {
      const p = need(page, 'the run page');
      const id = need(runId, 'the finished run');
      await p.click('nav.main >> text=Reconciliation');
      await p.waitForURL(`${service.url}/admin/runs`);
      await shot(p, 'runs');
      await Promise.all([p.waitForURL(`${service.url}/admin/runs/${id}`), p.click(`tr[data-run-id="${id}"] a`)]);
      expect(await p.locator('tr[data-finding]').count()).toBe(1);
      expect(await p.locator(`tr[data-finding] a[href="/admin/calls/${callId}"]`).count()).toBe(1);
      await shot(p, 'run');
      const [download] = await Promise.all([p.waitForEvent('download'), p.click('#csv-export')]);
      expect(download.suggestedFilename()).toMatch(/^calltrail-reconcile-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.csv$/);
      const csv = readFileSync(await download.path(), 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(csv[0]).toBe('kind,action,resolved,call_id,source,started_at,number,extension,direction,outcome,delivery_state,detail');
      expect(csv).toHaveLength(2);
      expect(csv[1]).toMatch(
        /^missing_recording,note_updated,true,admin-1,generic,[^,]+,\+74951234567,101,inbound,answered,delivered,"\{""note"":\{""note_id"":""\d+""/,
      );
    });

    it('shows the agents and the CRM pages, and the CSP refused nothing on any page', async () => {
      const p = need(page, 'the console page');
      await p.click('nav.main >> text=Agents');
      await p.waitForURL(`${service.url}/admin/agents`);
      expect(await p.locator('#by-extension tr[data-key="101"] td').nth(1).textContent()).toBe('1');
      expect(await p.locator('#by-department tr[data-key="sales"] td').nth(1).textContent()).toBe('1');
      await shot(p, 'agents');
      await p.click('nav.main >> text=CRM');
      await p.waitForURL(`${service.url}/admin/crm`);
      expect(await p.locator('#crm-status .badge').textContent()).toBe('ok');
      await shot(p, 'crm');

      // The CSP let the page's own style and script through and nothing had to be refused.
      expect(refused).toEqual([]);
      await need(context, 'the browser context').close();
      context = undefined;
    });
  });

  it('on a phone, the calls table scrolls inside its box instead of widening the page', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await logIn(context, '-phone');
    await shot(page, 'overview-phone');
    await page.goto(`${service.url}/admin/calls`);
    expect(await page.locator('#calls-table tbody tr[data-call-id]').count()).toBeGreaterThan(0);
    const layout = await page.evaluate(() => {
      const box = document.getElementById('calls-table') as HTMLElement;
      const before = box.scrollLeft;
      box.scrollLeft = 120;
      return {
        viewport: window.innerWidth,
        page: document.documentElement.scrollWidth,
        boxWidth: box.clientWidth,
        tableWidth: box.scrollWidth,
        overflowX: getComputedStyle(box).overflowX,
        scrolled: box.scrollLeft - before,
        fontSize: parseFloat(getComputedStyle(document.body).fontSize),
      };
    });
    expect(layout.viewport).toBe(375);
    expect(layout.page).toBeLessThanOrEqual(375);
    expect(layout.boxWidth).toBeLessThanOrEqual(375);
    expect(layout.tableWidth).toBeGreaterThan(layout.boxWidth);
    expect(layout.overflowX).toBe('auto');
    expect(layout.scrolled).toBeGreaterThan(0);
    expect(layout.fontSize).toBeGreaterThanOrEqual(14);
    await page.evaluate(() => {
      (document.getElementById('calls-table') as HTMLElement).scrollLeft = 0;
    });
    await shot(page, 'calls-phone');
    const call = await page.locator('#calls-table tbody tr[data-call-id] a').first().getAttribute('href');
    await page.goto(`${service.url}${call}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(page, 'call-phone');
    await context.close();
  });
});
