/**
 * The sandbox CRM at /sandbox/amocrm is open only in pure local mode (issue 13 item 8): with a
 * CRM, a PBX secret or a PUBLIC_URL beyond loopback, its page, its API and its fault controls
 * need the admin token (bearer or the console's session), and are off without an ADMIN_TOKEN.
 * calltrail's own deliveries reach the in-process sandbox whatever the gate says.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_TOKEN } from '../../src/crm/connect';
import { ADMIN_TOKEN, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';

const testDb = useTestDb();
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Nothing configured: how `npm start` runs on a fresh clone. */
const LOCAL = { GENERIC_WEBHOOK_SECRET: '', ADMIN_TOKEN: '', PUBLIC_URL: 'http://localhost:3000' };
const FAULTS = { rate: 1, seed: 7, kinds: { '502_before': 1 } };

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string; requestId: string } }).error;
}

/** Everything an outsider could reach: the page, the state, a fault lever, the API with the public sandbox token. */
function probes(h: Harness, headers: Record<string, string> = {}) {
  return Promise.all([
    h.app.request('/sandbox/amocrm/', { headers }),
    h.app.request('/sandbox/amocrm', { headers }),
    h.app.request('/sandbox/amocrm/__sandbox/state', { headers }),
    h.app.request('/sandbox/amocrm/__sandbox/faults', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(FAULTS),
    }),
    h.app.request('/sandbox/amocrm/__sandbox/unblock', { method: 'POST', headers }),
    h.app.request('/sandbox/amocrm/api/v4/account', { headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, ...headers } }),
  ]);
}

describe('the sandbox CRM in pure local mode', () => {
  it('stays open as today: the timeline page shows a delivered call, the controls answer', async () => {
    const h = deliveryHarness(testDb(), { env: LOCAL });
    expect((await h.post(callEnded({ call_id: 'local-1', recorded: false }), { sign: false })).status).toBe(202);
    expect(await h.drain()).toMatchObject({ delivered: 1 });

    const page = await h.app.request('/sandbox/amocrm/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Ivan Petrov');
    expect(html).toContain(conversationUniq('generic', 'local-1'));
    expect((await h.app.request('/sandbox/amocrm/__sandbox/state')).status).toBe(200);
    expect((await h.app.request('/sandbox/amocrm/api/v4/account', { headers: { authorization: `Bearer ${SANDBOX_TOKEN}` } })).status).toBe(200);
  });
});

describe('the sandbox CRM on a configured deployment', () => {
  const exposedBy: [string, Record<string, string>][] = [
    ['a webhook secret', { GENERIC_WEBHOOK_SECRET: 'test-secret-0123456789abcdef', PUBLIC_URL: 'http://localhost:3000' }],
    ['another PBX secret', { GENERIC_WEBHOOK_SECRET: '', TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789' }],
    ['a public PUBLIC_URL', { GENERIC_WEBHOOK_SECRET: '', PUBLIC_URL: 'https://calls.example.com' }],
    [
      'a CRM (with the sandbox still handed in)',
      { GENERIC_WEBHOOK_SECRET: '', AMOCRM_BASE_URL: 'https://example.amocrm.ru', AMOCRM_LONG_LIVED_TOKEN: 'amo-token' },
    ],
  ];

  for (const [what, env] of exposedBy) {
    it(`with ${what}: refuses everyone without the admin token (401, nothing changes) and lets the admin in`, async () => {
      const h = deliveryHarness(testDb(), { env: { ...env, ADMIN_TOKEN } });
      for (const [i, res] of (await probes(h)).entries()) {
        expect(res.status, `probe ${i}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const error = await errorOf(res);
        expect(error.code).toBe('unauthorized');
        expect(error.message).toContain('ADMIN_TOKEN');
        expect(error.requestId).not.toBe('unknown');
      }
      // The refused fault lever did nothing: the sandbox's API still answers.
      expect(h.sandbox.stats().faultsInjected).toBe(0);
      expect((await h.sandbox.fetch(new Request('http://sandbox/api/v4/account', { headers: { authorization: `Bearer ${SANDBOX_TOKEN}` } }))).status).toBe(200);
      expect((await probes(h, { authorization: 'Bearer not-the-admin-token-0123456789' })).map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);

      const page = await h.app.request('/sandbox/amocrm/', { headers: ADMIN });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Ivan Petrov');
      expect((await h.app.request('/sandbox/amocrm/__sandbox/state', { headers: ADMIN })).status).toBe(200);
    });
  }

  it('with the console session cookie: the signed-in admin gets in', async () => {
    const h = deliveryHarness(testDb(), { env: { ADMIN_TOKEN, PUBLIC_URL: 'https://calls.example.com' } });
    const login = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = /^(calltrail_admin=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
    expect(cookie).not.toBe('');
    expect((await h.app.request('/sandbox/amocrm/', { headers: { cookie } })).status).toBe(200);
    expect((await h.app.request('/sandbox/amocrm/', { headers: { cookie: 'calltrail_admin=forged.1.00' } })).status).toBe(401);
  });

  it('without ADMIN_TOKEN: off, 404 with the way to turn it on, whatever is sent', async () => {
    const h = deliveryHarness(testDb(), { env: { ADMIN_TOKEN: '' } });
    for (const res of await probes(h, { authorization: `Bearer ${ADMIN_TOKEN}` })) {
      expect(res.status).toBe(404);
      const error = await errorOf(res);
      expect(error.code).toBe('sandbox_off');
      expect(error.message).toMatch(/set ADMIN_TOKEN and send Authorization: Bearer/);
    }
    expect(h.sandbox.stats().faultsInjected).toBe(0);
  });

  it('still receives calltrail’s own deliveries: the in-process adapter does not go through the gate', async () => {
    // The harness's default: GENERIC_WEBHOOK_SECRET and ADMIN_TOKEN set, so the HTTP door is shut.
    const h = deliveryHarness(testDb());
    expect((await h.app.request('/sandbox/amocrm/')).status).toBe(401);
    expect((await h.post(callEnded({ call_id: 'gated-1', recorded: false }))).status).toBe(202);
    expect(await h.drain()).toMatchObject({ claimed: 1, delivered: 1, failed: 0, stopped: null });
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'gated-1'))).toHaveLength(1);
    const page = await (await h.app.request('/sandbox/amocrm/', { headers: ADMIN })).text();
    expect(page).toContain(conversationUniq('generic', 'gated-1'));
  });
});
