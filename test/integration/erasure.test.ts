/**
 * Retention, legal hold and erasure on PGlite and PostgreSQL: a deletion request by phone number
 * leaves nothing of the number in any table (but in calls under hold) nor in the recordings'
 * storage, redacts a body it shares with another call, which stays deliverable; retention
 * deletes old calls but never held ones (nor their recordings); hold and release are audited.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import {
  auditLog,
  callAudio,
  callerCache,
  conversations,
  erasures,
  inboxEvents,
  legs,
  liveCalls,
  originations,
  reconcileFindings,
  reconcileRuns,
  recordings,
} from '../../src/db/schema';
import { queryRows } from '../../src/db/raw';
import type { RecordingsRuntime } from '../../src/deps';
import { runTick } from '../../src/jobs';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
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
/** Every way the test looks for Ivan's number: the national significant number is in all of them. */
const IVAN_FORMS = ['+74951234567', '74951234567', '84951234567', '4951234567'];
const IVAN_SPACED = '4[^0-9a-z]{0,3}9[^0-9a-z]{0,3}5[^0-9a-z]{0,3}1[^0-9a-z]{0,3}2[^0-9a-z]{0,3}3[^0-9a-z]{0,3}4[^0-9a-z]{0,3}5[^0-9a-z]{0,3}6[^0-9a-z]{0,3}7';
const OLGA = '+7 (812) 555-12-34';

function setup(over: Partial<IntegratorConfig> = {}) {
  const storage = new MemoryStorage();
  const runtime: RecordingsRuntime = { storage, fetchFor: runtimeFetchFor };
  const base = defaultIntegratorConfig().recordings;
  const config: Partial<IntegratorConfig> = {
    recordings: { ...base, allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true, ...over.recordings },
    ...(over.retention ? { retention: over.retention } : {}),
  };
  const h = deliveryHarness(testDb(), { config, recordings: runtime });
  const settleAndDeliver = async () => {
    for (let i = 0; i < 5; i++) await runTick(h.deps);
    return h.drain();
  };
  const json = async (path: string, method: string, body?: unknown) => {
    const res = await h.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { h, storage, settleAndDeliver, json };
}

const withRecording = (callId: string, from: string, over: Record<string, unknown> = {}) => {
  pbx.put(`/rec/${callId}.wav`, toneWav(1));
  return callEnded({ call_id: callId, from, recording: { id: `${callId}-r`, url: pbx.url(`/rec/${callId}.wav`) }, ...over });
};

async function callId(callKey: string): Promise<string | undefined> {
  const [row] = await testDb().db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, callKey));
  return row?.id;
}

async function storageKeys(conversationId: string): Promise<string[]> {
  const db = testDb().db;
  const segs = await db.select({ key: recordings.archiveKey }).from(recordings).where(eq(recordings.conversationId, conversationId));
  const audio = await db.select({ key: callAudio.storageKey }).from(callAudio).where(eq(callAudio.conversationId, conversationId));
  return [...segs.flatMap((s) => (s.key ? [s.key] : [])), ...audio.map((a) => a.key)];
}

/** Every row of every public table whose text, json or jsonb columns name Ivan's number, as JSON text. */
async function rowsNamingIvan(): Promise<{ table: string; row: string }[]> {
  const db = testDb().db;
  const columns = await queryRows<{ table_name: string; column_name: string }>(
    db,
    sql`select table_name, column_name from information_schema.columns
         where table_schema = 'public' and (data_type in ('text', 'json', 'jsonb', 'character varying') or udt_name in ('_text', '_varchar'))
         order by table_name, column_name`,
  );
  expect(columns.length).toBeGreaterThan(30);
  const hits: { table: string; row: string }[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const likes = sql.join(
      IVAN_FORMS.map((f) => sql`${sql.identifier(column)}::text like ${`%${f}%`}`),
      sql` or `,
    );
    const rows = await queryRows<{ row: string }>(
      db,
      sql`select row_to_json(t)::text as row from ${sql.identifier(table)} t where ${likes} or ${sql.identifier(column)}::text ~ ${IVAN_SPACED}`,
    );
    for (const r of rows) hits.push({ table: `${table}.${column}`, row: r.row });
  }
  return hits;
}

describe('erasure by phone number', () => {
  it('deletes every call of the number with its recordings and bodies, keeps held calls, redacts a shared body', async () => {
    const { h, storage, settleAndDeliver, json } = setup();
    await h.post(withRecording('e1', IVAN));
    await h.post(withRecording('e3', '8 495 123 45 67'));
    await h.post(withRecording('e4', '84951234567', { direction: 'outbound', from: '101', to: '8 (495) 123-45-67', extension: '101' }));
    await h.post(withRecording('o2', OLGA));
    expect(await settleAndDeliver()).toMatchObject({ delivered: 4 });
    const [e1, e3, e4, o2] = [await callId('e1'), await callId('e3'), await callId('e4'), await callId('o2')] as string[];
    expect(e4).toBeDefined();
    const e1Keys = await storageKeys(e1!);
    const e3Keys = await storageKeys(e3!);
    const o2Keys = await storageKeys(o2!);
    expect(e1Keys).toHaveLength(2);
    expect(e3Keys).toHaveLength(2);

    // One body carrying Ivan's call and Olga's, not delivered yet.
    await h.post([callEnded({ call_id: 'e2', from: IVAN }), callEnded({ call_id: 'o1', from: OLGA })]);
    const [e2, o1] = [await callId('e2'), await callId('o1')];
    expect(e2 && o1).toBeTruthy();
    // Rows elsewhere that name the number.
    const db = testDb().db;
    await db
      .insert(liveCalls)
      .values({ source: 'generic', callKey: 'e5', state: 'ringing', fromNumber: '+74951234567', toNumber: '101', startedAt: h.clock.now });
    await db.insert(originations).values({ source: 'generic', extension: '101', phone: '+74951234567', state: 'requested', requestedAt: h.clock.now });
    await db
      .insert(callerCache)
      .values({ account: 'a', phone: '+74951234567', card: { name: 'Ivan', phones: ['+74951234567'] }, fetchedAt: h.clock.now, usedAt: h.clock.now });
    await db.insert(callerCache).values({ account: 'a', phone: '+78125551234', card: { name: 'Olga' }, fetchedAt: h.clock.now, usedAt: h.clock.now });
    const [run] = await db
      .insert(reconcileRuns)
      .values({
        windowFrom: h.clock.now,
        windowTo: h.clock.now,
        trigger: 'manual',
        status: 'done',
        progress: { pulled: [], crm: { entity: null, page: 0, done: true }, compared: true, repushed: true },
        startedAt: h.clock.now,
      })
      .returning();
    await db.insert(reconcileFindings).values([
      { runId: run!.id, conversationId: e1, kind: 'missing_in_crm', action: 'repushed', detail: { phone: '+74951234567' } },
      { runId: run!.id, conversationId: null, kind: 'lost_webhook', action: 'listed', detail: { from: '8 (495) 123-45-67' } },
      { runId: run!.id, conversationId: o2, kind: 'missing_in_crm', action: 'repushed', detail: { phone: '+78125551234' } },
    ]);

    // e3 is under legal hold.
    const hold = await json(`/v1/calls/${e3}/hold`, 'POST', { reason: 'case 42' });
    expect(hold).toMatchObject({ status: 200, body: { id: e3, legal_hold: { reason: 'case 42', by: expect.any(String), at: h.clock.now.toISOString() } } });

    const erased = await json('/v1/erasures', 'POST', { phone: '8 (495) 123-45-67' });
    expect(erased.status).toBe(201);
    expect(erased.body).toMatchObject({
      phone: '***4567',
      calls_deleted: 3,
      recordings_deleted: 2,
      files_deleted: 4,
      bodies_redacted: 1,
      // The live row, the click-to-call request, the cached card, the finding about no call (e1's went with it).
      other_rows_deleted: 4,
      kept_on_hold: [{ call_id: e3, reason: 'case 42' }],
      errors: [],
      crm_note: expect.stringContaining('CRM holds its own copy'),
    });
    // e1, e4 and the recording bodies of neither (they carried the calls): deleted.
    expect(erased.body.bodies_deleted).toBeGreaterThanOrEqual(2);

    // Nothing of the number is left, but in the held call's rows.
    const heldCall = new RegExp(`${e3}|"call_id":"e3"|\\\\"call_id\\\\":\\\\"e3\\\\"`);
    const left = await rowsNamingIvan();
    expect(left.filter((hit) => !heldCall.test(hit.row))).toEqual([]);
    expect(left.some((hit) => hit.table.startsWith('conversations.'))).toBe(true);
    for (const key of e1Keys) expect(await storage.head(key)).toBeNull();
    for (const key of [...e3Keys, ...o2Keys]) expect(await storage.head(key)).not.toBeNull();
    expect(await callId('e1')).toBeUndefined();
    expect(await callId('e2')).toBeUndefined();
    expect(await callId('e4')).toBeUndefined();
    expect(await callId('e3')).toBe(e3);
    expect(await db.$count(reconcileFindings)).toBe(1);
    expect(await db.$count(callerCache)).toBe(1);

    // The shared body: Olga's call is still in it, Ivan's number is not.
    const shared = (await db.select().from(inboxEvents)).find((b) => b.raw.includes('"o1"'));
    expect(shared?.raw).toContain('[erased]');
    expect(shared?.raw).toContain(OLGA);
    // Olga's calls are whole and still reach the CRM.
    expect(await db.$count(legs, eq(legs.conversationId, o1!))).toBe(1);
    h.clock.advance(60);
    expect(await settleAndDeliver()).toMatchObject({ delivered: 1 });
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'o1'))).toHaveLength(1);
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'e2'))).toHaveLength(0);

    // The request is kept without the number; "was it erased?" is answered by its hash.
    const [row] = await db.select().from(erasures);
    expect(row).toMatchObject({ phoneLast4: '4567', callsDeleted: 3 });
    expect((await json('/v1/erasures?phone=+74951234567', 'GET')).body.items).toMatchObject([{ id: erased.body.id }]);
    expect((await json('/v1/erasures?phone=+78125551234', 'GET')).body.items).toEqual([]);
    expect((await json('/v1/erasures', 'GET')).body.items).toHaveLength(1);
    expect(await json(`/v1/erasures/${erased.body.id}`, 'GET')).toMatchObject({ status: 200, body: { id: erased.body.id, calls_deleted: 3 } });
    expect((await json('/v1/erasures/00000000-0000-4000-8000-000000000000', 'GET')).status).toBe(404);
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, 'privacy.erasure'));
    expect(entry).toMatchObject({ subject: erased.body.id, detail: { phone: '***4567', calls_deleted: 3 } });
    // The logs never had the number.
    expect(h.log.lines.filter((l) => IVAN_FORMS.some((f) => l.includes(f)))).toEqual([]);
  });

  it('refuses what is not an outside number', async () => {
    const { json } = setup();
    expect(await json('/v1/erasures', 'POST', { phone: '101' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(await json('/v1/erasures', 'POST', { phone: 'abc' })).toMatchObject({ status: 400 });
    expect(await json('/v1/erasures', 'POST', {})).toMatchObject({ status: 400 });
  });
});

describe('legal hold', () => {
  it('is placed and released through the API, audited, and 404s for an unknown call', async () => {
    const { h, json } = setup();
    await h.post(callEnded({ call_id: 'h1' }));
    const id = await callId('h1');
    expect((await json(`/v1/calls/${id}/hold`, 'POST', {})).status).toBe(400);
    expect((await json(`/v1/calls/${id}/hold`, 'POST', { reason: '  ' })).status).toBe(400);
    expect((await json('/v1/calls/00000000-0000-4000-8000-000000000000/hold', 'POST', { reason: 'x' })).status).toBe(404);
    expect((await json(`/v1/calls/${id}/hold`, 'POST', { reason: 'subpoena' })).body).toMatchObject({ legal_hold: { reason: 'subpoena' } });
    expect(await json(`/v1/calls/${id}/hold`, 'DELETE')).toMatchObject({ status: 200, body: { id, legal_hold: null } });
    const entries = await testDb().db.select().from(auditLog).where(eq(auditLog.subject, id!));
    expect(entries.map((e) => [e.action, e.detail])).toEqual([
      ['call.hold', { reason: 'subpoena' }],
      ['call.release', {}],
    ]);
    expect((await h.admin(`/v1/calls/${id}/hold`, { method: 'DELETE', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });
});

describe('legal hold in the console', () => {
  it('places and releases a hold from the call page', async () => {
    const { h } = setup();
    await h.post(callEnded({ call_id: 'c1' }));
    const id = await callId('c1');
    const origin = 'http://localhost';
    const login = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
    });
    const cookie = /^(calltrail_admin=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1] as string;
    const page = async () => (await h.app.request(`/admin/calls/${id}`, { headers: { cookie } })).text();
    const post = async (path: string, fields: Record<string, string>) =>
      h.app.request(path, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const first = await page();
    expect(first).toContain('Place on legal hold');
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(first)?.[1] as string;
    expect((await post(`/admin/calls/${id}/hold`, { _csrf: csrf, reason: '' })).headers.get('location')).toContain('notice=hold_reason');
    const placed = await post(`/admin/calls/${id}/hold`, { _csrf: csrf, reason: 'case <42>' });
    expect(placed.status).toBe(303);
    expect(placed.headers.get('location')).toBe(`/admin/calls/${id}?notice=hold_placed`);
    const held = await page();
    expect(held).toContain('Under legal hold');
    expect(held).toContain('case &lt;42&gt;');
    expect(held).toContain('Release the hold');
    expect((await post(`/admin/calls/${id}/hold`, { reason: 'no token' })).status).toBe(403);
    expect((await post(`/admin/calls/${id}/hold/release`, { _csrf: csrf })).headers.get('location')).toContain('notice=hold_released');
    expect(await page()).toContain('Place on legal hold');
    const actions = await testDb().db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.subject, id!));
    expect(actions.map((a) => a.action)).toEqual(['call.hold', 'call.release']);
  });
});

describe('retention of call data', () => {
  it('deletes calls older than calls_days with their files and bodies, never a held call nor its recording', async () => {
    const { h, storage, settleAndDeliver, json } = setup({
      recordings: { retention_days: 30 } as IntegratorConfig['recordings'],
      retention: { calls_days: 60 },
    });
    await h.post(withRecording('old', OLGA));
    await h.post(withRecording('held', IVAN));
    await settleAndDeliver();
    const [old, held] = [await callId('old'), await callId('held')] as string[];
    const oldKeys = await storageKeys(old!);
    const heldKeys = await storageKeys(held!);
    await json(`/v1/calls/${held}/hold`, 'POST', { reason: 'dispute' });

    // Day 31: the recordings' purge takes the old call's MP3, not the held call's.
    h.clock.advance(31 * 86_400);
    await runTick(h.deps);
    const audio = await testDb().db.select().from(callAudio);
    expect(audio.find((a) => a.conversationId === old)?.purgedAt).not.toBeNull();
    expect(audio.find((a) => a.conversationId === held)?.purgedAt).toBeNull();
    for (const key of heldKeys) expect(await storage.head(key)).not.toBeNull();
    expect(await callId('old')).toBe(old);

    // Day 61: the old call goes entirely; a fresh one stays.
    h.clock.advance(30 * 86_400);
    await h.post(
      callEnded({ call_id: 'fresh', started_at: h.clock.now.toISOString(), answered_at: null, ended_at: h.clock.now.toISOString(), disposition: 'no_answer' }),
    );
    await runTick(h.deps);
    expect(await callId('old')).toBeUndefined();
    expect(await callId('held')).toBe(held);
    expect(await callId('fresh')).toBeDefined();
    for (const key of oldKeys) expect(await storage.head(key)).toBeNull();
    for (const key of heldKeys) expect(await storage.head(key)).not.toBeNull();
    const bodies = await testDb().db.select({ raw: inboxEvents.raw }).from(inboxEvents);
    expect(bodies.some((b) => b.raw.includes('"old"'))).toBe(false);
    expect(bodies.some((b) => b.raw.includes('"held"'))).toBe(true);
    expect(h.log.lines.some((l) => l.includes('call retention purge'))).toBe(true);

    // Released, the held call is deleted by the next day's run.
    await json(`/v1/calls/${held}/hold`, 'DELETE');
    h.clock.advance(86_400);
    await runTick(h.deps);
    expect(await callId('held')).toBeUndefined();
    for (const key of heldKeys) expect(await storage.head(key)).toBeNull();
    expect(await testDb().db.$count(conversations, and(eq(conversations.callKey, 'fresh')))).toBe(1);
  });
});
