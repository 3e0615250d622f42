/**
 * amoCRM OAuth: connecting through the redirect flow, refreshing ahead of expiry and after a 401,
 * a revoked integration, and two processes refreshing the same single-use refresh token at once.
 */
import { serve, type ServerType } from '@hono/node-server';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { exchangeAuthorizationCode, OAuthTokens } from '../../src/crm/amocrm/auth';
import { createAmoSandbox, type AmoSandbox } from '../../src/sandbox';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { crmAccounts } from '../../src/db/schema';
import { memoryLogger } from '../../src/lib/log';
import { conversationUniq } from '../../src/ledger/versions';
import { harness, TEST_SECRETS_KEYS, TEST_SEAL_KEYS } from '#test/app';
import { aad, unseal } from '../../src/lib/seal';
import { testDbKind, useTestDb } from '#test/db';
import { callEnded } from '#test/events';

const testDb = useTestDb();

const BASE = 'https://acme.amocrm.ru';
const CLIENT = { id: 'client-1', secret: 'client-secret-0123456789', redirectUri: 'https://calltrail.example/v1/crm/amocrm/oauth/callback' };
const ENV = {
  AMOCRM_BASE_URL: BASE,
  AMOCRM_CLIENT_ID: CLIENT.id,
  AMOCRM_CLIENT_SECRET: CLIENT.secret,
  AMOCRM_REDIRECT_URI: CLIENT.redirectUri,
  AMOCRM_RPS: '50',
  GENERIC_WEBHOOK_SECRET: 'test-secret-0123456789abcdef',
};
const ACCOUNT = { id: 'amocrm:acme.amocrm.ru', kind: 'amocrm' as const, baseUrl: BASE };
const client = { clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: CLIENT.redirectUri };

/** amoCRM at BASE, answered by the sandbox in process. */
function amo(options: Parameters<typeof createAmoSandbox>[0] = {}) {
  const sandbox = createAmoSandbox({ seed: 'demo', oauthClients: [CLIENT], rps: 50, ...options });
  const crmFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(BASE)) throw new Error(`unexpected request to ${request.url}`);
    return sandbox.fetch(request);
  }) as typeof fetch;
  return { sandbox, crmFetch };
}

describe('connecting amoCRM', () => {
  it('sends the admin to amoCRM’s consent screen and stores the tokens from the redirect', async () => {
    const { sandbox, crmFetch } = amo();
    const h = harness(testDb(), { env: ENV, deps: { crmFetch } });
    const start = await h.admin('/v1/crm/amocrm/connect', { redirect: 'manual' });
    expect(start.status).toBe(302);
    const consent = new URL(start.headers.get('location') as string);
    expect(consent.origin + consent.pathname).toBe('https://www.amocrm.ru/oauth');
    expect(consent.searchParams.get('client_id')).toBe(CLIENT.id);
    const state = consent.searchParams.get('state') as string;

    // The admin approves; amoCRM redirects the browser back with a code (no bearer token on it).
    const code = sandbox.store.issueAuthorizationCode(CLIENT.id);
    const back = await h.app.request(`/v1/crm/amocrm/oauth/callback?code=${code}&state=${encodeURIComponent(state)}&referer=acme.amocrm.ru`);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('amoCRM is connected');
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(account).toMatchObject({ id: ACCOUNT.id, status: 'ok', accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(account?.tokenExpiresAt?.getTime()).toBe(h.clock.now.getTime() + 86_400_000);
    expect(await (await h.admin('/v1/crm')).json()).toMatchObject({ auth: 'oauth', status: 'ok', token_expires_at: account?.tokenExpiresAt?.toISOString() });

    // The same code again is refused by amoCRM; a forged state never reaches it.
    const again = await h.app.request(`/v1/crm/amocrm/oauth/callback?code=${code}&state=${encodeURIComponent(state)}`);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: 'oauth_refused' } });
    const forged = await h.app.request(
      `/v1/crm/amocrm/oauth/callback?code=${sandbox.store.issueAuthorizationCode(CLIENT.id)}&state=${Math.floor(h.clock.now.getTime() / 1000)}.${'0'.repeat(64)}`,
    );
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'invalid_state' } });
    expect((await h.app.request('/v1/crm/amocrm/connect')).status).toBe(401);
  });
});

describe('keeping the token fresh', () => {
  it('refreshes ahead of expiry and after a 401; a revoked integration waits as unauthorized', async () => {
    const { sandbox, crmFetch } = amo({ accessTokenTtlSeconds: 7200 });
    const h = harness(testDb(), { env: ENV, deps: { crmFetch } });
    const deps = { db: testDb().db, account: ACCOUNT, client, log: memoryLogger(), now: () => h.clock.now, keys: TEST_SEAL_KEYS, fetch: crmFetch };
    expect(await exchangeAuthorizationCode(deps, sandbox.store.issueAuthorizationCode(CLIENT.id))).toMatchObject({ ok: true });
    const worker = createDeliveryWorker(h.deps, { owner: 'test', limiters: new Map() });

    await h.post(callEnded({ call_id: 'o1', recorded: false }));
    expect(await worker?.drain()).toMatchObject({ delivered: 1 });
    expect(sandbox.stats().refreshes).toBe(0);

    // 90 minutes later less than an hour is left: the next request refreshes first.
    h.clock.advance(90 * 60);
    await h.post(callEnded({ call_id: 'o2', recorded: false }));
    expect(await worker?.drain()).toMatchObject({ delivered: 1 });
    expect(sandbox.stats().refreshes).toBe(1);

    // amoCRM revokes the integration: the 401 triggers a refresh, which is refused.
    sandbox.store.revokeAllTokens();
    await h.post(callEnded({ call_id: 'o3', recorded: false }));
    expect(await worker?.drain()).toMatchObject({ delivered: 0, stopped: 'unauthorized' });
    expect(await (await h.app.request('/health')).json()).toMatchObject({ crm: 'unauthorized' });
    const [account] = await testDb().db.select().from(crmAccounts).where(eq(crmAccounts.id, ACCOUNT.id));
    expect(account?.statusReason).toMatch(/refresh refused|401/);
    expect(sandbox.store.notesByUniq(conversationUniq('generic', 'o3'))).toHaveLength(0);

    // Connecting again ends the unauthorized state and the waiting call goes out.
    const state = new URL((await h.admin('/v1/crm/amocrm/connect', { redirect: 'manual' })).headers.get('location') as string).searchParams.get('state');
    const back = await h.app.request(
      `/v1/crm/amocrm/oauth/callback?code=${sandbox.store.issueAuthorizationCode(CLIENT.id)}&state=${encodeURIComponent(state ?? '')}`,
    );
    expect(back.status).toBe(200);
    expect(await worker?.drain()).toMatchObject({ delivered: 1 });
    expect(sandbox.store.notesByUniq(conversationUniq('generic', 'o3'))).toHaveLength(1);
  });
});

describe('two workers refreshing the same token at once', () => {
  it('refresh it once and both keep working', async () => {
    const { sandbox, crmFetch } = amo();
    const now = () => new Date();
    const seedDeps = { db: testDb().db, account: ACCOUNT, client, log: memoryLogger(), now, keys: TEST_SEAL_KEYS, fetch: crmFetch };
    expect(await exchangeAuthorizationCode(seedDeps, sandbox.store.issueAuthorizationCode(CLIENT.id))).toMatchObject({ ok: true });
    // Thirty minutes left: both consider it stale.
    await testDb()
      .db.update(crmAccounts)
      .set({ tokenExpiresAt: new Date(Date.now() + 30 * 60_000) });

    let results: { token?: string; status?: number; error?: string }[];
    if (testDbKind() === 'postgres') {
      results = await raceInTwoProcesses(sandbox);
    } else {
      // PGlite is one process's database: two workers in this process share it.
      const a = new OAuthTokens({ ...seedDeps, fetch: slowRefresh(crmFetch) });
      const b = new OAuthTokens({ ...seedDeps, fetch: slowRefresh(crmFetch) });
      const tokens = await Promise.all([a.token(), b.token()]);
      results = await Promise.all(
        tokens.map(async (token) => ({ token, status: (await crmFetch(`${BASE}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } })).status })),
      );
    }
    expect(sandbox.stats().refreshes).toBe(1);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ status: 200 });
    expect(results[1]).toMatchObject({ status: 200, token: results[0]?.token });
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(account?.status).toBe('ok');
    expect(await unseal(TEST_SEAL_KEYS, account?.accessToken as string, aad('crm_accounts', 'access_token', ACCOUNT.id))).toBe(results[0]?.token);
  });
});

/** The token endpoint answers slowly, so two refreshes would overlap if nothing serialized them. */
function slowRefresh(inner: typeof fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input instanceof Request ? input.url : input).includes('/oauth2/')) await new Promise((r) => setTimeout(r, 300));
    return inner(input, init);
  }) as typeof fetch;
}

async function raceInTwoProcesses(sandbox: AmoSandbox) {
  const server: ServerType = await new Promise((resolve) => {
    const slowed = slowRefresh(async (input, init) => sandbox.fetch(new Request(input, init)));
    const s = serve({ fetch: (request: Request) => slowed(request), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const goAt = Date.now() + 2500;
    const script = join(import.meta.dirname, '../support/refresh-race.ts');
    const run = () =>
      new Promise<{ token?: string; status?: number; error?: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, testDb().url as string, base, String(goAt)], {
          env: {
            PATH: process.env.PATH ?? '',
            ACCOUNT_ID: ACCOUNT.id,
            CLIENT_ID: CLIENT.id,
            CLIENT_SECRET: CLIENT.secret,
            REDIRECT_URI: CLIENT.redirectUri,
            SECRETS_KEYS: TEST_SECRETS_KEYS,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')) : reject(new Error(`exit ${code}: ${err}`))));
      });
    return await Promise.all([run(), run()]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
