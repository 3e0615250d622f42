/**
 * The admin console on PGlite and PostgreSQL, through the whole app: the login and its cookie,
 * sessions that are tampered with or expired, CSRF and origin checks on every POST, the retry
 * and reset-circuit buttons, the calls search and its pages, agent figures, the reconciliation
 * pages and their CSV, Connect amoCRM, and the security headers.
 */
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { callAudio, conversations, crmAccounts, deliveries, deliveryAttempts, legs, reconcileFindings, reconcileRuns, recordings } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import { verifyHmacSha256Hex } from '../../src/lib/crypto';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { ADMIN_TOKEN, harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { deliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';

const testDb = useTestDb();
const ORIGIN = 'http://localhost';

beforeEach(async () => {
  await testDb().db.execute(sql`delete from reconcile_runs`);
});

// --- a browser, by hand ---------------------------------------------------------------------

async function login(h: Harness, token = ADMIN_TOKEN): Promise<string> {
  const res = await h.app.request('/admin/login', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next: '/admin' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

function get(h: Harness, path: string, cookie?: string) {
  return h.app.request(path, { headers: cookie ? { cookie } : {} });
}

async function html(h: Harness, path: string, cookie: string): Promise<string> {
  const res = await get(h, path, cookie);
  expect(res.status, path).toBe(200);
  return res.text();
}

function csrfOf(page: string): string {
  const token = /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1];
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

function post(h: Harness, path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) {
  return h.app.request(path, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The text of each cell of the table row carrying `attr`, tags stripped. */
function rowCells(page: string, attr: string): string[] {
  const literal = attr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = new RegExp(`<tr[^>]*${literal}[^>]*>([\\s\\S]*?)</tr>`).exec(page)?.[1];
  if (row === undefined) throw new Error(`no row ${attr}`);
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
    (m[1] ?? '')
      .replace(/<[^>]+>/g, '')
      .replace(/&amp;/g, '&')
      .trim(),
  );
}

// --- the ledger, by hand ------------------------------------------------------------------------

let seq = 0;
async function seedCall(over: Partial<typeof conversations.$inferInsert> & { delivery?: 'pending' | 'delivered' | 'failed' | 'skipped' } = {}) {
  const { delivery, ...call } = over;
  const key = `seed-${++seq}`;
  const startedAt = call.startedAt ?? new Date('2026-11-20T07:00:00Z');
  const [row] = await testDb()
    .db.insert(conversations)
    .values({
      source: 'generic',
      callKey: key,
      uniq: `u-${key}`,
      direction: 'inbound',
      externalNumber: '+74951234567',
      extension: '101',
      outcome: 'answered',
      durationSeconds: 200,
      talkSeconds: 180,
      lastEventAt: startedAt,
      ...call,
      startedAt,
    })
    .returning();
  if (!row) throw new Error('no row');
  if (delivery) {
    await testDb().db.insert(crmAccounts).values({ id: 'sandbox', kind: 'sandbox' }).onConflictDoNothing();
    await testDb()
      .db.insert(deliveries)
      .values({
        conversationId: row.id,
        crmAccountId: 'sandbox',
        state: delivery,
        uniq: row.uniq,
        reason: delivery === 'failed' ? 'amoCRM answered 500 five times' : null,
      });
  }
  return row;
}

async function seedRun(findings: number) {
  const [run] = await testDb()
    .db.insert(reconcileRuns)
    .values({
      windowFrom: new Date('2026-11-18T21:00:00Z'),
      windowTo: new Date('2026-11-19T21:00:00Z'),
      trigger: 'nightly',
      status: 'done',
      progress: { pulled: [], crm: { entity: null, page: 1, done: true }, compared: true, repushed: true },
      counts: { missing_in_crm: findings, duplicate_in_crm: 1, repushed: findings, listed: 1 },
      calls: 40,
      crmNotes: 38,
      crmRequests: 12,
      gapsRemaining: 1,
      workMs: 4200,
      startedAt: new Date('2026-11-20T02:30:00Z'),
      finishedAt: new Date('2026-11-20T02:30:05Z'),
    })
    .returning();
  if (!run) throw new Error('no run');
  const call = await seedCall({ startedAt: new Date('2026-11-19T09:15:00Z'), externalNumber: '+74957654321', extension: '205', delivery: 'delivered' });
  for (let i = 0; i < findings; i++) {
    await testDb()
      .db.insert(reconcileFindings)
      .values({
        runId: run.id,
        conversationId: i === 0 ? call.id : null,
        kind: 'missing_in_crm',
        action: 'repushed',
        resolved: i > 0,
        detail: { note: `gap, "${i}"` },
      });
  }
  await testDb()
    .db.insert(reconcileFindings)
    .values({ runId: run.id, kind: 'duplicate_in_crm', action: 'listed', detail: { notes: [1, 2] } });
  return { run, call };
}

// --- the tests ----------------------------------------------------------------------------------

describe('logging in', () => {
  it('sets a signed, HttpOnly, SameSite=Strict session cookie for /admin and lands on the page asked for', async () => {
    const h = harness(testDb());
    const form = await get(h, '/admin/login?next=/admin/crm');
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('name="token"');
    expect(page).toContain('value="/admin/crm"');

    const res = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin/crm' }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/crm');
    const cookie = res.headers.get('set-cookie') ?? '';
    // <session id>.<user id: 0, ADMIN_TOKEN>.<role>.<epoch>.<expiry>.<HMAC>
    expect(cookie).toMatch(/^calltrail_admin=[A-Za-z0-9_-]{24}\.0\.owner\.[0-9a-f]{16}\.\d+\.[0-9a-f]{64};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/admin');
    expect(cookie).toContain('Max-Age=43200');
    // Plain http here: a Secure cookie would never come back.
    expect(cookie).not.toContain('Secure');
    const expiry = Number(/\.(\d+)\.[0-9a-f]{64};/.exec(cookie)?.[1]);
    expect(expiry).toBe(h.clock.now.getTime() / 1000 + 12 * 3600);

    const session = /^(calltrail_admin=[^;]+)/.exec(cookie)?.[1] as string;
    expect((await get(h, '/admin/crm', session)).status).toBe(200);
  });

  it('marks the cookie Secure when the service is published over https, and never redirects off the console', async () => {
    const h = harness(testDb(), { env: { PUBLIC_URL: 'https://calls.example.com' } });
    const res = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: 'https://calls.example.com', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '//evil.example/admin' }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toContain('Secure');
    expect(res.headers.get('location')).toBe('/admin');
  });

  it('refuses a wrong token with the form again, an error and a pause, and sets no cookie', async () => {
    const h = harness(testDb());
    const started = Date.now();
    const res = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: `${ADMIN_TOKEN}x` }).toString(),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const page = await res.text();
    expect(page).toContain('That is not the admin token.');
    expect(page).toContain('name="token"');
    // The token typed is never echoed back.
    expect(page).not.toContain(`${ADMIN_TOKEN}x`);
  });

  it('accepts the login form only from this origin', async () => {
    const h = harness(testDb());
    for (const headers of [{ origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
      const res = await h.app.request('/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('without ADMIN_TOKEN says the console is disabled and lets nobody in', async () => {
    const h = harness(testDb(), { env: { ADMIN_TOKEN: '' } });
    const page = await (await get(h, '/admin/login')).text();
    expect(page).toContain('The console is disabled: no ADMIN_TOKEN is configured.');
    expect(page).not.toContain('name="token"');
    const res = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await get(h, '/admin')).status).toBe(303);
  });

  it('logs out: the cookie is cleared', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    const res = await post(h, '/admin/logout', cookie, { _csrf: csrfOf(await html(h, '/admin', cookie)) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login?notice=logged_out');
    expect(res.headers.get('set-cookie')).toMatch(/^calltrail_admin=;.*Max-Age=0/);
  });
});

describe('sessions', () => {
  const pages = [
    '/admin',
    '/admin/calls?phone=%2B74951234567',
    '/admin/calls/00000000-0000-4000-8000-000000000000',
    '/admin/runs',
    '/admin/runs/00000000-0000-4000-8000-000000000000.csv',
    '/admin/agents',
    '/admin/crm',
    '/admin/crm/connect',
    '/admin/nothing-here',
  ];

  it('every page redirects to the login without a session, remembering where it was going', async () => {
    const h = harness(testDb());
    for (const path of pages) {
      const res = await get(h, path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    const refused = await h.app.request('/admin/crm/reset', { method: 'POST', headers: { origin: ORIGIN } });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/admin/login');
  });

  it('refuses a tampered cookie: another signature, a later expiry, another session id, or garbage', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    expect((await get(h, '/admin', cookie)).status).toBe(200);
    const [, id, who, expiry, signature] = /^calltrail_admin=([^.]+)\.(\d+\.[a-z]+\.[0-9a-f]+)\.(\d+)\.([0-9a-f]{64})$/.exec(cookie) as RegExpExecArray;
    const flipped = `${signature?.slice(0, -1)}${signature?.endsWith('0') ? '1' : '0'}`;
    const forged = [
      `calltrail_admin=${id}.${who}.${expiry}.${flipped}`,
      `calltrail_admin=${id}.${who}.${Number(expiry) + 3600}.${signature}`,
      `calltrail_admin=${id?.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))}.${who}.${expiry}.${signature}`,
      `calltrail_admin=${id}.${who?.replace(/^0\./, '1.')}.${expiry}.${signature}`,
      'calltrail_admin=admin',
      `calltrail_admin=${ADMIN_TOKEN}`,
    ];
    for (const bad of forged) {
      const res = await get(h, '/admin', bad);
      expect(res.status, bad).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
    }
  });

  it('ends after 12 hours', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    h.clock.advance(12 * 3600 - 1);
    expect((await get(h, '/admin', cookie)).status).toBe(200);
    h.clock.advance(1);
    expect((await get(h, '/admin', cookie)).status).toBe(303);
  });

  it('ends when ADMIN_TOKEN changes', async () => {
    const cookie = await login(harness(testDb()));
    const rotated = harness(testDb(), { env: { ADMIN_TOKEN: 'another-admin-token-0123456789' } });
    expect((await get(rotated, '/admin', cookie)).status).toBe(303);
  });
});

describe('forms', () => {
  it('refuse a POST without the CSRF token, with a wrong or another session’s token, or from another origin — and change nothing', async () => {
    const h = harness(testDb());
    await testDb().db.insert(crmAccounts).values({ id: 'sandbox', kind: 'sandbox', status: 'blocked', statusReason: 'amoCRM answered 403' });
    const cookie = await login(h);
    const other = await login(h);
    const token = csrfOf(await html(h, '/admin/crm', cookie));
    const othersToken = csrfOf(await html(h, '/admin/crm', other));
    expect(othersToken).not.toBe(token);

    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ['no token', {}, { origin: ORIGIN }],
      ['an empty token', { _csrf: '' }, { origin: ORIGIN }],
      ['a wrong token', { _csrf: token.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a')) }, { origin: ORIGIN }],
      ['another session’s token', { _csrf: othersToken }, { origin: ORIGIN }],
      ['another origin', { _csrf: token }, { origin: 'https://evil.example' }],
      ['an opaque origin', { _csrf: token }, { origin: 'null' }],
      ['another site as referer', { _csrf: token }, { referer: 'https://evil.example/admin/crm' }],
      ['neither origin nor referer', { _csrf: token }, {}],
    ];
    for (const [what, fields, headers] of attempts) {
      const res = await post(h, '/admin/crm/reset', cookie, fields, headers);
      expect(res.status, what).toBe(403);
      expect(await res.text(), what).toContain('Nothing was changed.');
    }
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(account?.status).toBe('blocked');

    // A same-origin Referer stands in for a missing Origin.
    const ok = await post(h, '/admin/crm/reset', cookie, { _csrf: token }, { referer: `${ORIGIN}/admin/crm` });
    expect(ok.status).toBe(303);
  });

  it('reset circuit: the CRM account is ok again and the page says so', async () => {
    const h = harness(testDb());
    await testDb().db.insert(crmAccounts).values({ id: 'sandbox', kind: 'sandbox', status: 'blocked', statusReason: 'amoCRM answered 403: account blocked' });
    const cookie = await login(h);
    const before = await html(h, '/admin/crm', cookie);
    expect(before).toContain('amoCRM answered 403: account blocked');
    expect(before).toContain('badge s-blocked');
    const res = await post(h, '/admin/crm/reset', cookie, { _csrf: csrfOf(before) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/crm?notice=circuit_reset');
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(account).toMatchObject({ status: 'ok', statusReason: null });
    const after = await html(h, '/admin/crm?notice=circuit_reset', cookie);
    expect(after).toContain('Circuit reset: deliveries resume now.');
    expect(after).toContain('badge s-ok');
  });
});

describe('the call page', () => {
  it('retries a failed delivery, and says "already delivered" for a delivered call', async () => {
    const h = deliveryHarness(testDb());
    await h.post(callEnded({ call_id: 'retry-1' }));
    h.clock.advance(60);
    await runTick(h.deps);
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const [call] = await testDb().db.select().from(conversations);
    const cookie = await login(h);

    const page = await html(h, `/admin/calls/${call?.id}`, cookie);
    expect(page).toContain('badge s-delivered');
    expect(page).toMatch(/<table id="attempts">[\s\S]*<td>log<\/td>[\s\S]*>ok</);
    // A delivered call has no next step, and its attempts are the ones listed below them.
    expect(page).not.toContain('<dt>Next step</dt>');
    expect(page).toMatch(/<dt>Attempts<\/dt>\s*<dd>1<\/dd>/);
    const again = await post(h, `/admin/calls/${call?.id}/retry`, cookie, { _csrf: csrfOf(page) });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`/admin/calls/${call?.id}?notice=retry_already_delivered`);
    const refused = await html(h, again.headers.get('location') as string, cookie);
    expect(refused).toContain('Not retried: the call is already delivered to the CRM.');
    // The console names the refusal with the code the API answers it with, and the log carries.
    expect(refused).toContain('<code class="error-code">already_delivered</code>');
    const api = await h.admin(`/v1/calls/${call?.id}/retry`, { method: 'POST' });
    const envelope = ((await api.json()) as { error: { code: string; requestId: string } }).error;
    expect({ status: api.status, code: envelope.code }).toEqual({ status: 409, code: 'already_delivered' });
    const logged = h.log.lines.map((l) => JSON.parse(l) as { msg: string; requestId?: string; code?: string });
    expect(logged.find((l) => l.msg === 'request' && l.requestId === envelope.requestId)?.code).toBe('already_delivered');

    await testDb().db.update(deliveries).set({ state: 'failed', reason: 'gave up after 8 attempts' });
    const failed = await html(h, `/admin/calls/${call?.id}`, cookie);
    expect(failed).toContain('gave up after 8 attempts');
    const retried = await post(h, `/admin/calls/${call?.id}/retry`, cookie, { _csrf: csrfOf(failed) });
    expect(retried.headers.get('location')).toBe(`/admin/calls/${call?.id}?notice=retry_queued`);
    const [delivery] = await testDb().db.select().from(deliveries);
    expect(delivery).toMatchObject({ state: 'pending', attempts: 0, reason: null });
    expect(await html(h, retried.headers.get('location') as string, cookie)).toContain('Delivery queued');
  });

  it('shows the summary, the legs on a timeline, the segments and a player with a one-hour signed link', async () => {
    const storage = new MemoryStorage();
    const h = harness(testDb(), { deps: { recordings: { storage, fetchFor: runtimeFetchFor } } });
    const call = await seedCall({
      externalNumber: '+74951234567',
      startedAt: new Date('2026-11-20T07:00:00Z'),
      answeredAt: new Date('2026-11-20T07:00:10Z'),
      endedAt: new Date('2026-11-20T07:03:20Z'),
      legCount: 2,
      delivery: 'pending',
    });
    await testDb()
      .db.insert(legs)
      .values([
        {
          conversationId: call.id,
          legKey: 'a',
          extension: '100',
          startedAt: new Date('2026-11-20T07:00:00Z'),
          answeredAt: new Date('2026-11-20T07:00:10Z'),
          endedAt: new Date('2026-11-20T07:01:00Z'),
          disposition: 'answered',
          talkSeconds: 50,
          version: '1',
        },
        {
          conversationId: call.id,
          legKey: 'b',
          extension: '205',
          startedAt: new Date('2026-11-20T07:01:00Z'),
          answeredAt: new Date('2026-11-20T07:01:40Z'),
          endedAt: new Date('2026-11-20T07:03:20Z'),
          disposition: 'answered',
          talkSeconds: 100,
          final: true,
          version: '1',
        },
      ]);
    await testDb()
      .db.insert(recordings)
      .values([
        { conversationId: call.id, recordingKey: 'seg-a', legKey: 'a', status: 'referenced', fetchState: 'archived', format: 'wav', bytes: 2048, version: '1' },
        {
          conversationId: call.id,
          recordingKey: 'seg-b',
          legKey: 'b',
          status: 'referenced',
          fetchState: 'failed',
          fetchError: 'the PBX answered 404',
          fetchAttempts: 5,
          version: '1',
        },
      ]);
    const mp3 = new Uint8Array(4096).fill(7);
    await storage.put('audio/test.mp3', mp3, 'audio/mpeg');
    const [audio] = await testDb()
      .db.insert(callAudio)
      .values({
        conversationId: call.id,
        storageKey: 'audio/test.mp3',
        sha256: 'ab'.repeat(32),
        bytes: mp3.length,
        durationMs: 200_000,
        builtFrom: [],
        transcoded: true,
      })
      .returning();
    const [delivery] = await testDb().db.select().from(deliveries);
    await testDb()
      .db.insert(deliveryAttempts)
      .values({
        deliveryId: delivery?.id as string,
        step: 'log',
        outcome: 'error',
        httpStatus: 502,
        detail: 'bad gateway',
        at: new Date('2026-11-20T07:05:00Z'),
      });

    const cookie = await login(h);
    const page = await html(h, `/admin/calls/${call.id}`, cookie);
    expect(page).toContain('+74951234567');
    expect(page).toContain('2026-11-20 10:00:00'); // Moscow time
    expect(page).toContain('3:00'); // talk time
    // Leg b starts a third of the way into the call (60 of 200 s) and is answered at 100 s.
    expect(page).toMatch(/data-leg="b"[\s\S]*?class="rung" x="300"[\s\S]*?class="answered" x="500"/);
    expect(page).toMatch(/data-recording="seg-b"[\s\S]*?s-failed[\s\S]*?the PBX answered 404/);
    expect(page).toMatch(/<td>log<\/td>[\s\S]*?error[\s\S]*?502[\s\S]*?bad gateway/);
    for (const rate of ['0.75', '1', '1.25', '1.5', '2']) expect(page).toContain(`data-rate="${rate}"`);

    const src = /<audio id="player" controls="" preload="metadata" src="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
    expect(src).toBeDefined();
    const link = new URL(src as string, ORIGIN);
    expect(link.pathname).toBe(`/recordings/${audio?.id}.mp3`);
    expect(Number(link.searchParams.get('e'))).toBe(h.clock.now.getTime() / 1000 + 3600);
    const served = await h.app.request(`${link.pathname}${link.search}`);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(mp3);
    // An hour later the link is dead.
    h.clock.advance(3601);
    expect((await h.app.request(`${link.pathname}${link.search}`)).status).toBe(404);
  });

  it('escapes what the PBX sent, and 404s for an unknown or malformed id', async () => {
    const h = harness(testDb());
    const call = await seedCall({ externalNumber: null, externalNumberRaw: '<script>alert(1)</script>', extension: '<b>x</b>' });
    const cookie = await login(h);
    const page = await html(h, `/admin/calls/${call.id}`, cookie);
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<b>x</b>');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await get(h, `/admin/calls/${id}`, cookie);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('There is no such call.');
    }
  });
});

describe('the calls search', () => {
  it('finds a number in any format, by extension, day, outcome and delivery state', async () => {
    const h = harness(testDb());
    const ivan = await seedCall({ externalNumber: '+74951234567', extension: '101', startedAt: new Date('2026-11-19T08:00:00Z'), delivery: 'delivered' });
    const olga = await seedCall({
      externalNumber: '+74957654321',
      extension: '102',
      outcome: 'missed',
      talkSeconds: 0,
      startedAt: new Date('2026-11-20T06:00:00Z'),
      delivery: 'failed',
    });
    const late = await seedCall({ externalNumber: '+74951234567', extension: '102', startedAt: new Date('2026-11-20T22:30:00Z') }); // 01:30 on the 21st in Moscow
    const cookie = await login(h);
    const ids = async (query: string) => [...(await html(h, `/admin/calls${query}`, cookie)).matchAll(/data-call-id="([^"]+)"/g)].map((m) => m[1]);

    expect(await ids('')).toEqual([late.id, olga.id, ivan.id]);
    for (const format of ['+7 (495) 123-45-67', '84951234567', '8 495 123 45 67', '74951234567']) {
      expect(await ids(`?phone=${encodeURIComponent(format)}`), format).toEqual([late.id, ivan.id]);
    }
    expect(await ids('?phone=102')).toEqual([late.id, olga.id]);
    expect(await ids('?extension=101')).toEqual([ivan.id]);
    expect(await ids('?from=2026-11-20&to=2026-11-20')).toEqual([olga.id]);
    expect(await ids('?from=2026-11-21')).toEqual([late.id]);
    expect(await ids('?outcome=missed')).toEqual([olga.id]);
    expect(await ids('?state=failed')).toEqual([olga.id]);
    expect(await ids('?state=unsettled')).toEqual([late.id]);

    const page = await html(h, '/admin/calls?phone=102', cookie);
    // The row: time (Moscow), direction, the number in full, extension, outcome, talk time, delivery.
    expect(rowCells(page, `data-call-id="${olga.id}"`)).toEqual(['2026-11-20 09:00:00', '↙ in', '+74957654321', '102', 'missed', '0:00', 'failed', 'Open']);
    expect(page).toContain('value="102"');

    const bad = await get(h, '/admin/calls?from=yesterday&outcome=lost', cookie);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('from: expected a date (YYYY-MM-DD), got &quot;yesterday&quot;');
    expect(text).toContain('outcome: expected one of answered, missed, busy, failed');
  });

  it('pages newest first with a cursor, keeping the filters', async () => {
    const h = harness(testDb());
    const seeded = [];
    for (let i = 0; i < 5; i++) seeded.push(await seedCall({ extension: '101', startedAt: new Date(Date.UTC(2026, 10, 20, 6, i)) }));
    await seedCall({ extension: '102' });
    const cookie = await login(h);
    const seen: string[] = [];
    let path: string | undefined = '/admin/calls?extension=101&limit=2';
    let pages = 0;
    while (path) {
      const page = await html(h, path, cookie);
      pages++;
      seen.push(...[...page.matchAll(/data-call-id="([^"]+)"/g)].map((m) => m[1] as string));
      path = /<a href="([^"]+)" rel="next">/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      if (path) expect(path).toContain('extension=101');
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(seeded.reverse().map((c) => c.id));
    expect((await get(h, '/admin/calls?cursor=bm9wZQ', cookie)).status).toBe(400);
  });
});

describe('agents', () => {
  it('counts calls, answered, missed, talk time and handle time per extension and per department', async () => {
    const h = harness(testDb(), { config: { extensions: { '101': { user: 1, department: 'sales' }, '102': { department: 'sales' }, '205': 5 } } });
    const at = new Date('2026-11-19T09:00:00Z');
    await seedCall({ extension: '101', outcome: 'answered', talkSeconds: 100, startedAt: at });
    await seedCall({ extension: '101', outcome: 'answered', talkSeconds: 200, startedAt: at });
    await seedCall({ extension: '101', outcome: 'missed', talkSeconds: 0, startedAt: at });
    await seedCall({ extension: '102', outcome: 'answered', talkSeconds: 65, startedAt: at });
    await seedCall({ extension: '102', outcome: 'busy', talkSeconds: 0, startedAt: at });
    await seedCall({ extension: '205', outcome: 'answered', talkSeconds: 3600, startedAt: at });
    // Outside the default period (the last 7 days, today included).
    await seedCall({ extension: '101', outcome: 'answered', talkSeconds: 999, startedAt: new Date('2026-11-13T09:00:00Z') });
    const cookie = await login(h);

    const page = await html(h, '/admin/agents', cookie);
    expect(page).toContain('value="2026-11-14"');
    expect(page).toContain('value="2026-11-20"');
    const ext = (key: string) => rowCells(page.slice(page.indexOf('id="by-extension"')), `data-key="${key}"`);
    const dept = (key: string) => rowCells(page.slice(page.indexOf('id="by-department"')), `data-key="${key}"`);
    // extension, calls, answered, missed, talk, average handle time
    expect(ext('101')).toEqual(['101', '3', '2', '1', '5:00', '2:30']);
    expect(ext('102')).toEqual(['102', '2', '1', '1', '1:05', '1:05']);
    expect(ext('205')).toEqual(['205', '1', '1', '0', '1:00:00', '1:00:00']);
    expect(dept('sales')).toEqual(['sales', '5', '3', '2', '6:05', '2:02']); // 365 s over 3 answered
    expect(dept('(no department)')).toEqual(['(no department)', '1', '1', '0', '1:00:00', '1:00:00']);
    // The chart: one bar per extension, the longest as long as the chart.
    expect(page).toMatch(/data-extension="101"[\s\S]*?class="answered" x="0" y="2" width="666.7"[\s\S]*?class="missed" x="666.7" y="2" width="333.3"/);

    const week = await html(h, '/admin/agents?from=2026-11-13&to=2026-11-13', cookie);
    expect(rowCells(week.slice(week.indexOf('id="by-extension"')), 'data-key="101"')).toEqual(['101', '1', '1', '0', '16:39', '16:39']);
  });
});

describe('reconciliation pages', () => {
  it('list the runs, show a run with its findings by kind, and link each call', async () => {
    const h = harness(testDb());
    const { run, call } = await seedRun(3);
    const cookie = await login(h);
    const list = await html(h, '/admin/runs', cookie);
    expect(rowCells(list, `data-run-id="${run.id}"`)).toEqual([
      '2026-11-19',
      '2026-11-20 05:30:00',
      'nightly',
      'done',
      '40',
      'missing in CRM 3 · duplicate in CRM 1',
      '1',
      '12',
      '4.2 s',
    ]);

    const page = await html(h, `/admin/runs/${run.id}`, cookie);
    expect(page).toMatch(/data-kind="missing_in_crm">\s*3/);
    expect(page).toMatch(/data-kind="duplicate_in_crm">\s*1/);
    expect(page).toMatch(/data-kind="lost_webhook">\s*0/);
    expect(page).toContain('repushed 3 · listed 1');
    expect(page).toContain(`href="/admin/calls/${call.id}"`);
    expect([...page.matchAll(/data-finding=/g)]).toHaveLength(4);
    expect(page).toContain('+74957654321');
    const duplicates = await html(h, `/admin/runs/${run.id}?kind=duplicate_in_crm`, cookie);
    expect([...duplicates.matchAll(/data-finding=/g)]).toHaveLength(1);
    expect(duplicates).toContain('notes: [1,2]');
    expect((await get(h, '/admin/runs/00000000-0000-4000-8000-000000000000', cookie)).status).toBe(404);
  });

  it('export a run’s findings as a CSV download', async () => {
    const h = harness(testDb());
    const { run } = await seedRun(2);
    const cookie = await login(h);
    const res = await get(h, `/admin/runs/${run.id}.csv`, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="calltrail-reconcile-2026-11-19-${run.id.slice(0, 8)}.csv"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('kind,action,resolved,call_id,source,started_at,number,extension,direction,outcome,delivery_state,detail');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^missing_in_crm,repushed,false,seed-\d+,generic,2026-11-19T09:15:00.000Z,\+74957654321,205,inbound,answered,delivered,"\{""note"":""gap, \\""0\\""""\}"$/,
    );
    expect(lines[3]).toBe('duplicate_in_crm,listed,false,,,,,,,,,"{""notes"":[1,2]}"');
    expect((await get(h, '/admin/runs/00000000-0000-4000-8000-000000000000.csv', cookie)).status).toBe(404);
  });

  it('refuse to start a run for a day that is not a date', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    const page = await html(h, '/admin/runs', cookie);
    expect(page).toContain('value="2026-11-19"'); // yesterday, by default
    const res = await post(h, '/admin/runs', cookie, { _csrf: csrfOf(page), date: 'last tuesday' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Cannot reconcile &quot;last tuesday&quot;: not a date: &quot;last tuesday&quot; (expected YYYY-MM-DD).');
  });

  it('start a run of a day from the form, and join it when it is started again while live', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    const page = await html(h, '/admin/runs', cookie);
    const first = await post(h, '/admin/runs', cookie, { _csrf: csrfOf(page), date: '2026-11-19' });
    expect(first.status).toBe(303);
    const location = first.headers.get('location') as string;
    expect(location).toMatch(/^\/admin\/runs\/[0-9a-f-]{36}\?notice=run_started$/);
    const [run] = await testDb().db.select().from(reconcileRuns);
    expect(run).toMatchObject({
      trigger: 'manual',
      status: 'running',
      windowFrom: new Date('2026-11-18T21:00:00Z'),
      windowTo: new Date('2026-11-19T21:00:00Z'),
    });
    expect(location).toContain(run!.id);
    const again = await post(h, '/admin/runs', cookie, { _csrf: csrfOf(page), date: '2026-11-19' });
    expect(again.headers.get('location')).toBe(`/admin/runs/${run!.id}?notice=run_joined`);
    expect(await testDb().db.select().from(reconcileRuns)).toHaveLength(1);
    const future = await post(h, '/admin/runs', cookie, { _csrf: csrfOf(page), date: '2026-11-21' });
    expect(future.status).toBe(400);
    expect(await future.text()).toContain('Cannot reconcile &quot;2026-11-21&quot;: the window has not begun yet.');
  });
});

describe('the overview', () => {
  it('shows today’s calls in the time zone, deliveries by state, the CRM status and the last run', async () => {
    const h = harness(testDb());
    await seedCall({ startedAt: new Date('2026-11-19T21:30:00Z'), delivery: 'pending' }); // 00:30 today in Moscow
    await seedCall({ startedAt: new Date('2026-11-20T07:59:00Z'), outcome: 'missed', delivery: 'failed' });
    await seedCall({ startedAt: new Date('2026-11-19T20:59:00Z'), delivery: 'skipped' }); // yesterday in Moscow
    await seedRun(1); // and its call, yesterday, delivered
    await testDb().db.update(crmAccounts).set({ status: 'unauthorized', statusReason: 'the refresh token was revoked' }).where(eq(crmAccounts.id, 'sandbox'));
    const cookie = await login(h);
    const page = await html(h, '/admin', cookie);
    expect(page).toMatch(/id="today"[\s\S]*?class="big">2</);
    expect(page).toContain('1 answered · 1 not answered · 2026-11-20 (Europe/Moscow)');
    expect(page).toMatch(/data-state="pending">\s*1/);
    expect(page).toMatch(/data-state="failed">\s*1/);
    expect(page).toMatch(/data-state="skipped">\s*1/);
    expect(page).toContain('badge s-unauthorized');
    expect(page).toContain('the refresh token was revoked');
    expect(page).toMatch(/id="last-run"[\s\S]*?2026-11-19[\s\S]*?missing in CRM 1 · duplicate in CRM 1/);
  });
});

describe('Connect amoCRM', () => {
  it('redirects to the consent screen with a state the OAuth callback accepts', async () => {
    const h = harness(testDb(), {
      env: {
        AMOCRM_BASE_URL: 'https://example.amocrm.ru',
        AMOCRM_CLIENT_ID: 'client-1',
        AMOCRM_CLIENT_SECRET: 'client-secret-1',
        AMOCRM_REDIRECT_URI: 'https://calls.example.com/v1/crm/amocrm/oauth/callback',
      },
    });
    const cookie = await login(h);
    expect(await html(h, '/admin/crm', cookie)).toContain('href="/admin/crm/connect"');
    const res = await get(h, '/admin/crm/connect', cookie);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe('https://www.amocrm.ru/oauth');
    expect(location.searchParams.get('client_id')).toBe('client-1');
    const [issued, signature] = (location.searchParams.get('state') ?? '').split('.');
    expect(Number(issued)).toBe(h.clock.now.getTime() / 1000);
    expect(await verifyHmacSha256Hex('client-secret-1', `calltrail-oauth:${issued}`, signature ?? '')).toBe(true);
    // The JSON API's connect link is the same.
    const api = await h.admin('/v1/crm/amocrm/connect');
    expect(api.headers.get('location')).toBe(res.headers.get('location'));
  });

  it('is not offered without OAuth', async () => {
    const h = harness(testDb());
    const cookie = await login(h);
    expect(await html(h, '/admin/crm', cookie)).not.toContain('/admin/crm/connect');
    expect((await get(h, '/admin/crm/connect', cookie)).status).toBe(404);
  });
});

describe('security headers', () => {
  it('every console response is uncached, unframeable, and runs only its own nonce’d style and script', async () => {
    const storage = new MemoryStorage();
    const h = harness(testDb(), { deps: { recordings: { storage, fetchFor: runtimeFetchFor } } });
    const call = await seedCall();
    await testDb()
      .db.insert(callAudio)
      .values({ conversationId: call.id, storageKey: 'x', sha256: 'cd'.repeat(32), bytes: 1, durationMs: 1000, builtFrom: [], transcoded: true });
    const cookie = await login(h);
    const nonces = new Set<string>();
    for (const [path, withCookie] of [
      ['/admin/login', false],
      ['/admin', true],
      [`/admin/calls/${call.id}`, true],
      ['/admin/agents', true],
      ['/admin/nothing-here', true],
    ] as const) {
      const res = await get(h, path, withCookie ? cookie : undefined);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      const nonce = /style-src 'nonce-([A-Za-z0-9+/=]{24})'/.exec(csp)?.[1];
      expect(nonce, path).toBeDefined();
      nonces.add(nonce as string);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain(`script-src 'nonce-${nonce}'`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const page = await res.text();
      // Every inline style and script carries this response's nonce; no inline handlers or style attributes.
      for (const tag of page.match(/<(style|script)\b[^>]*>/g) ?? []) expect(tag, path).toContain(`nonce="${nonce}"`);
      expect(page).not.toMatch(/\son[a-z]+="|\sstyle="/);
      if (path.startsWith('/admin/calls/')) expect(page).toMatch(/<script nonce="[^"]+">/);
    }
    expect(nonces.size).toBe(5);
    const redirect = await get(h, '/admin');
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    // The JSON API is left as it was.
    expect((await h.admin('/v1/calls')).headers.get('content-security-policy')).toBeNull();
  });
});
