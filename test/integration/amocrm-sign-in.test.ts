/**
 * Signing in to the console from the amoCRM widget (issue 16, item 2): amoCRM's one-time token
 * (JWT HS256 with the integration's secret, AMOCRM_CLIENT_SECRET) → POST /v1/auth/amocrm → a
 * one-time ticket URL → GET /admin/login/amocrm → a session like the password sign-in's. Tokens and
 * tickets are single use, tickets live 60 s, unlinked and disabled users are refused, every outcome
 * is audited, refusals from one address are throttled, amoCRM's origins get CORS. Users are linked
 * to amoCRM users through the API and the console. Without the integration's secret (a long-lived
 * token) or in an exposed sandbox mode the endpoint is off; in pure local sandbox mode the
 * in-process sandbox CRM signs the tokens.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, users } from '../../src/db/schema';
import { hashPassword } from '../../src/people/password';
import { createUser, updateUser } from '../../src/people/users';
import { SANDBOX_TOKEN, SANDBOX_WIDGET_SECRET } from '../../src/crm/connect';
import { createAmoSandbox } from '../../src/sandbox';
import { signOneTimeToken } from '../../src/sandbox/core/one-time-tokens';
import { ADMIN_TOKEN, harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';

const testDb = useTestDb();

const CLIENT_SECRET = 'integration-secret-key-0123456789abcdef';
const PUBLIC = 'https://calltrail.example.com';
const OAUTH_ENV = {
  AMOCRM_BASE_URL: 'https://example.amocrm.ru',
  AMOCRM_CLIENT_ID: '6a2d4741-0000-4000-8000-92277723dcea',
  AMOCRM_CLIENT_SECRET: CLIENT_SECRET,
  AMOCRM_REDIRECT_URI: `${PUBLIC}/v1/crm/amocrm/callback`,
  PUBLIC_URL: PUBLIC,
};
const IP = '198.51.100.7';
const cheap = (pw: string) => hashPassword(pw, { N: 2 ** 10, r: 8, p: 1 });
let jtis = 0;

const setup = () => harness(testDb(), { env: OAUTH_ENV });

async function addUser(email: string, role: 'rep' | 'supervisor', amocrmUserId: number | null, extension: string | null = null) {
  return (await createUser(testDb().db, { email, role, extension, amocrmUserId, password: 'a-long-password-0123' }, cheap)).user;
}

/** A token as amoCRM signs it for the card's user, at the harness's clock. */
async function amoToken(h: Harness, userId: number, o: { secret?: string; aud?: string; subdomain?: string; jti?: string } = {}) {
  const jti = o.jti ?? `00000000-0000-4000-8000-${String(++jtis).padStart(12, '0')}`;
  const now = Math.floor(h.clock.now.getTime() / 1000);
  return signOneTimeToken(o.secret ?? CLIENT_SECRET, jti, { subdomain: o.subdomain ?? 'example', accountId: 31000001, userId, aud: o.aud ?? PUBLIC, now });
}

function askTicket(h: Harness, token: string | null, headers: Record<string, string> = {}) {
  return h.app.request('/v1/auth/amocrm', {
    method: 'POST',
    headers: { origin: 'https://example.amocrm.ru', 'x-forwarded-for': IP, ...(token === null ? {} : { 'x-auth-token': token }), ...headers },
  });
}

/** The ticket's path and query (the app is asked without its public origin). */
async function ticketPath(res: Response): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(200);
  const { url, expires_at } = (await res.json()) as { url: string; expires_at: string };
  expect(url.startsWith(`${PUBLIC}/admin/login/amocrm?t=`), url).toBe(true);
  expect(Date.parse(expires_at)).toBeGreaterThan(0);
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

const redeem = (h: Harness, path: string) => h.app.request(path, { headers: { 'x-forwarded-for': IP } });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
const trail = async (action: string) =>
  (await testDb().db.select().from(auditLog).where(eq(auditLog.action, action))).map((e) => ({ subject: e.subject, detail: e.detail, actor: e.actor }));

describe('signing in from the amoCRM widget', () => {
  it('a linked rep: token → ticket URL → a session cookie that opens their calls, audited as via amoCRM', async () => {
    const h = setup();
    const rep = await addUser('ray@example.com', 'rep', 1001, '101');
    const path = await ticketPath(await askTicket(h, await amoToken(h, 1001)));
    const res = await redeem(h, path);
    expect(res.status).toBe(200);
    const page = await res.text();
    // A page that goes on by itself, not a redirect: the session cookie is SameSite=Strict.
    expect(page).toContain('<meta http-equiv="refresh" content="0;url=../../admin/calls"');
    expect(page).toContain('href="../../admin/calls"');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^calltrail_admin=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin/);
    expect(setCookie).toMatch(/Secure/);
    const cookie = setCookie.split(';')[0] as string;
    const calls = await h.app.request('/admin/calls', { headers: { cookie } });
    expect(calls.status).toBe(200);
    expect(await calls.text()).toContain('Log out');
    // A rep still may not open the overview.
    expect((await h.app.request('/admin', { headers: { cookie } })).status).toBe(403);
    expect(await trail('auth.sign_in')).toEqual([
      { subject: `user:${rep.id}`, detail: { via: 'amocrm', amocrm_user_id: 1001 }, actor: `session:user:${rep.id}` },
    ]);
  });

  it('a supervisor lands on the overview', async () => {
    const h = setup();
    await addUser('sue@example.com', 'supervisor', 1002);
    const res = await redeem(h, await ticketPath(await askTicket(h, await amoToken(h, 1002))));
    expect(await res.text()).toContain('content="0;url=../../admin"');
  });

  it('refuses a replayed token, and a replayed, expired or forged ticket', async () => {
    const h = setup();
    await addUser('ray@example.com', 'rep', 1001);
    const token = await amoToken(h, 1001);
    const path = await ticketPath(await askTicket(h, token));
    const again = await askTicket(h, token);
    expect(again.status).toBe(401);
    expect(await errorOf(again)).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('(replayed)') });

    expect((await redeem(h, path)).status).toBe(200);
    const reused = await redeem(h, path);
    expect(reused.status).toBe(303);
    expect(reused.headers.get('location')).toBe('/admin/login?notice=amocrm_sign_in_failed');
    expect(reused.headers.get('set-cookie')).toBeNull();

    const late = await ticketPath(await askTicket(h, await amoToken(h, 1001)));
    h.clock.advance(61);
    expect((await redeem(h, late)).headers.get('location')).toBe('/admin/login?notice=amocrm_sign_in_failed');
    const forged = `${path.slice(0, -8)}deadbeef`;
    expect((await redeem(h, forged)).headers.get('location')).toBe('/admin/login?notice=amocrm_sign_in_failed');
    const login = await h.app.request('/admin/login?notice=amocrm_sign_in_failed');
    expect(await login.text()).toContain('That sign-in link from amoCRM has expired');

    const failed = (await trail('auth.sign_in_failed')).map((e) => (e.detail as { reason: string }).reason);
    // The forged ticket names nobody: not on the trail.
    expect(failed).toEqual(['replayed', 'ticket_used', 'ticket_expired']);
  });

  it('refuses an amoCRM user no calltrail user is linked to (403), and a disabled one, audited', async () => {
    const h = setup();
    const res = await askTicket(h, await amoToken(h, 4242));
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ code: 'forbidden', message: expect.stringContaining('no calltrail user is linked to amoCRM user 4242') });

    const rep = await addUser('ray@example.com', 'rep', 1001);
    const path = await ticketPath(await askTicket(h, await amoToken(h, 1001)));
    await updateUser(testDb().db, rep.id, { disabled: true }, h.clock.now);
    const disabled = await askTicket(h, await amoToken(h, 1001));
    expect(disabled.status).toBe(403);
    expect((await errorOf(disabled)).message).toContain('is disabled');
    // A ticket issued before the disable does not open a session either.
    const late = await redeem(h, path);
    expect(late.headers.get('location')).toBe('/admin/login?notice=amocrm_sign_in_failed');
    expect(await trail('auth.sign_in_failed')).toEqual([
      { subject: 'amocrm_user:4242', detail: { via: 'amocrm', reason: 'not_linked' }, actor: 'session:anonymous' },
      { subject: 'amocrm_user:1001', detail: { via: 'amocrm', reason: 'disabled' }, actor: 'session:anonymous' },
      { subject: `user:${rep.id}`, detail: { via: 'amocrm', reason: 'ticket_disabled' }, actor: 'session:anonymous' },
    ]);
    expect(await trail('auth.sign_in')).toEqual([]);
  });

  it("refuses tokens not signed with the integration's secret or meant for another site, then throttles the address", async () => {
    const h = setup();
    await addUser('ray@example.com', 'rep', 1001);
    const cases: [string, string][] = [
      [await amoToken(h, 1001, { secret: 'another-secret' }), 'bad_signature'],
      [await amoToken(h, 1001, { aud: 'https://elsewhere.example.com' }), 'wrong_audience'],
      [await amoToken(h, 1001, { subdomain: 'other' }), 'wrong_issuer'],
      ['not-a-jwt', 'malformed'],
    ];
    for (const [token, reason] of cases) {
      const res = await askTicket(h, token);
      expect(res.status, reason).toBe(401);
      expect((await errorOf(res)).message, reason).toContain(`(${reason})`);
    }
    const none = await askTicket(h, null);
    expect(none.status).toBe(401);
    expect((await errorOf(none)).message).toContain('X-Auth-Token');
    // The token itself is never logged.
    expect(JSON.stringify(h.log.lines)).not.toContain(cases[0]?.[0].split('.')[2]);
    await askTicket(h, 'still-not-a-jwt');
    const locked = await askTicket(h, await amoToken(h, 1001));
    expect(locked.status).toBe(429);
    expect((await errorOf(locked)).code).toBe('rate_limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not locked.
    expect((await askTicket(h, await amoToken(h, 1001), { 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });

  it("answers the browser's preflight for amoCRM's origins only, allowing X-Auth-Token", async () => {
    const h = setup();
    const preflight = (origin: string) =>
      h.app.request('/v1/auth/amocrm', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-auth-token' },
      });
    const ok = await preflight('https://example.amocrm.ru');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://example.amocrm.ru');
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-auth-token');
    expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
    await addUser('ray@example.com', 'rep', 1001);
    const res = await askTicket(h, await amoToken(h, 1001), { origin: 'https://example.kommo.com' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://example.kommo.com');
  });

  it('is listed in OpenAPI without bearer security', async () => {
    const doc = (await (await setup().app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    const op = doc.paths['/v1/auth/amocrm']?.post;
    expect(op).toBeDefined();
    expect(op?.security).toBeUndefined();
  });
});

describe('where sign-in with amoCRM is off', () => {
  it('with a long-lived token (no integration secret) and on an exposed sandbox: 404 oauth_disabled', async () => {
    const longLived = harness(testDb(), { env: { AMOCRM_BASE_URL: 'https://example.amocrm.ru', AMOCRM_LONG_LIVED_TOKEN: 'llt' } });
    const res = await askTicket(longLived, 'x.y.z');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'oauth_disabled', message: expect.stringContaining('OAuth') });
    // The harness sets a PBX secret: not a local demo, so the sandbox's public secret is not taken.
    const exposed = harness(testDb());
    expect((await errorOf(await askTicket(exposed, await amoToken(exposed, 1001, { secret: SANDBOX_WIDGET_SECRET })))).code).toBe('oauth_disabled');
  });

  it('in pure local sandbox mode the in-process sandbox CRM signs the card user’s token', async () => {
    let clock = new Date();
    const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: [SANDBOX_TOKEN], widgetSecret: SANDBOX_WIDGET_SECRET, now: () => clock });
    const h = harness(testDb(), { env: { GENERIC_WEBHOOK_SECRET: undefined } as unknown as Record<string, string>, deps: { sandbox } });
    clock = h.clock.now;
    expect(h.deps.settings.crm.kind).toBe('sandbox');
    const rep = await addUser('anna@example.com', 'rep', 1001);
    const issued = await h.app.request('/sandbox/amocrm/widget/one-time-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 1001, aud: 'http://localhost:3000' }),
    });
    expect(issued.status).toBe(200);
    const { token } = (await issued.json()) as { token: string };
    const res = await h.app.request('/v1/auth/amocrm', { method: 'POST', headers: { 'x-auth-token': token } });
    expect(res.status, await res.clone().text()).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(url.startsWith('http://localhost:3000/admin/login/amocrm?t=')).toBe(true);
    const opened = await h.app.request(new URL(url).pathname + new URL(url).search);
    expect(opened.status).toBe(200);
    expect(await trail('auth.sign_in')).toEqual([expect.objectContaining({ subject: `user:${rep.id}` })]);
    // A sandbox without a widget secret gives no tokens.
    const plain = createAmoSandbox({ seed: 'demo' });
    expect((await plain.fetch(new Request('http://sandbox/widget/one-time-token', { method: 'POST', body: '{"user_id":1001}' }))).status).toBe(404);
  });
});

describe('linking users to amoCRM users', () => {
  it('through the API: set on create, shown, changed, unlinked; a second link to one amoCRM user is 409', async () => {
    const h = setup();
    const json = (method: string, path: string, body: unknown) =>
      h.admin(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const made = await json('POST', '/v1/users', { email: 'ray@example.com', role: 'rep', amocrm_user_id: 1001 });
    expect(made.status).toBe(201);
    const ray = ((await made.json()) as { user: { id: number; amocrm_user_id: number | null } }).user;
    expect(ray.amocrm_user_id).toBe(1001);
    const twin = await json('POST', '/v1/users', { email: 'twin@example.com', role: 'rep', amocrm_user_id: 1001 });
    expect(twin.status).toBe(409);
    expect(await errorOf(twin)).toMatchObject({ code: 'already_exists', message: 'amoCRM user 1001 is linked to another calltrail user already' });
    const sue = ((await (await json('POST', '/v1/users', { email: 'sue@example.com', role: 'supervisor' })).json()) as { user: { id: number } }).user;
    const taken = await json('PATCH', `/v1/users/${sue.id}`, { amocrm_user_id: 1001 });
    expect(taken.status).toBe(409);
    expect((await json('PATCH', `/v1/users/${sue.id}`, { amocrm_user_id: 0 })).status).toBe(400);
    expect((await json('PATCH', `/v1/users/${ray.id}`, { amocrm_user_id: null })).status).toBe(200);
    const moved = await json('PATCH', `/v1/users/${sue.id}`, { amocrm_user_id: 1001 });
    expect(((await moved.json()) as { user: { amocrm_user_id: number } }).user.amocrm_user_id).toBe(1001);
    const list = (await (await h.admin('/v1/users')).json()) as { items: { email: string; amocrm_user_id: number | null }[] };
    expect(list.items.map((u) => [u.email, u.amocrm_user_id])).toEqual([
      ['ray@example.com', null],
      ['sue@example.com', 1001],
    ]);
  });

  it("through the console's Users page: the add form and each row's form", async () => {
    const h = setup();
    const origin = 'http://localhost';
    const login = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await h.app.request('/admin/users', { headers: { cookie } })).text();
    expect(page).toContain('name="amocrm_user_id"');
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1] ?? '';
    const post = (path: string, form: Record<string, string>) =>
      h.app.request(path, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      });
    expect((await post('/admin/users', { email: 'ray@example.com', role: 'rep', extension: '101', amocrm_user_id: '1001' })).status).toBe(200);
    const [ray] = await testDb().db.select().from(users).where(eq(users.email, 'ray@example.com'));
    expect(ray?.amocrmUserId).toBe(1001);
    const dup = await post('/admin/users', { email: 'twin@example.com', role: 'rep', amocrm_user_id: '1001' });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain('amoCRM user 1001 is linked to another calltrail user already');
    expect((await post(`/admin/users/${ray?.id}/role`, { role: 'rep', extension: '101', amocrm_user_id: 'abc' })).status).toBe(400);
    expect((await post(`/admin/users/${ray?.id}/role`, { role: 'rep', extension: '101', amocrm_user_id: '2002' })).status).toBe(200);
    expect((await testDb().db.select().from(users).where(eq(users.email, 'ray@example.com')))[0]?.amocrmUserId).toBe(2002);
    // A row form without the field leaves the link alone; an empty one removes it.
    await post(`/admin/users/${ray?.id}/role`, { role: 'rep', extension: '101' });
    expect((await testDb().db.select().from(users).where(eq(users.email, 'ray@example.com')))[0]?.amocrmUserId).toBe(2002);
    await post(`/admin/users/${ray?.id}/role`, { role: 'rep', extension: '101', amocrm_user_id: '' });
    expect((await testDb().db.select().from(users).where(eq(users.email, 'ray@example.com')))[0]?.amocrmUserId).toBeNull();
  });
});
