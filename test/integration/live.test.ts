/**
 * The live half end to end, on PGlite and on PostgreSQL: ring events through the generic webhook
 * into live_calls, screen pops in the sandbox amoCRM (exactly once per user, dropped when late),
 * caller lookups (cache, CRM, deadline, CRM down) and click-to-call through Zadarma's callback API
 * (a fake of its HTTP answers), with the placed call credited to the user who clicked.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SANDBOX_TOKEN } from '../../src/crm/connect';
import { RateLimiter } from '../../src/crm/limiter';
import { liveCalls, livePops, originations } from '../../src/db/schema';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { createAmoSandbox, type SandboxOptions } from '../../src/sandbox';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq } from '#test/delivery';
import { callEnded } from '#test/events';
import { KEY, SECRET as ZADARMA_SECRET, zadarmaSignature } from '#test/zadarma';
import type { Notification } from '../../src/pbx/zadarma/fixtures/form';

const testDb = useTestDb();
const LOOKUP_TOKEN = 'lookup-token-0123456789';
const ORIGINATE_TOKEN = 'originate-token-0123456789';
const OLGA = '8 (916) 555-12-34';
const VECTOR = '+7 (495) 700-00-00';
const NOBODY = '+7 (999) 000-11-22';

const CONFIG = {
  extensions: { '101': 1001, '102': 1002 },
  live: { pop: { ring_groups: { '600': ['101', '102'] } }, lookup: { default_route: '100' } },
};

interface SetupOptions {
  sandbox?: SandboxOptions;
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  pbx?: (url: URL) => Response | Promise<Response>;
}

function setup(options: SetupOptions = {}) {
  const clock = { now: new Date('2026-11-20T08:00:00Z') };
  const sandbox = createAmoSandbox({
    seed: 'demo',
    longLivedTokens: [SANDBOX_TOKEN],
    rps: 50,
    now: () => clock.now,
    rateClock: () => Date.now(),
    ...options.sandbox,
  });
  const background: Promise<unknown>[] = [];
  const pbxRequests: URL[] = [];
  const limiters = new Map<string, RateLimiter>();
  const config = parseIntegratorConfig(JSON.stringify({ ...CONFIG, ...options.config }), 'calltrail.json');
  const h = harness(testDb(), {
    start: clock.now,
    config,
    env: { AMOCRM_RPS: '50', LOOKUP_TOKEN, ORIGINATE_TOKEN, ...options.env },
    deps: {
      sandbox,
      limiters,
      defer: (work) => background.push(work),
      pbxFetch: (async (input: RequestInfo | URL) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        pbxRequests.push(url);
        return options.pbx ? options.pbx(url) : Response.json({ status: 'success' });
      }) as typeof fetch,
    },
  });
  Object.defineProperty(clock, 'now', { get: () => h.clock.now });
  const settle = async () => {
    while (background.length) await Promise.all(background.splice(0));
  };
  const lookup = (query: string, token = LOOKUP_TOKEN) => h.app.request(`/v1/lookup?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const originate = (body: unknown, token = ORIGINATE_TOKEN) =>
    h.app.request('/v1/originate', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  return { ...h, sandbox, settle, lookup, originate, pbxRequests, limiters };
}

const ringing = (extensions: string[], over: Record<string, unknown> = {}) => ({
  type: 'call.ringing',
  call_id: 'live-1',
  direction: 'inbound',
  from: OLGA,
  to: '+7 495 000-00-01',
  extensions,
  at: '2026-11-20T10:59:58+03:00',
  ...over,
});

async function liveRow(callKey = 'live-1') {
  const [row] = await testDb().db.select().from(liveCalls).where(eq(liveCalls.callKey, callKey));
  return row;
}

describe('screen pops', () => {
  it('shows a ringing call to the users of its ringing extensions, each exactly once, however often it rings', async () => {
    const t = setup();
    expect((await t.post(ringing(['101']))).status).toBe(202);
    await t.settle();
    // The PBX retries the same body, then rings the group: only the new user is shown the call.
    await t.post(ringing(['101']));
    await t.post(ringing(['600'], { at: '2026-11-20T10:59:59+03:00' }));
    await t.settle();
    const events = t.sandbox.store.phoneCallEvents();
    expect(events.map((e) => e.users)).toEqual([[1001], [1002]]);
    expect(events.every((e) => e.phone_number === '+79165551234')).toBe(true);
    const row = await liveRow();
    // The PBX's own words are kept (the group); the pops went to its members.
    expect(row).toMatchObject({ state: 'ringing', extensions: ['101', '600'], fromNumber: OLGA });
    const pops = await testDb()
      .db.select()
      .from(livePops)
      .where(eq(livePops.liveCallId, row?.id ?? ''));
    expect(pops.map((p) => [p.userId, p.state]).sort()).toEqual([
      ['1001', 'shown'],
      ['1002', 'shown'],
    ]);
    expect(pops.every((p) => typeof p.latencyMs === 'number')).toBe(true);
  });

  it('moves the live call forward only: answered, then ended by its record, whatever order they come in', async () => {
    const t = setup();
    await t.post({ type: 'call.answered', call_id: 'live-1', extension: '102', at: '2026-11-20T11:00:03+03:00' });
    await t.post(ringing(['101', '102']));
    await t.settle();
    expect(await liveRow()).toMatchObject({ state: 'answered', answeredBy: '102' });
    // The ring arrived after the answer: nobody is shown a call already answered.
    expect(t.sandbox.store.phoneCallEvents()).toEqual([]);
    await t.post(callEnded({ call_id: 'live-1', from: OLGA, extension: '102', to: '102', recorded: false }));
    expect(await liveRow()).toMatchObject({ state: 'ended' });
  });

  it('drops a pop that cannot go out before its deadline instead of queueing it, and sends nothing', async () => {
    const t = setup({ config: { live: { pop: { deadline_seconds: 2 } } } });
    const limiter = new RateLimiter({ rps: 50 });
    limiter.penalize(30_000);
    t.limiters.set('sandbox', limiter);
    await t.post(ringing(['101']));
    await t.settle();
    expect(t.sandbox.store.phoneCallEvents()).toEqual([]);
    const [pop] = await testDb().db.select().from(livePops);
    expect(pop).toMatchObject({ userId: '1001', state: 'late' });
    expect(pop?.reason).toMatch(/not shown within 2 s/);
  });

  it('pops nothing for an outbound or internal call, nor for a withheld caller', async () => {
    const t = setup();
    await t.post(ringing(['101'], { call_id: 'out', direction: 'outbound', from: '101', to: OLGA }));
    await t.post(ringing(['101'], { call_id: 'anon', from: 'anonymous' }));
    await t.settle();
    expect(t.sandbox.store.phoneCallEvents()).toEqual([]);
    expect((await testDb().db.select().from(liveCalls)).length).toBe(2);
  });
});

describe('a ring storm', () => {
  it('200 calls ringing at once: every pop shown exactly once, no 429, and the backlog delivered all the same', async () => {
    // amoCRM's real limit, held by the sandbox in real time; the service's budget is the same 7/s.
    const users = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [String(300 + i), 2000 + i]));
    const t = setup({ sandbox: { rps: 7 }, env: { AMOCRM_RPS: '7', SETTLE_SECONDS: '0' }, config: { extensions: users } });
    for (let i = 0; i < 200; i++) t.sandbox.store.addUser({ id: 2000 + i, name: `Rep ${i}` });
    // A backlog of 20 settled calls from a known number waits for the CRM.
    for (let i = 0; i < 20; i++) {
      expect((await t.post(callEnded({ call_id: `backlog-${i}`, from: OLGA, recorded: false }))).status).toBe(202);
    }
    const worker = setupWorker(t);
    const draining = worker.drain({ budgetMs: 60_000 });
    const rings = await Promise.all(
      Array.from({ length: 200 }, (_, i) => t.post(ringing([String(300 + i)], { call_id: `storm-${i}`, from: `+7 916 700-${String(1000 + i).slice(-4)}` }))),
    );
    expect(rings.every((r) => r.status === 202)).toBe(true);
    await t.settle();
    const report = await draining;

    expect(report).toMatchObject({ delivered: 20, failed: 0 });
    expect(t.sandbox.stats().rateLimited).toBe(0);
    const pops = await testDb().db.select().from(livePops);
    expect(pops).toHaveLength(200);
    // Gathered 50 to a request, the whole storm fits in its ten seconds: every rep sees their call.
    expect(pops.filter((p) => p.state === 'shown')).toHaveLength(200);
    const shownUsers = t.sandbox.store.phoneCallEvents().flatMap((e) => e.users);
    expect(new Set(shownUsers).size).toBe(shownUsers.length);
    expect(shownUsers.length).toBe(pops.filter((p) => p.state === 'shown').length);
    // Gathered: a handful of requests carried the pops, not two hundred (5 on a quiet machine; a
    // busy one spreads the rings' arrival over more slots).
    expect(t.sandbox.stats().byRoute['POST /api/v2/events'] ?? 0).toBeLessThanOrEqual(10);
  }, 60_000);
});

describe('the API description', () => {
  it('lists the lookup and click-to-call endpoints with their scopes', async () => {
    const doc = (await (await setup().app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(doc.paths['/v1/lookup'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/originate'] ?? {})).toEqual(['post']);
    expect(doc.paths['/v1/lookup']?.get?.security).toEqual([{ bearer: [] }]);
  });
});

describe('GET /v1/lookup', () => {
  it('answers with the contact, its company, responsible user and extension, then from the cache', async () => {
    const t = setup();
    const first = await t.lookup(`phone=${encodeURIComponent(OLGA)}`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      phone: '+79165551234',
      contact: { name: 'Olga Smirnova' },
      company: { name: 'ООО Вектор' },
      responsible: { user_id: '1001', extension: '101' },
      caller_name: 'Olga Smirnova',
      route: '101',
      answered_from: 'crm',
    });
    expect(body.deal).not.toBeNull();
    const requests = t.sandbox.stats().requests;
    const again = (await (await t.lookup('phone=79165551234')).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ answered_from: 'cache', route: '101', contact: body.contact });
    expect(t.sandbox.stats().requests).toBe(requests);
    expect(await (await t.lookup('phone=89165551234&format=text')).text()).toBe('Olga Smirnova');
    expect(await (await t.lookup('phone=89165551234&format=route')).text()).toBe('101');
  });

  it('answers a company-only number with the company and its responsible user', async () => {
    const t = setup();
    const body = (await (await t.lookup(`phone=${encodeURIComponent(VECTOR)}`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ contact: null, company: { name: 'ООО Вектор' }, responsible: { user_id: '1002', extension: '102' }, route: '102' });
  });

  it('gives an unknown caller the default route, and an extension no lookup at all', async () => {
    const t = setup();
    expect(await (await t.lookup(`phone=${encodeURIComponent(NOBODY)}`)).json()).toMatchObject({
      contact: null,
      company: null,
      route: '100',
      answered_from: 'crm',
    });
    const requests = t.sandbox.stats().requests;
    expect(await (await t.lookup('phone=101')).json()).toMatchObject({ phone: null, route: '100', answered_from: 'default' });
    expect(t.sandbox.stats().requests).toBe(requests);
  });

  it('holds its deadline when the CRM is slow, and fills the cache with the late answer', async () => {
    const t = setup({
      config: { live: { lookup: { deadline_ms: 150, default_route: '100' } } },
      sandbox: { faults: { seed: 1, rate: 1, kinds: { slow_after: 1 }, slowMs: 600, reads: true } },
    });
    const started = performance.now();
    const body = (await (await t.lookup(`phone=${encodeURIComponent(OLGA)}`)).json()) as Record<string, unknown>;
    const took = performance.now() - started;
    expect(body).toMatchObject({ route: '100', answered_from: 'default' });
    expect(body.reason).toMatch(/did not answer within 150 ms/);
    expect(took).toBeLessThan(500);
    await t.settle();
    t.sandbox.setFaults({ seed: 1, rate: 0 });
    expect(await (await t.lookup(`phone=${encodeURIComponent(OLGA)}`)).json()).toMatchObject({ answered_from: 'cache', route: '101' });
  });

  it('gives the default route with the reason when the CRM is down', async () => {
    // A deadline no busy machine reaches: the reason must be the CRM's failure, not the clock.
    const t = setup({
      config: { live: { lookup: { deadline_ms: 10_000, default_route: '100' } } },
      sandbox: { faults: { seed: 2, rate: 1, kinds: { '502_before': 1 }, reads: true } },
    });
    const body = (await (await t.lookup(`phone=${encodeURIComponent(OLGA)}`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ route: '100', answered_from: 'default' });
    expect(body.reason).toMatch(/could not be asked/);
  });

  it('takes the lookup token or the admin token, and refuses the originate token with 403', async () => {
    const t = setup();
    expect((await t.lookup('phone=101', 'wrong-token-0123456789')).status).toBe(401);
    const forbidden = await t.lookup('phone=101', ORIGINATE_TOKEN);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await t.admin('/v1/lookup?phone=101')).status).toBe(200);
    // As a URL's credentials (Asterisk's CURL(), FreePBX's lookup): basic auth, the token as password.
    const basic = await t.app.request('/v1/lookup?phone=101', { headers: { authorization: `Basic ${btoa(`pbx:${LOOKUP_TOKEN}`)}` } });
    expect(basic.status).toBe(200);
    expect((await t.lookup('')).status).toBe(400);
  });
});

describe('POST /v1/originate', () => {
  const zadarma = { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: ZADARMA_SECRET };

  it("asks Zadarma to ring the user's extension, then the customer, and credits the placed call to who clicked", async () => {
    const t = setup({ env: { ...zadarma, SETTLE_SECONDS: '0' } });
    const answer = await t.originate({ user: 1002, phone: OLGA });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ status: 'requested', source: 'zadarma', extension: '102' });
    const [request] = t.pbxRequests;
    expect(request?.pathname).toBe('/v1/request/callback/');
    expect(Object.fromEntries(request?.searchParams ?? [])).toMatchObject({ from: '102', to: '79165551234' });

    // Extension 103 is shared (mapped to nobody): the clicking user gets the call.
    await t.originate({ extension: '103', user: 1001, phone: OLGA });
    const delivery = setupWorker(t);
    const placed = { started_at: '2026-11-20T11:00:20+03:00', answered_at: '2026-11-20T11:00:25+03:00', ended_at: '2026-11-20T11:01:25+03:00' };
    const posted = await t.post(callEnded({ call_id: 'c2c', direction: 'outbound', from: '103', to: OLGA, extension: '103', recorded: false, ...placed }));
    expect(posted.status).toBe(202);
    t.clock.advance(60);
    expect(await delivery.drain({ budgetMs: 60_000 })).toMatchObject({ delivered: 1 });
    const [note] = t.sandbox.store.notesByUniq(conversationUniq('generic', 'c2c'));
    expect(note?.responsible_user_id).toBe(1001);
  });

  it("shows the PBX's refusal, a user with no extension and a deployment without click-to-call as errors", async () => {
    const t = setup({ env: zadarma, pbx: () => Response.json({ status: 'error', message: 'Wrong number format' }) });
    const refused = await t.originate({ user: 1001, phone: OLGA });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ error: { code: 'pbx_refused' } });
    const [row] = await testDb().db.select().from(originations);
    expect(row).toMatchObject({ state: 'refused', extension: '101' });

    const noExtension = await t.originate({ user: 4242, phone: OLGA });
    expect(noExtension.status).toBe(400);
    expect(((await noExtension.json()) as { error: { message: string } }).error.message).toMatch(/4242 has no extension/);
    expect((await t.originate({ phone: OLGA })).status).toBe(400);

    const off = await setup().originate({ extension: '101', phone: OLGA });
    expect(off.status).toBe(404);
    expect(await off.json()).toMatchObject({ error: { code: 'originate_off' } });
  });

  it("places the call a Bitrix24 user clicked (ONEXTERNALCALLSTART), keeping Bitrix24's call id for the delivery", async () => {
    const t = setup({ env: { ...zadarma, BITRIX24_APP_TOKEN: 'b24-app-token-123' } });
    const event = (over: Record<string, string> = {}) =>
      t.app.request('/v1/crm/bitrix24/events', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          event: 'ONEXTERNALCALLSTART',
          'data[PHONE_NUMBER]': '89165551234',
          'data[USER_ID]': '1002',
          'data[CALL_ID]': 'externalCall.6a8d1f',
          'auth[application_token]': 'b24-app-token-123',
          ...over,
        }).toString(),
      });
    expect((await event()).status).toBe(200);
    expect(Object.fromEntries(t.pbxRequests[0]?.searchParams ?? [])).toMatchObject({ from: '102', to: '79165551234' });
    const [row] = await testDb().db.select().from(originations);
    expect(row).toMatchObject({ userId: '1002', crmRef: 'externalCall.6a8d1f', state: 'requested' });
    expect((await event({ 'auth[application_token]': 'forged' })).status).toBe(401);
    expect((await event({ event: 'ONEXTERNALCALLEND' })).status).toBe(400);
    expect(t.pbxRequests).toHaveLength(1);
  });

  it('answers the widget’s preflight from an amoCRM account, and no other origin', async () => {
    const t = setup({ env: zadarma });
    const preflight = (origin: string) =>
      t.app.request('/v1/originate', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    expect((await preflight('https://example.amocrm.ru')).headers.get('access-control-allow-origin')).toBe('https://example.amocrm.ru');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

function setupWorker(t: ReturnType<typeof setup>) {
  const worker = createDeliveryWorker(t.deps, { owner: 'live-test', limiters: t.limiters });
  if (!worker) throw new Error('no delivery worker');
  return worker;
}

describe("Zadarma's NOTIFY_START asks where the call goes", () => {
  const zadarma = { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: ZADARMA_SECRET };
  const start = (caller: string, id: string): Notification => ({
    event: 'NOTIFY_START',
    call_start: '2026-11-20 10:59:58',
    pbx_call_id: id,
    caller_id: caller,
    called_did: '74950000001',
  });
  const post = (t: ReturnType<typeof setup>, n: Notification) =>
    t.app.request('/v1/pbx/zadarma', {
      method: 'POST',
      body: new URLSearchParams(n).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', Signature: zadarmaSignature(n, ZADARMA_SECRET) },
    });

  it("answers with the responsible manager's extension and the caller's name, and the default route for a stranger", async () => {
    const t = setup({ env: zadarma, config: { live: { route_calls: true, lookup: { default_route: '100' } } } });
    const known = await post(t, start('79165551234', 'in_zd_1'));
    expect(known.status).toBe(200);
    expect(await known.json()).toEqual({ redirect: '101', caller_name: 'Olga Smirnova' });
    expect(await (await post(t, start('79990001122', 'in_zd_2'))).json()).toEqual({ redirect: '100' });
    // Stored and live all the same.
    expect((await liveRow('in_zd_1'))?.state).toBe('ringing');
  });

  it('gives only the name while routing is off, and the usual empty answer when there is nothing to say', async () => {
    const t = setup({ env: zadarma });
    expect(await (await post(t, start('79165551234', 'in_zd_3'))).json()).toEqual({ caller_name: 'Olga Smirnova' });
    const stranger = await post(t, start('79990001122', 'in_zd_4'));
    expect(stranger.status).toBe(200);
    expect(await stranger.text()).toBe('');
  });
});
