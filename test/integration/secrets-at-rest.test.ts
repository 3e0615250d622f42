/**
 * Secrets sealed at rest (SECRETS_KEYS): after an OAuth token refresh and a recording-link key
 * generation, a dump of the tables holds neither token nor key; the service still uses them; and
 * after `calltrail keys rotate` to a new first key they open with the new key alone.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { OAuthTokens } from '../../src/crm/amocrm/auth';
import { createDeliveryWorker } from '../../src/delivery/setup';
import { appSecrets, crmAccounts } from '../../src/db/schema';
import { keysCommand } from '../../src/entry/node/keys-command';
import { aad, bindSealKeys, generateKeyLine, isSealed, parseSealKeys, seal, sealedKid, unseal, type SealKey } from '../../src/lib/seal';
import { memoryLogger } from '../../src/lib/log';
import { consoleSessionKey } from '../../src/people/session-key';
import { linkKeys } from '../../src/recordings/signed-link';
import { createAmoSandbox } from '../../src/sandbox';
import type { AppDeps } from '../../src/deps';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';
import { callEnded } from '#test/events';

const testDb = useTestDb();

const BASE = 'https://acme.amocrm.ru';
const CLIENT = { id: 'client-1', secret: 'client-secret-0123456789', redirectUri: 'https://calltrail.example/v1/crm/amocrm/oauth/callback' };
const ACCOUNT = { id: 'amocrm:acme.amocrm.ru', kind: 'amocrm' as const, baseUrl: BASE };
const OLD_LINE = generateKeyLine('old');
const NEW_LINE = generateKeyLine('new');
const keysOf = (line: string): SealKey[] => {
  const parsed = parseSealKeys(line);
  if (!('keys' in parsed)) throw new Error(parsed.problem);
  return parsed.keys;
};
const ENV = {
  AMOCRM_BASE_URL: BASE,
  AMOCRM_CLIENT_ID: CLIENT.id,
  AMOCRM_CLIENT_SECRET: CLIENT.secret,
  AMOCRM_REDIRECT_URI: CLIENT.redirectUri,
  AMOCRM_RPS: '50',
  SECRETS_KEYS: OLD_LINE,
};

/** amoCRM at BASE, answered by the sandbox; every token it hands out is kept, to look for later. */
function amo() {
  const sandbox = createAmoSandbox({ seed: 'demo', oauthClients: [CLIENT], rps: 50, accessTokenTtlSeconds: 7200 });
  const issued: string[] = [];
  const crmFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(BASE)) throw new Error(`unexpected request to ${request.url}`);
    const response = await sandbox.fetch(request);
    if (request.url.includes('/oauth2/access_token') && response.ok) {
      const body = (await response.clone().json()) as { access_token: string; refresh_token: string };
      issued.push(body.access_token, body.refresh_token);
    }
    return response;
  }) as typeof fetch;
  return { sandbox, crmFetch, issued };
}

/** What a dump of the tables holding secrets shows: every row as text. */
async function dump(): Promise<string> {
  const db = testDb().db;
  const rows = [await db.execute(sql`select * from crm_accounts`), await db.execute(sql`select * from app_secrets`)];
  return JSON.stringify(rows);
}

async function connectAndRefresh() {
  const { sandbox, crmFetch, issued } = amo();
  const h = harness(testDb(), { env: ENV, deps: { crmFetch } });
  const start = await h.admin('/v1/crm/amocrm/connect', { redirect: 'manual' });
  const state = new URL(start.headers.get('location') as string).searchParams.get('state') ?? '';
  const code = sandbox.store.issueAuthorizationCode(CLIENT.id);
  expect((await h.app.request(`/v1/crm/amocrm/oauth/callback?code=${code}&state=${encodeURIComponent(state)}`)).status).toBe(200);
  const worker = createDeliveryWorker(h.deps, { owner: 'test', limiters: new Map() });
  // 90 minutes on, less than an hour is left: the delivery refreshes first, then uses the new token.
  h.clock.advance(90 * 60);
  await h.post(callEnded({ call_id: 's1', recorded: false }));
  expect(await worker?.drain()).toMatchObject({ delivered: 1 });
  expect(sandbox.stats().refreshes).toBe(1);
  return { sandbox, crmFetch, issued, h };
}

describe('secrets at rest', () => {
  // app_secrets is not in the shared truncate list (its key outlives tests elsewhere).
  beforeEach(async () => {
    await testDb().db.delete(appSecrets);
  });

  it('keeps OAuth tokens and the generated link key sealed; they work, and open with the new key alone after rotation', async () => {
    const { crmFetch, issued, h } = await connectAndRefresh();
    expect(issued).toHaveLength(4); // the install's pair and the refresh's
    const [linkKey] = await linkKeys(testDb().db, []);
    expect(linkKey?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const before = await dump();
    for (const secret of [...issued, linkKey?.secret as string]) expect(before).not.toContain(secret);
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(sealedKid(account?.accessToken as string)).toBe('old');
    expect(sealedKid(account?.refreshToken as string)).toBe('old');

    // Rotation: a new first key, the old one after it.
    const lines: string[] = [];
    const rotated = { ...h.deps, settings: { ...h.deps.settings, secretsKeys: keysOf(`${NEW_LINE},${OLD_LINE}`) } };
    const withDeps = async <T>(run: (deps: AppDeps) => Promise<T>) => run(rotated);
    expect(await keysCommand(['rotate', '--batch', '1'], withDeps, (line) => lines.push(line))).toBe(0);
    expect(lines).toEqual([
      'crm_accounts.access_token: 1 re-sealed, 0 sealed from clear, 0 already current, 0 do not open',
      'crm_accounts.refresh_token: 1 re-sealed, 0 sealed from clear, 0 already current, 0 do not open',
      'app_secrets.value: 1 re-sealed, 0 sealed from clear, 0 already current, 0 do not open',
      'accounts.variables: 0 re-sealed, 0 sealed from clear, 0 already current, 0 do not open',
    ]);
    const after = await dump();
    for (const secret of [...issued, linkKey?.secret as string]) expect(after).not.toContain(secret);

    // The new key alone opens everything; the token still works at amoCRM.
    const newOnly = keysOf(NEW_LINE);
    const tokens = new OAuthTokens({
      db: testDb().db,
      account: ACCOUNT,
      client: clientOf(),
      log: memoryLogger(),
      now: () => h.clock.now,
      keys: newOnly,
      fetch: crmFetch,
    });
    const access = await tokens.token();
    expect(access).toBe(issued[2]);
    expect((await crmFetch(`${BASE}/api/v4/account`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
    const [row] = await testDb().db.select().from(appSecrets);
    expect(await unseal(newOnly, row?.value as string, aad('app_secrets', 'value', 'recording_link_key'))).toBe(linkKey?.secret);
    const [rotatedAccount] = await testDb().db.select().from(crmAccounts);
    expect(await unseal(newOnly, rotatedAccount?.refreshToken as string, aad('crm_accounts', 'refresh_token', ACCOUNT.id))).toBe(issued[3]);
    // …and the old key alone no longer does.
    await expect(unseal(keysOf(OLD_LINE), rotatedAccount?.accessToken as string, aad('crm_accounts', 'access_token', ACCOUNT.id))).rejects.toThrow(
      /does not list/,
    );
  });

  it("keeps the console's session key sealed, and the same key comes back", async () => {
    const keys = keysOf(OLD_LINE);
    bindSealKeys(testDb().db, keys);
    const key = await consoleSessionKey(testDb().db);
    const [row] = await testDb().db.select().from(appSecrets).where(sql`name = 'console_session_key'`);
    expect(isSealed(row?.value)).toBe(true);
    expect(row?.value).not.toContain(key);
    expect(await unseal(keys, row?.value as string, aad('app_secrets', 'value', 'console_session_key'))).toBe(key);
  });

  it('reads tokens stored in clear before sealing, and `keys rotate` seals them', async () => {
    const db = testDb().db;
    await db
      .insert(crmAccounts)
      .values({ ...ACCOUNT, accessToken: 'legacy-access-token', refreshToken: 'legacy-refresh-token', tokenExpiresAt: new Date(Date.now() + 86_400_000) });
    const keys = keysOf(OLD_LINE);
    const tokens = new OAuthTokens({ db, account: ACCOUNT, client: clientOf(), log: memoryLogger(), now: () => new Date(), keys });
    expect(await tokens.token()).toBe('legacy-access-token');
    const lines: string[] = [];
    const deps = { db, settings: { secretsKeys: keys } } as unknown as AppDeps;
    expect(
      await keysCommand(
        ['rotate'],
        async (run) => run(deps),
        (line) => lines.push(line),
      ),
    ).toBe(0);
    expect(lines[0]).toBe('crm_accounts.access_token: 0 re-sealed, 1 sealed from clear, 0 already current, 0 do not open');
    const text = await dump();
    expect(text).not.toContain('legacy-access-token');
    expect(text).not.toContain('legacy-refresh-token');
    const [row] = await db.select().from(crmAccounts);
    expect(isSealed(row?.refreshToken)).toBe(true);
    expect(await new OAuthTokens({ db, account: ACCOUNT, client: clientOf(), log: memoryLogger(), now: () => new Date(), keys }).token()).toBe(
      'legacy-access-token',
    );
  });

  it('a sealed token copied to another account does not open there, and rotation names it without its value', async () => {
    const db = testDb().db;
    const { crmFetch } = amo();
    const keys = keysOf(OLD_LINE);
    const sealed = await seal(keys, 'the-access-token', aad('crm_accounts', 'access_token', ACCOUNT.id));
    const other = { id: 'amocrm:other.amocrm.ru', kind: 'amocrm' as const, baseUrl: 'https://other.amocrm.ru' };
    const tokenExpiresAt = new Date(Date.now() + 86_400_000);
    await db.insert(crmAccounts).values([
      { ...ACCOUNT, accessToken: sealed, tokenExpiresAt },
      { ...other, accessToken: sealed, tokenExpiresAt },
    ]);
    await expect(
      new OAuthTokens({ db, account: other, client: clientOf(), log: memoryLogger(), now: () => new Date(), keys, fetch: crmFetch }).token(),
    ).rejects.toThrow(/cannot be opened/);
    expect(await new OAuthTokens({ db, account: ACCOUNT, client: clientOf(), log: memoryLogger(), now: () => new Date(), keys }).token()).toBe(
      'the-access-token',
    );
    const lines: string[] = [];
    const deps = { db, settings: { secretsKeys: keys } } as unknown as AppDeps;
    expect(
      await keysCommand(
        ['rotate'],
        async (run) => run(deps),
        (line) => lines.push(line),
      ),
    ).toBe(1);
    expect(lines.join('\n')).toContain('do not open with SECRETS_KEYS (a key missing from the list?): amocrm:other.amocrm.ru');
    expect(lines.join('\n')).not.toContain('the-access-token');
  });

  it('without SECRETS_KEYS stores no token and no generated key, and says why', async () => {
    const { crmFetch } = amo();
    const h = harness(testDb(), { env: { ...ENV, SECRETS_KEYS: '' }, deps: { crmFetch } });
    const start = await h.admin('/v1/crm/amocrm/connect', { redirect: 'manual' });
    expect(start.status).toBe(404);
    expect(await start.json()).toMatchObject({ error: { code: 'oauth_disabled', message: expect.stringMatching(/SECRETS_KEYS is not set/) } });
    // A handle with no keys bound (a transaction's: linkKeys keeps the key it read per handle).
    await expect(testDb().db.transaction((tx) => linkKeys(tx, []))).rejects.toThrow(/RECORDING_LINK_KEYS, or SECRETS_KEYS/);
    expect(await testDb().db.select().from(appSecrets)).toHaveLength(0);
  });
});

function clientOf() {
  return { clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: CLIENT.redirectUri };
}
