/**
 * calltrail's amoCRM click-to-call widget in a real headless Chromium against the service as a
 * process: the sandbox CRM's contact card (/sandbox/amocrm/contacts/card/:id, with its fake
 * AMOCRM global and AMD loader) loads the real /widget/amocrm/script.js and runs its callbacks;
 * clicking a phone number POSTs {user, phone} to calltrail's /v1/originate with the widget's token,
 * and the outcome — the call on its way, or a refusal's message from the error envelope — is shown
 * to the user.
 * The PBX behind click-to-call is a stand-in for a Yeastar P-Series OpenAPI on loopback; the
 * refusal comes from calltrail itself (a user with no extension).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request as PwRequest } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDatabase, dropServiceDatabase, launchChromium } from '#test/browser';
import { startService, type Service } from '#test/process';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
const TOKEN = 'widget-token-0123456789';
const CALLED = '+7 495 111-22-33';
const REFUSED = '+7 495 999-88-77';
/** The sandbox's demo users: Anna (1001) has extension 101 in the config below, Boris (1002) none. */
const ANNA = 1001;
const BORIS = 1002;

let dir: string;
let service: Service;
let browser: Browser;
let dbName: string | undefined;
let contactId: number;
/** A stand-in for a Yeastar P-Series PBX's OpenAPI (the vendor we cannot reach): what it was asked to dial. */
let pbx: Server;
const dialed: Record<string, unknown>[] = [];

async function startFakeYeastar(): Promise<string> {
  pbx = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/openapi/v1.0/get_token')) {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'SUCCESS', access_token: 'tok', access_token_expire_time: 1800 }));
      } else if (req.url?.startsWith('/openapi/v1.0/call/dial')) {
        dialed.push(JSON.parse(body) as Record<string, unknown>);
        res.end(JSON.stringify({ errcode: 0, errmsg: 'SUCCESS', call_id: '1700000000.1' }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(pbx.address() as AddressInfo).port}`;
}

/** Opens the sandbox card as this amoCRM user, the widget loaded. */
async function openCard(page: Page, user: number): Promise<void> {
  await page.goto(`${service.url}/sandbox/amocrm/contacts/card/${contactId}?token=${TOKEN}&user=${user}`);
  await page.waitForSelector('body[data-widget=ready]', { timeout: 10_000 });
}

/** Clicks a phone number; returns the originate request the widget sent and calltrail's answer. */
async function clickPhone(page: Page, phone: string) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/originate' && r.request().method() === 'POST'),
    page.click(`a.phone[data-phone="${phone}"]`),
  ]);
  const request: PwRequest = response.request();
  return { request, status: response.status(), body: (await response.json()) as { error?: { message: string } } };
}

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b));
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'calltrail-widget-browser-'));
  const config = join(dir, 'calltrail.json');
  const pbxUrl = await startFakeYeastar();
  writeFileSync(
    config,
    JSON.stringify({
      extensions: { '101': ANNA },
      sources: { yeastar: { api: { edition: 'p-series', base_url: pbxUrl, username: 'client-id', password: 'client-secret' } } },
    }),
  );
  const database = await createServiceDatabase('widget');
  dbName = database.name;
  // Pure local mode (no PBX secret, no CRM, PUBLIC_URL on loopback): the sandbox CRM is open.
  service = await startService({ DATABASE_URL: database.url, DATA_DIR: dir, CONFIG_FILE: config, LOG_LEVEL: 'warn', ORIGINATE_TOKEN: TOKEN });
  const probe = await fetch(`${service.url}/widget/amocrm/script.js`);
  expect(probe.status).toBe(200);
  const created = await fetch(`${service.url}/sandbox/amocrm/__sandbox/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Widget Testov', phones: [CALLED, { value: REFUSED, enum_code: 'MOB' }], responsible_user_id: ANNA }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  contactId = ((await created.json()) as { id: number }).id;
  await launching;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (pbx ? pbx.close(resolve) : resolve(undefined)));
  await service?.stop();
  await dropServiceDatabase(dbName);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the amoCRM widget on a sandbox contact card in Chromium', () => {
  it('turns a phone click into POST /v1/originate {user, phone} with the token, and says the call is on its way', async () => {
    const page = await browser.newPage();
    await openCard(page, ANNA);
    expect(await page.locator('#phones a.phone').allTextContents()).toEqual([CALLED, REFUSED]);
    const { request, status, body } = await clickPhone(page, CALLED);
    expect(request.headers().authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers()['content-type']).toBe('application/json');
    expect(request.postDataJSON()).toEqual({ user: ANNA, phone: CALLED });
    expect(status, JSON.stringify(body)).toBe(202);
    // calltrail asked the PBX to ring Anna's extension, then the customer.
    expect(dialed).toEqual([expect.objectContaining({ caller: '101', callee: '74951112233' })]);
    const shown = page.locator('#notifications li.message');
    await shown.waitFor();
    expect(await shown.textContent()).toContain(`Calling ${CALLED}`);
    expect(await page.locator('#notifications li.error').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'widget-card-called.png'), fullPage: true });
    await page.close();
  });

  it("shows calltrail's refusal (the envelope's message) to the user", async () => {
    const page = await browser.newPage();
    // Boris has no extension: calltrail cannot say whose phone to ring.
    await openCard(page, BORIS);
    const { status, body } = await clickPhone(page, REFUSED);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const message = body.error?.message;
    expect(message, 'an error envelope').toBeTruthy();
    const alert = page.locator('#notifications li.error[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`The call was not placed: ${message}`);
    await page.screenshot({ path: join(SHOTS, 'widget-card-refused.png'), fullPage: true });
    await page.close();
  });

  it('offers widget.zip, the manifest and the script for download', async () => {
    for (const [path, type] of [
      ['/widget/amocrm/widget.zip', 'application/zip'],
      ['/widget/amocrm/manifest.json', 'application/json'],
      ['/widget/amocrm/script.js', 'text/javascript'],
    ]) {
      const res = await fetch(`${service.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
    }
  });
});
