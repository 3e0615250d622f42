/**
 * Recordings that stay private, on PGlite and PostgreSQL: links revoked per recording and all at
 * once (a new link works, the old one is 404), links with an expiry, the per-link rate limit (429,
 * then recovery), listens and downloads in the audit trail, and the recording policy (a skipped
 * line, user or direction after the rule is added is not archived and says why; a call from
 * before the rule is unaffected) through the API and the console.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, callAudio, conversations, recordings } from '../../src/db/schema';
import type { RecordingsRuntime } from '../../src/deps';
import { playerLink } from '../../src/http/admin/queries/player';
import { runTick } from '../../src/jobs';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { ADMIN_TOKEN } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';

const testDb = useTestDb();
let pbx: FileServer;
beforeAll(async () => {
  pbx = await fileServer();
});
afterAll(async () => {
  await pbx?.close();
});

const IVAN = '+7 (495) 123-45-67';
const LINE = '+7 495 000-00-01';

function setup(over: Partial<IntegratorConfig['recordings']> = {}) {
  const base = defaultIntegratorConfig().recordings;
  const storage = new MemoryStorage();
  const runtime: RecordingsRuntime = { storage, fetchFor: runtimeFetchFor };
  return deliveryHarness(testDb(), {
    config: {
      recordings: { ...base, allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true, ...over },
      extensions: { '205': { user: 5566772, department: 'legal' } },
    },
    recordings: runtime,
  });
}
type H = ReturnType<typeof setup>;

async function settleAndDeliver(h: H) {
  for (let i = 0; i < 5; i++) await runTick(h.deps);
  return h.drain();
}

/** Until the call's note has its link (a loaded machine may need a fetch retry: the clock moves on). */
async function linked(h: H, callId: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const [note] = h.sandbox.store.notesByUniq(conversationUniq('generic', callId));
    if (note?.params.link) return noteLink(h, callId);
    h.clock.advance(60);
    await settleAndDeliver(h);
  }
  return noteLink(h, callId);
}

function noteLink(h: H, callId: string): string {
  const [note] = h.sandbox.store.notesByUniq(conversationUniq('generic', callId));
  const link = note?.params.link as string | undefined;
  if (!link) throw new Error(`call ${callId} has no link in its note`);
  return new URL(link).pathname + new URL(link).search;
}

async function recordedCall(h: H, callId: string, extra: Record<string, unknown> = {}) {
  pbx.put(`/rec/${callId}.wav`, toneWav(2));
  const posted = await h.post(callEnded({ call_id: callId, from: IVAN, recording: { id: `${callId}-r`, url: pbx.url(`/rec/${callId}.wav`) }, ...extra }));
  expect(posted.status).toBe(202);
}

async function callId(key: string): Promise<string> {
  const [row] = await testDb().db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, key));
  return row?.id as string;
}

const entries = (action: string) => testDb().db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(asc(auditLog.id));

describe('revoking links', () => {
  it('refuses a revoked link with 404 while the new link for the same recording plays; revoke-all refuses every older link', async () => {
    const h = setup();
    await recordedCall(h, 'v1');
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });
    const old = await linked(h, 'v1');
    expect((await h.app.request(old)).status).toBe(200);

    const id = await callId('v1');
    h.clock.advance(1);
    const revoked = await h.admin(`/v1/recordings/${id}/revoke-links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'shared outside the CRM' }),
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ notes_refreshed: 1 });
    const gone = await h.app.request(old);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'not_found', message: 'no such recording' } });

    // The note was queued for an update: it now carries a new link, signed after the revocation.
    h.clock.advance(1);
    await h.drain();
    const fresh = noteLink(h, 'v1');
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/&t=\d{13}$/);
    expect((await h.app.request(fresh, { headers: { range: 'bytes=0-99' } })).status).toBe(206);
    const [entry] = await entries('recording.revoke_links');
    expect(entry).toMatchObject({ actor: 'token:ADMIN_TOKEN', detail: { reason: 'shared outside the CRM', notes_refreshed: 1 } });

    // All links: the fresh one dies too; a console link made afterwards plays.
    h.clock.advance(1);
    expect((await h.admin('/v1/recordings/revoke-links', { method: 'POST' })).status).toBe(200);
    expect((await h.app.request(fresh)).status).toBe(404);
    const [audio] = await testDb().db.select().from(callAudio);
    const player = await playerLink(h.deps, audio ?? null, h.clock.now, 'session:console:test');
    expect((await h.app.request(player?.src as string)).status).toBe(200);

    // Unknown recordings and calls: 404; a bad id: 400.
    expect((await h.admin('/v1/recordings/00000000-0000-4000-8000-000000000000/revoke-links', { method: 'POST' })).status).toBe(404);
    expect((await h.admin('/v1/recordings/nope/revoke-links', { method: 'POST' })).status).toBe(400);
    expect((await h.app.request(`/v1/recordings/${id}/revoke-links`, { method: 'POST' })).status).toBe(401);
  });
});

describe('expiring links', () => {
  it('writes links that expire after recordings.link_ttl_days and refuses one past its expiry', async () => {
    const h = setup({ link_ttl_days: 1 });
    await recordedCall(h, 'e1');
    await settleAndDeliver(h);
    const link = await linked(h, 'e1');
    const expiry = Number(new URLSearchParams(link.split('?')[1]).get('e'));
    // Rounded up to midnight UTC after a day: 2026-11-22T00:00Z.
    expect(expiry).toBe(Date.parse('2026-11-22T00:00:00Z') / 1000);
    expect((await h.app.request(link)).status).toBe(200);
    h.clock.now = new Date(expiry * 1000 + 1000);
    expect((await h.app.request(link)).status).toBe(404);
  });
});

describe('the rate limit per link', () => {
  it('answers 429 with Retry-After and the envelope beyond the limit, and recovers', async () => {
    const h = setup({ link_requests_per_minute: 6 });
    await recordedCall(h, 'r1');
    await settleAndDeliver(h);
    const link = await linked(h, 'r1');
    for (let i = 0; i < 6; i++) expect((await h.app.request(link, { headers: { range: `bytes=${i * 10}-${i * 10 + 9}` } })).status).toBe(206);
    const limited = await h.app.request(link, { headers: { range: 'bytes=0-9' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    h.clock.advance(10);
    expect((await h.app.request(link, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
    expect((await h.app.request(link, { headers: { range: 'bytes=0-9' } })).status).toBe(429);
  });
});

describe('listens and downloads in the audit trail', () => {
  it('writes one listen per link and client per 10 minutes with the bytes, each download, and console listens as the session', async () => {
    const h = setup();
    await recordedCall(h, 'a1');
    await settleAndDeliver(h);
    const link = await linked(h, 'a1');
    const rep = { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'amo-browser' };
    await h.app.request(link, { headers: { ...rep, range: 'bytes=0-99' } });
    await h.app.request(link, { headers: { ...rep, range: 'bytes=100-299' } });
    await h.app.request(link, { headers: { ...rep, range: 'bytes=300-399' } });
    let listens = await entries('recording.listen');
    expect(listens).toHaveLength(1);
    const [audio] = await testDb().db.select().from(callAudio);
    expect(listens[0]).toMatchObject({
      actor: expect.stringMatching(/^link:db1:[0-9a-f]{12}$/),
      role: null,
      subject: audio?.id,
      ip: '203.0.113.7',
      detail: { from: 'crm-link', bytes: 100, range: 'bytes=0-99', call: await callId('a1') },
    });

    // Another client of the same link, and the same client 10 minutes later (with what was folded).
    await h.app.request(link, { headers: { 'x-forwarded-for': '198.51.100.2', range: 'bytes=0-9' } });
    h.clock.advance(600);
    await h.app.request(link, { headers: { ...rep, range: 'bytes=0-9' } });
    listens = await entries('recording.listen');
    expect(listens).toHaveLength(3);
    expect(listens[2]?.detail).toMatchObject({ bytes: 10, previous: { requests: 3, bytes: 400 } });

    // A download: every one is written, with the whole file's bytes.
    const download = await h.app.request(`${link}&download=1`, { headers: rep });
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    await download.arrayBuffer();
    await h.app.request(`${link}&download=1`, { headers: rep });
    const downloads = await entries('recording.download');
    expect(downloads).toHaveLength(2);
    expect(downloads[0]?.detail).toMatchObject({ from: 'crm-link', bytes: audio?.bytes });

    // The console's player: its link names the session, and the listen is that person's.
    const player = await playerLink(h.deps, audio ?? null, h.clock.now, 'console:abcd1234');
    expect(player?.src).toContain('c=console%3Aabcd1234');
    await h.app.request(player?.src as string, { headers: { range: 'bytes=0-49' } });
    listens = await entries('recording.listen');
    expect(listens.at(-1)).toMatchObject({ actor: 'session:console:abcd1234', detail: { from: 'console', bytes: 50 } });
  });
});

describe('the recording policy', () => {
  async function addRule(h: H, body: Record<string, unknown>) {
    const res = await h.admin('/v1/recording-policies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, JSON.stringify(body)).toBe(201);
    return (await res.json()) as { id: number };
  }

  it('skips calls of a line, a user or a direction that start after the rule is added, says why, and leaves earlier calls alone', async () => {
    const h = setup();
    // Calls start at 08:00Z and after; the harness clock is 08:00Z when the rules are added.
    const byLine = await addRule(h, { line: '74950000001', action: 'skip', note: 'board line' });
    const byUser = await addRule(h, { user_id: 5566772, action: 'skip' });
    const byDirection = await addRule(h, { direction: 'outbound', action: 'skip' });
    const after = { started_at: '2026-11-20T08:05:00Z', answered_at: '2026-11-20T08:05:05Z', ended_at: '2026-11-20T08:07:00Z' };
    const seen = pbx.requests.length;
    await recordedCall(h, 'p-line', { ...after, line: LINE });
    await recordedCall(h, 'p-user', { ...after, to: '205', extension: '205' });
    await recordedCall(h, 'p-out', { ...after, direction: 'outbound', from: '101', to: IVAN });
    // Before the rules: recorded although it is on the line.
    await recordedCall(h, 'p-before', { line: LINE });
    await settleAndDeliver(h);
    expect(pbx.requests.length).toBe(seen + 1);

    for (const [key, rule] of [
      ['p-line', byLine],
      ['p-user', byUser],
      ['p-out', byDirection],
    ] as const) {
      const id = await callId(key);
      const [segment] = await testDb().db.select().from(recordings).where(eq(recordings.conversationId, id));
      expect(segment, key).toMatchObject({ fetchState: 'skipped', fetchError: `not recorded by policy (rule #${rule.id})` });
      const call = (await (await h.admin(`/v1/calls/${id}`)).json()) as any;
      expect(call.not_recorded, key).toBe(`not recorded by policy (rule #${rule.id})`);
      expect(h.sandbox.store.notesByUniq(conversationUniq('generic', key))[0]?.params.link, key).toBeUndefined();
    }
    const before = await callId('p-before');
    const [kept] = await testDb().db.select().from(recordings).where(eq(recordings.conversationId, before));
    expect(kept).toMatchObject({ fetchState: 'archived' });
    expect((await (await h.admin(`/v1/calls/${before}`)).json()).not_recorded).toBeNull();
    expect(noteLink(h, 'p-before')).toMatch(/^\/recordings\//);

    // Listed, removed, audited.
    const list = (await (await h.admin('/v1/recording-policies')).json()) as any;
    expect(list.items.map((r: { id: number }) => r.id)).toEqual([byLine.id, byUser.id, byDirection.id]);
    expect(list.items[0]).toMatchObject({ line: '74950000001', action: 'skip', note: 'board line', created_by: 'token:ADMIN_TOKEN' });
    expect((await h.admin(`/v1/recording-policies/${byLine.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.admin(`/v1/recording-policies/${byLine.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(((await (await h.admin('/v1/recording-policies')).json()) as any).items).toHaveLength(2);
    const changes = await entries('settings.recording_policy');
    expect(changes.map((e) => (e.detail as { change: string }).change)).toEqual(['add', 'add', 'add', 'remove']);
    expect(changes[3]).toMatchObject({ subject: `recording_policy:${byLine.id}`, actor: 'token:ADMIN_TOKEN' });
  });

  it('refuses a rule that names nothing, or a bad direction, with 400', async () => {
    const h = setup();
    const post = (body: unknown) =>
      h.admin('/v1/recording-policies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const none = await post({ action: 'skip' });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('name at least one') } });
    expect((await post({ direction: 'sideways', action: 'skip' })).status).toBe(400);
    expect((await post({ line: 'main', action: 'skip' })).status).toBe(400);
    expect((await h.admin('/v1/recording-policies/abc', { method: 'DELETE' })).status).toBe(400);
  });
});

describe('the console', () => {
  const ORIGIN = 'http://localhost';
  async function login(h: H): Promise<string> {
    const res = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
    });
    const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error('no session cookie');
    return cookie;
  }
  const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const form = (h: H, path: string, cookie: string, fields: Record<string, string>) =>
    h.app.request(path, {
      method: 'POST',
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('adds and removes policy rules, shows a skipped call why, and revokes a call’s links from its page', async () => {
    const h = setup();
    const cookie = await login(h);
    const page = await (await h.app.request('/admin/recording-policy', { headers: { cookie } })).text();
    expect(page).toContain('No rules');
    const added = await form(h, '/admin/recording-policy', cookie, { _csrf: csrfOf(page), department: 'legal', action: 'skip', direction: '' });
    expect(added.status).toBe(303);
    const listed = await (await h.app.request('/admin/recording-policy?notice=policy_added', { headers: { cookie } })).text();
    expect(listed).toContain('data-policy="1"');
    expect(listed).toContain('Rule added');
    const refused = await form(h, '/admin/recording-policy', cookie, { _csrf: csrfOf(listed), action: 'skip' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('name at least one');

    await recordedCall(h, 'c-legal', {
      to: '205',
      extension: '205',
      started_at: '2026-11-20T08:05:00Z',
      answered_at: '2026-11-20T08:05:05Z',
      ended_at: '2026-11-20T08:07:00Z',
    });
    await recordedCall(h, 'c-ok', {});
    await settleAndDeliver(h);
    const legal = await (await h.app.request(`/admin/calls/${await callId('c-legal')}`, { headers: { cookie } })).text();
    expect(legal).toContain('Not recorded by policy (rule #1).');
    expect(legal).not.toContain('id="revoke-links"');

    const okId = await callId('c-ok');
    const callPage = await (await h.app.request(`/admin/calls/${okId}`, { headers: { cookie } })).text();
    expect(callPage).toContain('id="revoke-links"');
    const old = await linked(h, 'c-ok');
    h.clock.advance(1);
    const revoked = await form(h, `/admin/calls/${okId}/revoke-links`, cookie, { _csrf: csrfOf(callPage), reason: 'leaked' });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe(`/admin/calls/${okId}?notice=links_revoked`);
    expect((await h.app.request(old)).status).toBe(404);
    const [entry] = await testDb()
      .db.select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'recording.revoke_links')));
    expect(entry).toMatchObject({ actor: expect.stringMatching(/^session:/), detail: { reason: 'leaked' } });

    const removed = await form(h, '/admin/recording-policy/1/remove', cookie, { _csrf: csrfOf(listed) });
    expect(removed.status).toBe(303);
    expect(await (await h.app.request('/admin/recording-policy', { headers: { cookie } })).text()).toContain('No rules');
  });
});

describe('the API description', () => {
  it('lists the revocation and policy endpoints', async () => {
    const h = setup();
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/v1/recording-policies'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/recording-policies/{id}'] ?? {})).toEqual(['delete']);
    expect(Object.keys(doc.paths['/v1/recordings/{id}/revoke-links'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/recordings/revoke-links'] ?? {})).toEqual(['post']);
  });
});
