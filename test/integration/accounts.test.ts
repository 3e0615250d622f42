/**
 * Many CRM accounts in one instance (README "Access and privacy" → Accounts): two accounts added
 * through the API beside account 1, each with its own PBX secret, people, calls, trail and
 * recording-link key, on both databases (a schema each on PostgreSQL, a PGlite each embedded).
 * What one account's people and tokens reach of another's: nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET, TEST_SECRETS_KEYS } from '#test/app';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { freePort, postSigned } from '#test/process';
import { type RunningService, startService } from '../../src/entry/node/server';
import { createLogger } from '../../src/lib/log';
import { bindSealKeys } from '../../src/lib/seal';
import { parseEnv } from '../../src/settings/env';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { keysCommand } from '../../src/entry/node/keys-command';
import { generateKeyLine, parseSealKeys, type SealKey } from '../../src/lib/seal';

const keysOf = (line: string): SealKey[] => {
  const parsed = parseSealKeys(line);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.keys;
};

const ACME_SECRET = 'acme-webhook-secret-0123456789';
const GLOBEX_SECRET = 'globex-webhook-secret-0123456789';
const PASSWORD = 'correct horse battery';

let dir: string;
let db: TestDb;
let pbx: FileServer;
let service: RunningService;
let base: string;
let port: number;

async function start(keys = TEST_SECRETS_KEYS): Promise<RunningService> {
  const settings = parseEnv({
    PORT: String(port),
    DATA_DIR: dir,
    ADMIN_TOKEN,
    GENERIC_WEBHOOK_SECRET: SECRET,
    SECRETS_KEYS: keys,
    SETTLE_SECONDS: '1',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
  });
  bindSealKeys(db.db, settings.secretsKeys);
  const config = parseIntegratorConfig(JSON.stringify({ recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true } }), 'config.json');
  return startService({ settings, config, database: db, log: createLogger({ level: 'error' }), tickMs: 200, hostname: '127.0.0.1' });
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const call = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : admin), 'content-type': 'application/json', ...(init.headers as object) },
  });

async function tokenIn(prefix: string): Promise<string> {
  const res = await call(`${prefix}/v1/tokens`, { method: 'POST', body: JSON.stringify({ name: 'reader', scopes: ['admin'], role: 'admin' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

async function callIds(prefix: string, token: string): Promise<string[]> {
  const res = await call(`${prefix}/v1/calls`, { token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { call_key: string }[] }).items.map((c) => c.call_key).sort();
}

async function until<T>(what: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await what();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-accounts-'));
  db = await createTestDb();
  port = await freePort();
  pbx = await fileServer();
  pbx.put('/acme.wav', toneWav(3));
  service = await start();
  base = `http://127.0.0.1:${service.port}`;
});
afterAll(async () => {
  await service?.stop();
  await pbx?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('accounts in one instance', { timeout: 60_000 }, () => {
  let acmeToken: string;
  let globexToken: string;
  let rootToken: string;

  it('adds accounts through the API, refusing bad slugs, instance variables, duplicates and a missing confirmation', async () => {
    const bad = await call('/v1/accounts', { method: 'POST', body: JSON.stringify({ slug: 'Acme!', name: 'Acme' }) });
    expect(bad.status).toBe(400);
    const instanceVar = await call('/v1/accounts', {
      method: 'POST',
      body: JSON.stringify({ slug: 'acme', name: 'Acme', variables: { DATABASE_URL: 'postgres://x/y' } }),
    });
    expect(instanceVar.status).toBe(400);
    expect(JSON.stringify(await instanceVar.json())).toContain("DATABASE_URL: is the instance's");
    const badConfig = await call('/v1/accounts', { method: 'POST', body: JSON.stringify({ slug: 'acme', name: 'Acme', config: { settle: 'soon' } }) });
    expect(badConfig.status).toBe(400);

    const acme = await call('/v1/accounts', {
      method: 'POST',
      body: JSON.stringify({
        slug: 'acme',
        name: 'Acme Ltd',
        variables: { GENERIC_WEBHOOK_SECRET: ACME_SECRET },
        config: { recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true } },
        owner: { email: 'owner@acme.test', password: PASSWORD },
      }),
    });
    expect(acme.status).toBe(201);
    const made = (await acme.json()) as {
      account: { urls: { webhooks: string }; running: boolean; variables: string[]; crm: { kind: string } };
      owner: { email: string };
    };
    expect(made.account).toMatchObject({ running: true, variables: ['GENERIC_WEBHOOK_SECRET'], crm: { kind: 'sandbox' } });
    expect(made.account.urls.webhooks).toBe(`${service.deps.settings.publicUrl}/a/acme/webhooks`);
    expect(made.owner.email).toBe('owner@acme.test');
    const globex = await call('/v1/accounts', {
      method: 'POST',
      body: JSON.stringify({ slug: 'globex', name: 'Globex', variables: { GENERIC_WEBHOOK_SECRET: GLOBEX_SECRET } }),
    });
    expect(globex.status).toBe(201);
    const again = await call('/v1/accounts', { method: 'POST', body: JSON.stringify({ slug: 'globex', name: 'Globex 2' }) });
    expect(again.status).toBe(409);

    const listed = await (await call('/v1/accounts')).text();
    expect(listed).toContain('"slug":"acme"');
    // Variables are write-only: their names are listed, their values never.
    expect(listed).not.toContain(ACME_SECRET);
    expect(listed).not.toContain(GLOBEX_SECRET);

    acmeToken = await tokenIn('/a/acme');
    globexToken = await tokenIn('/a/globex');
    rootToken = await tokenIn('');
  });

  it("takes each account's PBX events with its own secret only, and shows each its own calls", async () => {
    const now = Math.floor(Date.now() / 1000);
    const event = (id: string, from: string, recording?: string) =>
      callEnded({
        call_id: id,
        from,
        started_at: now - 60,
        answered_at: now - 50,
        ended_at: now - 1,
        ...(recording ? { recording: { id: 'r', url: pbx.url(recording) } } : {}),
      });
    expect((await postSigned(`${base}/a/acme`, event('acme-1', '+7 495 111-11-11', '/acme.wav'), ACME_SECRET)).status).toBe(202);
    // Another account's secret, or account 1's, does not open acme's webhook.
    expect((await postSigned(`${base}/a/acme`, event('acme-x', '+7 495 111-11-12'), GLOBEX_SECRET)).status).toBe(401);
    expect((await postSigned(`${base}/a/acme`, event('acme-y', '+7 495 111-11-13'), SECRET)).status).toBe(401);
    expect((await postSigned(`${base}/a/globex`, event('globex-1', '+7 495 222-22-22'), GLOBEX_SECRET)).status).toBe(202);
    expect((await postSigned(base, event('root-1', '+7 495 333-33-33'), SECRET)).status).toBe(202);

    expect(await callIds('/a/acme', acmeToken)).toEqual(['acme-1']);
    expect(await callIds('/a/globex', globexToken)).toEqual(['globex-1']);
    expect(await callIds('', rootToken)).toEqual(['root-1']);
    // The instance's owner token opens every account.
    expect(await callIds('/a/acme', ADMIN_TOKEN)).toEqual(['acme-1']);
  });

  it("refuses one account's tokens everywhere else, and keeps account management to the instance's owners", async () => {
    for (const [prefix, token] of [
      ['/a/globex', acmeToken],
      ['', acmeToken],
      ['/a/acme', globexToken],
      ['/a/acme', rootToken],
    ] as const) {
      const res = await call(`${prefix}/v1/calls`, { token });
      expect(res.status, `${prefix} with another account's token`).toBe(401);
    }
    // An admin of account 1 is not an owner of the instance; an added account has no /v1/accounts.
    expect((await call('/v1/accounts', { token: rootToken })).status).toBe(403);
    expect((await call('/a/acme/v1/accounts', { token: acmeToken })).status).toBe(404);
    expect((await call('/a/acme/v1/accounts')).status).toBe(404);
    // Each trail holds its own account's actions.
    const acmeTrail = await (await call('/a/acme/v1/audit.csv', { token: acmeToken })).text();
    const rootTrail = await (await call('/v1/audit.csv', { token: rootToken })).text();
    expect(acmeTrail).toContain('owner@acme.test');
    expect(acmeTrail).not.toContain('globex');
    expect(rootTrail).toContain('account.created');
    expect(rootTrail).not.toContain('owner@acme.test');
  });

  it("signs each account's recording links with its own key: a link works under its account only", async () => {
    const page = await until(async () => {
      const text = await (await fetch(`${base}/a/acme/sandbox/amocrm/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      return /<audio[^>]+src="[^"]*\/a\/acme\/recordings\//.test(text) ? text : undefined;
    });
    const link = (/<audio[^>]*src="([^"]+)"/.exec(page)?.[1] ?? '').replace(/&amp;/g, '&');
    expect(link).toMatch(/\/a\/acme\/recordings\/[0-9a-f-]{36}\.mp3\?k=db1&s=[0-9a-f]{64}$/);
    expect((await fetch(link)).status).toBe(200);
    expect((await fetch(link.replace('/a/acme/', '/a/globex/'))).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(link.replace('/a/acme/', '/'))).status).toBeGreaterThanOrEqual(400);
    // Account 1's sandbox timeline holds none of acme's calls.
    const rootPage = await (await fetch(`${base}/sandbox/amocrm/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(rootPage).not.toContain('/a/acme/');
  });

  it("scopes the console: an account's session cookie is its own, its pages link inside it", async () => {
    const login = await fetch(`${base}/a/acme/admin/login`, { redirect: 'manual' });
    const form = await login.text();
    expect(form).toContain('action="/a/acme/admin/login');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)?.[1];
    const preCookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const signIn = await fetch(`${base}/a/acme/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, cookie: preCookie },
      body: new URLSearchParams({ email: 'owner@acme.test', password: PASSWORD, ...(csrf ? { csrf } : {}) }),
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toMatch(/^\/a\/acme\/admin/);
    const session = signIn.headers.getSetCookie().find((c) => /path=\/a\/acme\/admin/i.test(c));
    expect(session, signIn.headers.getSetCookie().join(' | ')).toBeDefined();
    const cookie = (session as string).split(';')[0] as string;
    const calls = await fetch(`${base}/a/acme/admin/calls`, { headers: { cookie }, redirect: 'manual' });
    expect(calls.status).toBe(200);
    const html = await calls.text();
    expect(html).toContain('href="/a/acme/admin/calls/');
    expect(html).not.toMatch(/href="\/admin/);
    // The same cookie sent to another account's console (a browser would not even send it) opens nothing.
    for (const path of ['/a/globex/admin/calls', '/admin/calls']) {
      const other = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
      expect(other.status, path).toBe(303);
      expect(other.headers.get('location')).toContain('/login');
    }
  });

  it('restarts an account with changed variables, serves nothing while disabled, and keeps its data', async () => {
    const changed = await call('/v1/accounts/acme', { method: 'PATCH', body: JSON.stringify({ variables: { GENERIC_WEBHOOK_SECRET: `${ACME_SECRET}-2` } }) });
    expect(changed.status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const event = callEnded({ call_id: 'acme-2', from: '+7 495 111-11-14', started_at: now - 60, answered_at: now - 50, ended_at: now - 1 });
    expect((await postSigned(`${base}/a/acme`, event, ACME_SECRET)).status).toBe(401);
    expect((await postSigned(`${base}/a/acme`, event, `${ACME_SECRET}-2`)).status).toBe(202);

    expect((await call('/v1/accounts/acme', { method: 'PATCH', body: JSON.stringify({ status: 'disabled' }) })).status).toBe(200);
    const off = await call('/a/acme/v1/calls', { token: acmeToken });
    expect(off.status).toBe(503);
    expect(((await off.json()) as { error: { code: string } }).error.code).toBe('account_unavailable');
    expect((await call('/v1/accounts/acme', { method: 'PATCH', body: JSON.stringify({ status: 'active' }) })).status).toBe(200);
    expect(await callIds('/a/acme', acmeToken)).toEqual(['acme-1', 'acme-2']);
  });

  it('starts the accounts again after a restart of the service', async () => {
    await service.stop();
    service = await start();
    base = `http://127.0.0.1:${service.port}`;
    expect(await callIds('/a/acme', acmeToken)).toEqual(['acme-1', 'acme-2']);
    expect(await callIds('/a/globex', globexToken)).toEqual(['globex-1']);
  });

  it('deletes an account with all of its data, only when its slug is repeated', async () => {
    expect((await call('/v1/accounts/globex', { method: 'DELETE' })).status).toBe(400);
    expect((await call('/v1/accounts/globex?confirm=globex', { method: 'DELETE' })).status).toBe(200);
    expect((await call('/a/globex/v1/calls', { token: globexToken })).status).toBe(404);
    if (testDbKind() === 'postgres') {
      const schemas = await db.db.execute(sql`select schema_name from information_schema.schemata where schema_name like 'acct_%' order by 1`);
      expect((schemas as unknown as { schema_name: string }[]).map((r) => r.schema_name)).toEqual(['acct_acme']);
    }
    expect(existsSync(join(dir, 'accounts', 'globex'))).toBe(false);
    expect(await callIds('/a/acme', acmeToken)).toEqual(['acme-1', 'acme-2']);
  });

  it("re-seals every account's secrets on `keys rotate`, and the accounts open with the new key alone", async () => {
    await service.stop();
    const next = generateKeyLine('next');
    const lines: string[] = [];
    const rotated = { ...service.deps, settings: { ...service.deps.settings, secretsKeys: keysOf(`${next},${TEST_SECRETS_KEYS}`) } };
    bindSealKeys(db.db, rotated.settings.secretsKeys);
    expect(
      await keysCommand(
        ['rotate'],
        async (run) => run(rotated),
        (line) => lines.push(line),
      ),
    ).toBe(0);
    expect(lines).toContain('accounts.variables: 1 re-sealed, 0 sealed from clear, 0 already current, 0 do not open');
    // acme's generated recording-link key and console session key, in its own data.
    expect(lines).toContain('acme: app_secrets.value: 2 re-sealed, 0 sealed from clear, 0 already current, 0 do not open');
    service = await start(next);
    base = `http://127.0.0.1:${service.port}`;
    const now = Math.floor(Date.now() / 1000);
    const event = callEnded({ call_id: 'acme-3', from: '+7 495 111-11-15', started_at: now - 60, answered_at: now - 50, ended_at: now - 1 });
    expect((await postSigned(`${base}/a/acme`, event, `${ACME_SECRET}-2`)).status).toBe(202);
    expect(await callIds('/a/acme', acmeToken)).toEqual(['acme-1', 'acme-2', 'acme-3']);
  });
});
