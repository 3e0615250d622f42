/**
 * The audit trail wired in, on PGlite and PostgreSQL: each admin action of the API and the console
 * (findings CSV, call retry, reconciliation start, CRM reset and connect, inbox reprocess) writes
 * one entry naming its actor, subject and address; GET /v1/audit filters and pages; the CSV
 * escapes and defuses formulas and is itself audited; the chain check finds an edited entry; the
 * console page shows the chain's state, lists, filters and links its CSV; other roles are refused.
 */
import { eq, gt, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { audit } from '../../src/audit/log';
import { AUDIT_CSV_HEADER } from '../../src/audit/query';
import { auditLog, conversations, crmAccounts, deliveries, reconcileRuns } from '../../src/db/schema';
import type { Actor } from '../../src/domain/actor';
import { auditRoutes } from '../../src/http/api/audit';
import { handleError } from '../../src/http/core/errors';
import { ADMIN_TOKEN, harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';

const testDb = useTestDb();
const ORIGIN = 'http://localhost';
const IP = '203.0.113.9';
const OAUTH_ENV = {
  AMOCRM_BASE_URL: 'https://example.amocrm.ru',
  AMOCRM_CLIENT_ID: 'client-1',
  AMOCRM_CLIENT_SECRET: 'client-secret-1',
  AMOCRM_REDIRECT_URI: 'https://calls.example.com/v1/crm/amocrm/oauth/callback',
};
/** The actions this file wires; entries of other kinds (sign-ins, token use) are others' to test. */
const WIRED = /^(export|call|reconcile|crm|inbox)\./;

beforeEach(async () => {
  await testDb().db.execute(sql`delete from reconcile_runs`);
});

type Entry = typeof auditLog.$inferSelect;

async function lastId(): Promise<number> {
  const [row] = await testDb()
    .db.select({ id: sql<number | null>`max(${auditLog.id})` })
    .from(auditLog);
  return Number(row?.id ?? 0);
}

/** The wired entries `action` wrote. */
async function written(action: () => Response | Promise<Response>, status: number): Promise<Entry[]> {
  const before = await lastId();
  const res = await action();
  expect(res.status, await res.clone().text()).toBe(status);
  await res.arrayBuffer();
  const rows = await testDb().db.select().from(auditLog).where(gt(auditLog.id, before)).orderBy(auditLog.id);
  return rows.filter((r) => WIRED.test(r.action));
}

async function login(h: Harness): Promise<string> {
  const res = await h.app.request('/admin/login', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
  });
  const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

async function csrf(h: Harness, cookie: string): Promise<string> {
  const page = await (await h.app.request('/admin', { headers: { cookie } })).text();
  const token = /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1];
  if (!token) throw new Error('no CSRF token');
  return token;
}

function consoleGet(h: Harness, path: string, cookie: string) {
  return h.app.request(path, { headers: { cookie, 'x-forwarded-for': IP } });
}

async function consolePost(h: Harness, path: string, cookie: string, fields: Record<string, string> = {}) {
  return h.app.request(path, {
    method: 'POST',
    headers: { cookie, origin: ORIGIN, 'x-forwarded-for': IP, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: await csrf(h, cookie), ...fields }).toString(),
  });
}

function api(h: Harness, path: string, init: RequestInit = {}) {
  return h.admin(path, { ...init, headers: { 'x-forwarded-for': `${IP}, 10.0.0.1`, ...(init.headers ?? {}) } });
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function seedCall(state: 'failed' | 'delivered') {
  const [call] = await testDb()
    .db.insert(conversations)
    .values({
      source: 'generic',
      callKey: `k-${state}-${Math.random()}`,
      uniq: `u-${Math.random()}`,
      startedAt: new Date('2026-11-19T09:00:00Z'),
      lastEventAt: new Date('2026-11-19T09:00:00Z'),
    })
    .returning();
  if (!call) throw new Error('no call');
  await testDb().db.insert(crmAccounts).values({ id: 'sandbox', kind: 'sandbox' }).onConflictDoNothing();
  await testDb().db.insert(deliveries).values({ conversationId: call.id, crmAccountId: 'sandbox', state, uniq: call.uniq });
  return call;
}

async function seedRun() {
  const [run] = await testDb()
    .db.insert(reconcileRuns)
    .values({
      windowFrom: new Date('2026-11-18T21:00:00Z'),
      windowTo: new Date('2026-11-19T21:00:00Z'),
      trigger: 'nightly',
      status: 'done',
      progress: { pulled: [], crm: { entity: null, page: 1, done: true }, compared: true, repushed: true },
      startedAt: new Date('2026-11-20T02:30:00Z'),
    })
    .returning();
  if (!run) throw new Error('no run');
  return run;
}

function expectOne(entries: Entry[], want: { action: string; subject: string | null; actor: RegExp }) {
  expect(entries.map((e) => e.action)).toEqual([want.action]);
  const [e] = entries as [Entry];
  expect(e.subject).toBe(want.subject);
  expect(e.actor).toMatch(want.actor);
  expect(e.role).toBe('owner');
  expect(e.ip).toBe(IP);
  return e;
}

const TOKEN = /^token:ADMIN_TOKEN$/;
const SESSION = /^session:/;

describe('each admin action writes one entry', () => {
  it('findings CSV, through the API and the console', async () => {
    const h = harness(testDb());
    const run = await seedRun();
    expectOne(await written(() => api(h, `/v1/reconcile/runs/${run.id}.csv`), 200), { action: 'export.findings', subject: run.id, actor: TOKEN });
    const cookie = await login(h);
    expectOne(await written(() => consoleGet(h, `/admin/runs/${run.id}.csv`, cookie), 200), { action: 'export.findings', subject: run.id, actor: SESSION });
    // Reading a run (not exporting it) is not an export.
    expect(await written(() => api(h, `/v1/reconcile/runs/${run.id}`), 200)).toEqual([]);
  });

  it('call retry, through the API and the console; a refused retry writes nothing', async () => {
    const h = harness(testDb());
    const call = await seedCall('failed');
    const e = expectOne(await written(() => api(h, `/v1/calls/${call.id}/retry`, { method: 'POST' }), 202), {
      action: 'call.retry',
      subject: call.id,
      actor: TOKEN,
    });
    expect(e.detail).toMatchObject({ step: expect.any(String) });
    await testDb().db.update(deliveries).set({ state: 'failed' }).where(eq(deliveries.conversationId, call.id));
    const cookie = await login(h);
    expectOne(await written(() => consolePost(h, `/admin/calls/${call.id}/retry`, cookie), 303), { action: 'call.retry', subject: call.id, actor: SESSION });
    const done = await seedCall('delivered');
    expect(await written(() => api(h, `/v1/calls/${done.id}/retry`, { method: 'POST' }), 409)).toEqual([]);
    expect(await written(() => consolePost(h, `/admin/calls/${done.id}/retry`, cookie), 303)).toEqual([]);
  });

  it('reconciliation start, through the API and the console', async () => {
    const h = harness(testDb());
    const res = await written(() => api(h, '/v1/reconcile', json({ date: '2026-11-18' })), 202);
    const [run] = await testDb().db.select().from(reconcileRuns);
    const e = expectOne(res, { action: 'reconcile.start', subject: run?.id ?? '', actor: TOKEN });
    expect(e.detail).toEqual({ joined: false, date: '2026-11-18' });
    const cookie = await login(h);
    const again = expectOne(await written(() => consolePost(h, '/admin/runs', cookie, { date: '2026-11-18' }), 303), {
      action: 'reconcile.start',
      subject: run?.id ?? '',
      actor: SESSION,
    });
    expect(again.detail).toEqual({ joined: true, date: '2026-11-18' });
    // A refused request starts nothing and records nothing.
    expect(await written(() => api(h, '/v1/reconcile', json({ date: '2026-13-45' })), 400)).toEqual([]);
  });

  it('CRM reset and connect, through the API and the console', async () => {
    const h = harness(testDb(), { env: OAUTH_ENV });
    const account = h.deps.settings.crm.accountId;
    expectOne(await written(() => api(h, '/v1/crm/reset', { method: 'POST' }), 200), { action: 'crm.reset', subject: account, actor: TOKEN });
    const connect = expectOne(await written(() => api(h, '/v1/crm/amocrm/connect'), 302), { action: 'crm.connect', subject: account, actor: TOKEN });
    expect(connect.detail).toEqual({ via: 'oauth', step: 'consent' });
    const cookie = await login(h);
    expectOne(await written(() => consolePost(h, '/admin/crm/reset', cookie), 303), { action: 'crm.reset', subject: account, actor: SESSION });
    expectOne(await written(() => consoleGet(h, '/admin/crm/connect', cookie), 302), { action: 'crm.connect', subject: account, actor: SESSION });
  });

  it('inbox reprocess', async () => {
    const h = harness(testDb());
    const all = expectOne(await written(() => api(h, '/v1/inbox/reprocess', json({ all_failed: true })), 200), {
      action: 'inbox.reprocess',
      subject: 'all_failed',
      actor: TOKEN,
    });
    expect(all.detail).toEqual({ all_failed: true, processed: 0, failed: 0 });
    const some = expectOne(await written(() => api(h, '/v1/inbox/reprocess', json({ ids: [7, 8] })), 200), {
      action: 'inbox.reprocess',
      subject: null,
      actor: TOKEN,
    });
    expect(some.detail).toMatchObject({ ids: [7, 8] });
  });
});

// --- reading the trail ----------------------------------------------------------------------------

const owner: Actor = { kind: 'token', id: 'ADMIN_TOKEN', role: 'owner' };
const user7: Actor = { kind: 'session', id: 'user:7', role: 'admin' };
const user70: Actor = { kind: 'session', id: 'user:70', role: 'supervisor' };

/** Six entries an hour apart from 2026-11-19 06:00Z (09:00 in Moscow). */
async function seedTrail() {
  const at = (hour: number) => new Date(Date.UTC(2026, 10, 19, 6 + hour));
  const db = testDb().db;
  await audit(db, { actor: owner, action: 'export.findings', subject: 'run-1', ip: '198.51.100.1' }, at(0));
  await audit(db, { actor: user7, action: 'recording.listen', subject: 'rec-1', detail: { bytes: 1200, from: 'console' } }, at(1));
  await audit(db, { actor: user70, action: 'recording.listen', subject: 'rec-2', detail: { bytes: 99 } }, at(2));
  await audit(db, { actor: user7, action: 'call.retry', subject: 'call-1' }, at(3));
  await audit(db, { actor: owner, action: 'export.audit', subject: null, detail: { filters: {} } }, at(4));
  await audit(db, { actor: user7, action: 'export_x', subject: 'odd' }, at(5));
}

interface Page {
  items: { id: number; action: string; actor: string; subject: string | null; at: string; prev_hash: string; hash: string }[];
  next_cursor: number | null;
}

async function list(h: Harness, query: string): Promise<Page> {
  const res = await h.admin(`/v1/audit${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

describe('GET /v1/audit', () => {
  it('lists newest first and filters by action prefix, actor, subject and time', async () => {
    const h = harness(testDb());
    await seedTrail();
    const ids = async (q: string) => (await list(h, q)).items.map((i) => i.id);
    expect(await ids('')).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await ids('?action=export.')).toEqual([5, 1]);
    expect(await ids('?action=export')).toEqual([6, 5, 1]);
    expect(await ids('?action=recording.listen')).toEqual([3, 2]);
    // LIKE's wildcards are taken literally.
    expect(await ids('?action=export_')).toEqual([6]);
    expect(await ids('?action=%25')).toEqual([]);
    // An actor by name, or by its start up to a colon: user:7 is not user:70.
    expect(await ids('?actor=session:user:7')).toEqual([6, 4, 2]);
    expect(await ids('?actor=session')).toEqual([6, 4, 3, 2]);
    expect(await ids('?actor=session:user')).toEqual([6, 4, 3, 2]);
    expect(await ids('?actor=session:us')).toEqual([]);
    expect(await ids('?subject=rec-2')).toEqual([3]);
    expect(await ids(`?from=${encodeURIComponent('2026-11-19T08:00:00Z')}&to=${encodeURIComponent('2026-11-19T10:00:00Z')}`)).toEqual([4, 3]);
    // A date is a local day in the configured zone (Europe/Moscow by default): 09:00 local is 06:00Z.
    expect(await ids('?from=2026-11-19&to=2026-11-20')).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await ids('?action=recording&actor=session:user:70')).toEqual([3]);
    const first = (await list(h, '?limit=1')).items[0];
    expect(first).toMatchObject({ id: 6, actor: 'session:user:7', action: 'export_x', subject: 'odd', at: '2026-11-19T11:00:00.000Z' });
    expect(first?.prev_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('pages by id with the cursor it returns, to the end', async () => {
    const h = harness(testDb());
    await seedTrail();
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page: Page = await list(h, `?limit=4&actor=session${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([6, 4, 3, 2]);
    expect(pages).toBe(1);
    const two = await list(h, '?limit=2');
    expect(two.next_cursor).toBe(5);
    expect((await list(h, '?limit=2&cursor=5')).items.map((i) => i.id)).toEqual([4, 3]);
    expect((await list(h, '?limit=3&cursor=4')).next_cursor).toBeNull();
  });

  it('refuses a filter it cannot search by with a 400, and callers without a key with a 401', async () => {
    const h = harness(testDb());
    for (const query of ['?from=yesterday', '?to=2026-99-99', '?actor=a%00b', '?cursor=-1', '?limit=0']) {
      const res = await h.admin(`/v1/audit${query}`);
      expect(res.status, query).toBe(400);
    }
    expect((await h.app.request('/v1/audit')).status).toBe(401);
    expect((await h.app.request('/v1/audit.csv')).status).toBe(401);
    expect((await h.app.request('/v1/audit/verify')).status).toBe(401);
  });

  it('is for owners and admins: another role gets a 403', async () => {
    const h = harness(testDb());
    for (const role of ['integrator', 'supervisor', 'rep'] as const) {
      const app = new Hono();
      app.onError(handleError(h.log));
      app.use((c, next) => {
        c.set('actor', { kind: 'session', id: 'user:9', role });
        return next();
      });
      app.route('/', auditRoutes(h.deps));
      for (const path of ['/v1/audit', '/v1/audit.csv', '/v1/audit/verify']) expect((await app.request(path)).status, `${role} ${path}`).toBe(403);
    }
    expect(await lastId()).toBe(0);
  });
});

/** RFC 4180 rows: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe('GET /v1/audit.csv', () => {
  it('writes the filtered entries with a header, escaped, formulas defused, and records the export', async () => {
    const h = harness(testDb());
    const db = testDb().db;
    await audit(db, { actor: owner, action: 'recording.listen', subject: 'a,b "c"\nd', detail: { note: 'x, "y"' } });
    await audit(db, { actor: owner, action: 'recording.listen', subject: '=HYPERLINK("http://evil")', detail: {} });
    await audit(db, { actor: owner, action: 'recording.listen', subject: '+74951234567' });
    await audit(db, { actor: owner, action: 'recording.listen', subject: '-1', ip: '@x' });
    await audit(db, { actor: owner, action: 'call.retry', subject: 'not-in-the-csv' });
    const res = await api(h, '/v1/audit.csv?action=recording.');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="calltrail-audit-2026-11-20\.csv"$/);
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe(AUDIT_CSV_HEADER);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(AUDIT_CSV_HEADER.split(','));
    const subjects = rows.slice(1).map((r) => r[5]);
    expect(subjects).toEqual(["'-1", "'+74951234567", '\'=HYPERLINK("http://evil")', 'a,b "c"\nd']);
    expect(rows[1]?.[7]).toBe("'@x");
    expect(rows[4]?.[6]).toBe('{"note":"x, \\"y\\""}');
    expect(rows.every((r) => r.length === 10)).toBe(true);
    expect(text).toContain('"a,b ""c""\nd"');

    const [exported] = await db.select().from(auditLog).where(eq(auditLog.action, 'export.audit'));
    expect(exported).toMatchObject({ actor: 'token:ADMIN_TOKEN', role: 'owner', ip: IP, detail: { format: 'csv', filters: { action: 'recording.' } } });
  });
});

describe('GET /v1/audit/verify', () => {
  it('reports an intact chain, and where a tampered one breaks', async () => {
    const h = harness(testDb());
    await seedTrail();
    const check = async () => (await h.admin('/v1/audit/verify')).json();
    expect(await check()).toEqual({ ok: true, entries: 6, broken_at: null, why: null });
    await testDb().db.update(auditLog).set({ subject: 'rec-999' }).where(eq(auditLog.id, 3));
    expect(await check()).toEqual({ ok: false, entries: 3, broken_at: 3, why: expect.stringMatching(/edited/) });
  });
});

describe('the console page /admin/audit', () => {
  it('shows the chain, lists, filters, pages and links the CSV of the same filters', async () => {
    const h = harness(testDb());
    await seedTrail();
    const cookie = await login(h);
    const page = async (q: string) => {
      const res = await consoleGet(h, `/admin/audit${q}`, cookie);
      expect(res.status, q).toBe(200);
      return res.text();
    };
    const all = await page('');
    expect(all).toMatch(/id="audit-chain" data-chain="intact">\s*Chain intact, \d+ entries/);
    expect(all).toContain('href="/admin/audit" aria-current="page"');
    // Times in the configured zone (Moscow, +3): entry 2 was written at 07:00Z.
    expect(all).toMatch(
      /<tr data-audit-id="2">[\s\S]*?2026-11-19 10:00:00[\s\S]*?session:user:7[\s\S]*?admin[\s\S]*?recording\.listen[\s\S]*?rec-1[\s\S]*?(bytes=1200, from=console|from=console, bytes=1200)/,
    );
    for (const id of [1, 2, 3, 4, 5, 6]) expect(all).toContain(`data-audit-id="${id}"`);

    const filtered = await page('?action=recording&actor=session:user:7&from=2026-11-19&to=2026-11-19');
    expect(filtered.match(/data-audit-id="\d+"/g)).toEqual(['data-audit-id="2"']);
    expect(filtered).toContain('href="/admin/audit.csv?action=recording&amp;actor=session%3Auser%3A7&amp;from=2026-11-19&amp;to=2026-11-19"');
    expect(filtered).toContain('value="session:user:7"');
    expect((await page('?subject=nothing')).match(/data-audit-id/g)).toBeNull();

    const csv = await consoleGet(h, '/admin/audit.csv?action=recording&actor=session:user:7&from=2026-11-19&to=2026-11-19', cookie);
    expect(csv.status).toBe(200);
    const rows = parseCsv(await csv.text());
    expect(rows.map((r) => r[0])).toEqual(['id', '2']);
    const [exported] = await testDb().db.select().from(auditLog).where(eq(auditLog.action, 'export.audit')).orderBy(sql`id desc`).limit(1);
    expect(exported?.actor).toMatch(SESSION);
    expect(exported?.detail).toMatchObject({ filters: { action: 'recording', actor: 'session:user:7' } });

    const bad = await consoleGet(h, '/admin/audit?from=someday', cookie);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('from: expected a date (YYYY-MM-DD), got &quot;someday&quot;');
  });

  it('pages with the cursor, and shows where a tampered chain breaks', async () => {
    const h = harness(testDb());
    for (let i = 0; i < 55; i++) await audit(testDb().db, { actor: owner, action: 'call.retry', subject: `call-${i}` });
    const cookie = await login(h);
    const first = await (await consoleGet(h, '/admin/audit?action=call', cookie)).text();
    const next = /href="(\/admin\/audit\?action=call&amp;cursor=\d+)" rel="next"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBe('/admin/audit?action=call&cursor=6');
    const second = await (await consoleGet(h, next as string, cookie)).text();
    expect(second.match(/data-audit-id="\d+"/g)).toEqual(['5', '4', '3', '2', '1'].map((id) => `data-audit-id="${id}"`));
    expect(second).toContain('href="/admin/audit?action=call">« Newest');

    await testDb().db.execute(sql`delete from audit_log where id = 10`);
    const broken = await (await consoleGet(h, '/admin/audit', cookie)).text();
    expect(broken).toMatch(/data-chain="broken">\s*Chain broken at entry #11: its prev_hash is not the hash of the entry before it/);
  });
});

describe('OpenAPI', () => {
  it('lists the trail, its CSV and the chain check, behind the bearer', async () => {
    const h = harness(testDb());
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, { get?: { security?: unknown } }> };
    for (const path of ['/v1/audit', '/v1/audit.csv', '/v1/audit/verify']) expect(doc.paths[path]?.get?.security, path).toEqual([{ bearer: [] }]);
  });
});
