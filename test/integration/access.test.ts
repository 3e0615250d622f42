/**
 * Who may do what (issue 16, item 2): the role matrix over every /v1 admin endpoint (read from the
 * OpenAPI document, so a new one is covered) and every console page, for each role; a rep's own
 * calls; the throttled sign-in; API tokens found by hash, scoped, revoked, their use recorded.
 *
 * Expectations come from the access table (http/core/access.ts), and a few key cells are also
 * written out here by hand, independently of it, so a wrong table fails.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiTokens, auditLog } from '../../src/db/schema';
import { ROLES, type Role } from '../../src/domain/actor';
import { API_ACCESS, CONSOLE_ACCESS, allowed } from '../../src/http/core/access';
import { hashPassword } from '../../src/people/password';
import { createToken, tokenHash } from '../../src/people/tokens';
import { createUser } from '../../src/people/users';
import { harness, type Harness } from '#test/app';
import { type AccountHost, createAccountDirectory } from '../../src/accounts/directory';
import { useTestDb } from '#test/db';

const testDb = useTestDb();

/**
 * Account 1's app with its accounts directory, as the Node service builds it. No account is
 * opened here (the role checks answer first); opening one would be this file's bug.
 */
function instanceHarness(): Harness {
  const db = testDb();
  const base = harness(db);
  const host: AccountHost = {
    open: () => Promise.reject(new Error('no account is opened by the role matrix')),
    destroy: () => Promise.reject(new Error('no account is deleted by the role matrix')),
  };
  return harness(db, { deps: { accounts: createAccountDirectory({ db: db.db, settings: base.deps.settings, log: base.log, host }) } });
}
const ORIGIN = 'http://localhost';
const PASSWORD = 'a-long-password-0123';
const ID = '00000000-0000-4000-8000-000000000000';
/** Cheap scrypt for test users: sign-in reads the parameters from the hash. */
const cheap = (pw: string) => hashPassword(pw, { N: 2 ** 10, r: 8, p: 1 });

async function addUser(role: Role, extension: string | null = null, email = `${role}@example.com`) {
  return (await createUser(testDb().db, { email, role, extension, password: PASSWORD }, cheap)).user;
}

async function signIn(h: Harness, email: string, password = PASSWORD, ip = '198.51.100.1'): Promise<Response> {
  return h.app.request('/admin/login', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    body: new URLSearchParams({ email, password, next: '/admin' }).toString(),
  });
}

async function session(h: Harness, email: string): Promise<string> {
  const res = await signIn(h, email);
  expect(res.status, email).toBe(303);
  const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

async function csrfOf(h: Harness, cookie: string): Promise<string> {
  const page = await (await h.app.request('/admin/calls', { headers: { cookie } })).text();
  return /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1] ?? '';
}

async function bearerOf(role: Role, scopes: ('admin' | 'read' | 'lookup' | 'originate')[] = ['admin']): Promise<string> {
  return (await createToken(testDb().db, { name: `${role} token`, scopes, role, createdBy: 'test' }, new Date())).secret;
}

/** Every bearer-secured /v1 operation of the OpenAPI document (lookup and originate go by scope), with a sample path. */
async function apiEndpoints(h: Harness): Promise<[string, string][]> {
  const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  const out: [string, string][] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/') || path === '/v1/lookup' || path === '/v1/originate') continue;
    for (const [method, op] of Object.entries(ops)) {
      if (!op.security?.some((s) => typeof s === 'object' && s !== null && 'bearer' in s)) continue;
      out.push([method.toUpperCase(), path.replace(/\{id\}/g, path.includes('calls') ? ID : '999').replace(/\{[a-z_]+\}/g, '999')]);
    }
  }
  out.push(['GET', '/v1/reconcile/runs/999.csv']);
  return out;
}

const CONSOLE_PAGES: [string, string][] = [
  ['GET', '/admin'],
  ['GET', '/admin/live'],
  ['GET', '/admin/calls'],
  ['GET', `/admin/calls/${ID}`],
  ['POST', `/admin/calls/${ID}/retry`],
  ['GET', '/admin/runs'],
  ['GET', '/admin/runs/999'],
  ['GET', '/admin/agents'],
  ['GET', '/admin/crm'],
  ['POST', '/admin/crm/reset'],
  ['GET', '/admin/widget'],
  ['GET', '/admin/config'],
  ['GET', '/admin/users'],
  ['POST', '/admin/users'],
  ['POST', '/admin/users/999/disable'],
  ['GET', '/admin/tokens'],
  ['POST', '/admin/tokens'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/dead-letters'],
  ['POST', '/admin/dead-letters/dismiss'],
  ['GET', '/admin/recording-policy'],
  ['GET', '/admin/accounts'],
  ['POST', '/admin/accounts'],
];

/** Cells written out by hand, independently of the table. */
const KEY_CELLS: [Role, string, string, boolean][] = [
  ['rep', 'GET', '/v1/calls', true],
  ['rep', 'GET', '/v1/users', false],
  ['rep', 'POST', `/v1/calls/${ID}/retry`, false],
  ['integrator', 'GET', '/v1/crm', true],
  ['integrator', 'GET', `/v1/calls/${ID}`, false],
  ['integrator', 'GET', '/v1/reconcile/runs/999.csv', false],
  ['supervisor', 'GET', '/v1/reconcile/runs/999.csv', false],
  ['supervisor', 'GET', '/v1/reconcile/runs', true],
  ['supervisor', 'GET', '/v1/tokens', false],
  ['supervisor', 'GET', '/v1/crm', false],
  ['admin', 'DELETE', '/v1/tokens/999', true],
  ['admin', 'GET', '/v1/audit', true],
  ['integrator', 'GET', '/v1/audit', false],
  ['rep', 'GET', '/admin/calls', true],
  ['supervisor', 'GET', '/admin/dead-letters', false],
  ['admin', 'GET', '/admin/dead-letters', true],
  ['rep', 'GET', '/admin', false],
  ['rep', 'GET', '/admin/agents', false],
  ['integrator', 'GET', '/admin/config', true],
  ['integrator', 'GET', `/admin/calls/${ID}`, false],
  ['supervisor', 'GET', '/admin/config', false],
  ['supervisor', 'GET', '/admin/agents', true],
  ['supervisor', 'GET', '/admin/users', false],
  ['admin', 'GET', '/admin/users', true],
  ['integrator', 'GET', '/admin/audit', false],
  // The instance's accounts: its owners only.
  ['owner', 'GET', '/v1/accounts', true],
  ['admin', 'GET', '/v1/accounts', false],
  ['admin', 'POST', '/v1/accounts', false],
  ['owner', 'GET', '/admin/accounts', true],
  ['admin', 'GET', '/admin/accounts', false],
];

describe('the access table', () => {
  it('agrees with the cells written out by hand', () => {
    for (const [role, method, path, expected] of KEY_CELLS) {
      const table = path.startsWith('/v1/') ? API_ACCESS : CONSOLE_ACCESS;
      expect(allowed(table, role, method, path), `${role} ${method} ${path}`).toBe(expected);
    }
    // Owners and admins may do everything listed but the instance's accounts (owners only); an
    // unlisted path is theirs alone.
    for (const rule of [...API_ACCESS, ...CONSOLE_ACCESS]) {
      expect(rule.roles).toEqual(expect.arrayContaining(rule.pattern.includes('/accounts') ? ['owner'] : ['owner', 'admin']));
    }
    expect(allowed(API_ACCESS, 'supervisor', 'GET', '/v1/something-new')).toBe(false);
  });
});

describe('role matrix', () => {
  // One test per role: each walks every endpoint or page once, well within the test limit.
  it.each(ROLES)('the admin API: a token of role %s gets what the table says, else 403 forbidden', async (role) => {
    const h = instanceHarness();
    const endpoints = await apiEndpoints(h);
    expect(endpoints).toContainEqual(['POST', '/v1/accounts']);
    expect(endpoints.length).toBeGreaterThan(15);
    const token = await bearerOf(role);
    for (const [method, path] of endpoints) {
      const body = ['POST', 'PATCH', 'PUT'].includes(method) ? JSON.stringify({ date: 'not-a-date', unknown_field: 1 }) : undefined;
      const res = await h.app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      const expected = allowed(API_ACCESS, role, method, path);
      const cell = KEY_CELLS.find(([r, m, p]) => r === role && m === method && p === path);
      if (cell) expect(expected, `hand-written ${role} ${method} ${path}`).toBe(cell[3]);
      if (expected) expect([401, 403], `${role} ${method} ${path} → ${res.status}`).not.toContain(res.status);
      else {
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      }
    }
  });

  it.each(ROLES)('the console: a session of role %s opens what the table says, else the forbidden page', async (role) => {
    const h = instanceHarness();
    const user = await addUser(role, role === 'rep' ? '101' : null);
    const cookie = await session(h, user.email);
    const csrf = await csrfOf(h, cookie);
    for (const [method, path] of CONSOLE_PAGES) {
      const init: RequestInit =
        method === 'POST'
          ? {
              method,
              headers: { cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ _csrf: csrf }).toString(),
            }
          : { headers: { cookie } };
      const res = await h.app.request(path, init);
      const expected = allowed(CONSOLE_ACCESS, role, method, path);
      const cell = KEY_CELLS.find(([r, m, p]) => r === role && m === method && p === path);
      if (cell) expect(expected, `hand-written ${role} ${method} ${path}`).toBe(cell[3]);
      if (expected) {
        expect(res.status, `${role} ${method} ${path}`).not.toBe(403);
        expect(res.headers.get('location') ?? '', `${role} ${method} ${path}`).not.toContain('/admin/login');
      } else {
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
        expect(await res.text()).toContain(`Your role (${role}) may not open this page.`);
      }
    }
  });

  it('shows each role only the nav entries it may open, and lands a rep on the calls', async () => {
    const h = harness(testDb());
    const rep = await addUser('rep', '101');
    const res = await signIn(h, rep.email);
    expect(res.headers.get('location')).toBe('/admin/calls');
    const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const page = await (await h.app.request('/admin/calls', { headers: { cookie } })).text();
    expect(page).toContain('href="/admin/calls"');
    for (const hidden of ['/admin/users', '/admin/tokens', '/admin/config', '/admin/agents']) expect(page).not.toContain(`href="${hidden}"`);
    const admin = await session(h, (await addUser('admin')).email);
    const adminPage = await (await h.app.request('/admin/calls', { headers: { cookie: admin } })).text();
    for (const shown of ['/admin/users', '/admin/tokens', '/admin/config']) expect(adminPage).toContain(`href="${shown}"`);
  });
});

describe("a rep's own calls", () => {
  it('lists and opens only the calls on their extension, in the console and the API', async () => {
    const h = harness(testDb());
    const base = {
      type: 'call.ended',
      direction: 'inbound',
      from: '+74951234567',
      to: '101',
      started_at: '2026-11-20T07:00:00Z',
      answered_at: '2026-11-20T07:00:10Z',
      ended_at: '2026-11-20T07:03:00Z',
      disposition: 'answered',
    };
    const first = await h.post({ ...base, call_id: 'mine', extension: '101' });
    expect(first.status).toBe(202);
    expect((await h.post({ ...base, call_id: 'theirs', extension: '102', to: '102' })).status).toBe(202);
    const all = (await (await h.admin('/v1/calls')).json()) as { items: { id: string; call_key: string }[] };
    const theirs = all.items.find((i) => i.call_key === 'theirs')?.id as string;
    const mine = all.items.find((i) => i.call_key === 'mine')?.id as string;

    const cookie = await session(h, (await addUser('rep', '101')).email);
    const list = await (await h.app.request('/admin/calls', { headers: { cookie } })).text();
    expect(list).toContain(`/admin/calls/${mine}`);
    expect(list).not.toContain(`/admin/calls/${theirs}`);
    // Even asked for another extension, a rep gets their own.
    expect(await (await h.app.request('/admin/calls?extension=102', { headers: { cookie } })).text()).not.toContain(theirs);
    expect((await h.app.request(`/admin/calls/${mine}`, { headers: { cookie } })).status).toBe(200);
    expect((await h.app.request(`/admin/calls/${theirs}`, { headers: { cookie } })).status).toBe(404);

    // A rep-role token has no extension: no calls are its own.
    const token = await bearerOf('rep');
    const api = (await (await h.app.request('/v1/calls', { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(api.items).toEqual([]);
    expect((await h.app.request(`/v1/calls/${mine}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });
});

describe('signing in', () => {
  it('with email and password; audited; a disabled user, a reset password or a role change ends the session', async () => {
    const h = harness(testDb());
    const user = await addUser('supervisor');
    expect((await signIn(h, 'SUPERVISOR@example.com ', 'wrong-password-0000')).status).toBe(401);
    const cookie = await session(h, 'Supervisor@Example.com');
    expect((await h.app.request('/admin/agents', { headers: { cookie } })).status).toBe(200);
    const actions = (await testDb().db.select().from(auditLog)).map((e) => [e.action, e.actor]);
    expect(actions).toEqual([
      ['auth.sign_in_failed', 'session:anonymous'],
      ['auth.sign_in', `session:user:${user.id}`],
    ]);

    const admin = await bearerOf('admin');
    const patch = (body: unknown) =>
      h.app.request(`/v1/users/${user.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const reset = (await (await patch({ reset_password: true })).json()) as { temporary_password: string };
    expect(reset.temporary_password).toMatch(/^\w{16}$/);
    expect((await h.app.request('/admin/agents', { headers: { cookie } })).status).toBe(303);
    expect((await signIn(h, user.email)).status).toBe(401);
    const again = await (async () => {
      const res = await signIn(h, user.email, reset.temporary_password);
      return /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
    })();
    expect((await h.app.request('/admin/agents', { headers: { cookie: again } })).status).toBe(200);
    expect((await patch({ disabled: true })).status).toBe(200);
    expect((await h.app.request('/admin/agents', { headers: { cookie: again } })).status).toBe(303);
    expect((await signIn(h, user.email, reset.temporary_password)).status).toBe(401);
  });

  it('expires sessions after 12 hours', async () => {
    const h = harness(testDb());
    const cookie = await session(h, (await addUser('admin')).email);
    h.clock.advance(12 * 3600 - 60);
    expect((await h.app.request('/admin/users', { headers: { cookie } })).status).toBe(200);
    h.clock.advance(120);
    expect((await h.app.request('/admin/users', { headers: { cookie } })).status).toBe(303);
  });

  it('works without ADMIN_TOKEN once users exist (the key is in app_secrets)', async () => {
    const h = harness(testDb(), { env: { ADMIN_TOKEN: '' } });
    const cookie = await session(h, (await addUser('owner')).email);
    expect((await h.app.request('/admin/users', { headers: { cookie } })).status).toBe(200);
  });

  it('refuses for 15 minutes after 5 failures for one email, with a clear message', async () => {
    const h = harness(testDb());
    const user = await addUser('admin');
    for (let i = 0; i < 5; i++) expect((await signIn(h, user.email, 'wrong-password-0000', `203.0.113.${i}`)).status).toBe(401);
    const locked = await signIn(h, user.email, PASSWORD, '203.0.113.99');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('Too many failed sign-ins. Try again in 15 minutes.');
    expect(locked.headers.get('set-cookie')).toBeNull();
    h.clock.advance(14 * 60);
    expect((await signIn(h, user.email, PASSWORD, '203.0.113.99')).status).toBe(429);
    h.clock.advance(61);
    expect((await signIn(h, user.email, PASSWORD, '203.0.113.99')).status).toBe(303);
  }, 30_000);

  it('refuses an address after 5 failures on any emails; wrong answers are slowed down', async () => {
    const h = harness(testDb());
    const user = await addUser('admin');
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect((await signIn(h, `nobody${i}@example.com`, 'wrong-password-0000', '192.0.2.7')).status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 350);
    expect((await signIn(h, user.email, PASSWORD, '192.0.2.7')).status).toBe(429);
    expect((await signIn(h, user.email, PASSWORD, '192.0.2.8')).status).toBe(303);
  }, 30_000);
});

describe('API tokens', () => {
  it('are stored as their SHA-256 only, shown once, found by hash, and stop at revocation', async () => {
    const h = harness(testDb());
    const made = await h.admin('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', scopes: ['admin'], role: 'supervisor' }),
    });
    expect(made.status).toBe(201);
    const { token, secret } = (await made.json()) as { token: { id: number; role: string }; secret: string };
    expect(token.role).toBe('supervisor');
    const [row] = await testDb().db.select().from(apiTokens).where(eq(apiTokens.id, token.id));
    expect(row?.tokenHash).toBe(tokenHash(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const listed = await (await h.admin('/v1/tokens')).text();
    expect(listed).not.toContain(secret);
    expect(listed).not.toContain(row?.tokenHash);

    const use = () => h.app.request('/v1/reconcile/runs', { headers: { authorization: `Bearer ${secret}` } });
    expect((await use()).status).toBe(200);
    expect((await h.app.request('/v1/reconcile/runs', { headers: { authorization: `Bearer ${secret}x` } })).status).toBe(401);
    expect((await h.admin(`/v1/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await use()).status).toBe(401);
  });

  it('records a use at most once a minute (last_used_at and auth.token_used)', async () => {
    const h = harness(testDb());
    const secret = await bearerOf('admin');
    const use = () => h.app.request('/v1/calls', { headers: { authorization: `Bearer ${secret}` } });
    await use();
    await use();
    h.clock.advance(30);
    await use();
    const used = () => testDb().db.select().from(auditLog).where(eq(auditLog.action, 'auth.token_used'));
    expect(await used()).toHaveLength(1);
    h.clock.advance(31);
    await use();
    expect(await used()).toHaveLength(2);
    const [row] = await testDb().db.select().from(apiTokens);
    expect(row?.lastUsedAt?.toISOString()).toBe(h.clock.now.toISOString());
  });

  it('go by scope: read → GET only; lookup → /v1/lookup, not the admin API; admin → lookup too', async () => {
    const h = harness(testDb());
    const read = await bearerOf('admin', ['read']);
    expect((await h.app.request('/v1/calls', { headers: { authorization: `Bearer ${read}` } })).status).toBe(200);
    const post = await h.app.request('/v1/crm/reset', { method: 'POST', headers: { authorization: `Bearer ${read}` } });
    expect(post.status).toBe(403);
    const lookup = (await createToken(testDb().db, { name: 'pbx', scopes: ['lookup'], role: null, createdBy: 'test' }, new Date())).secret;
    expect((await h.app.request('/v1/lookup?phone=%2B74951234567', { headers: { authorization: `Bearer ${lookup}` } })).status).toBe(200);
    expect((await h.app.request('/v1/calls', { headers: { authorization: `Bearer ${lookup}` } })).status).toBe(403);
    expect(
      (await h.app.request('/v1/originate', { method: 'POST', headers: { authorization: `Bearer ${lookup}`, 'content-type': 'application/json' }, body: '{}' }))
        .status,
    ).toBe(403);
    const admin = await bearerOf('admin');
    expect((await h.app.request('/v1/lookup?phone=%2B74951234567', { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });

  it('an admin can neither make an owner nor change one', async () => {
    const h = harness(testDb());
    const owner = await addUser('owner');
    const admin = await bearerOf('admin');
    const json = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    expect((await h.app.request('/v1/users', { method: 'POST', headers: json, body: JSON.stringify({ email: 'x@example.com', role: 'owner' }) })).status).toBe(
      403,
    );
    expect((await h.app.request(`/v1/users/${owner.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ disabled: true }) })).status).toBe(403);
    const made = await h.app.request('/v1/users', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'Rep@Example.com', role: 'rep', extension: '101' }),
    });
    expect(made.status).toBe(201);
    const body = (await made.json()) as { user: { email: string }; temporary_password: string };
    expect(body.user.email).toBe('rep@example.com');
    expect(body.temporary_password).toHaveLength(16);
    expect((await h.app.request('/v1/users', { method: 'POST', headers: json, body: JSON.stringify({ email: 'rep@example.com', role: 'rep' }) })).status).toBe(
      409,
    );
  });
});
