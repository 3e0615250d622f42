/**
 * Mango Office through the HTTP app into the ledger, on PGlite and on PostgreSQL: the call
 * states, summary and recordings of a transferred call, signed, in any order and repeated.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { http as rest, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { renamed } from '#test/mango';
import { shuffled } from '#test/shuffle';
import { callAudio, inboxEvents, recordings } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import * as t from '../../src/pbx/mango/fixtures/inbound-transfer';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { conversationByKey, counts, snapshot } from '#test/ledger';
import { strictMswServer } from '#test/msw';
import { toneWav } from '#test/pbx-files';

const KEY = 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3';
const SALT = 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh';
const env = { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT };

type Kind = 'call' | 'summary' | 'recording';
type Json = Record<string, unknown>;
interface Notification {
  kind: Kind;
  json: Json;
}

/** Mango's documented signature, computed here: sha256hex(vpbx_api_key + json + salt). */
const sign = (json: string, key = KEY, salt = SALT) =>
  createHash('sha256')
    .update(key + json + salt)
    .digest('hex');

function form(json: string, fields: { key?: string; sign?: string | null } = {}) {
  const body: Record<string, string> = { vpbx_api_key: fields.key ?? KEY, json };
  const signature = fields.sign === undefined ? sign(json, fields.key ?? KEY) : fields.sign;
  if (signature !== null) body.sign = signature;
  return new URLSearchParams(body).toString();
}

const testDb = useTestDb();
const server = strictMswServer();
let h: Harness;
beforeEach(() => {
  h = harness(testDb(), { env });
});

function post(n: Notification, options: { app?: Harness; key?: string; sign?: string | null; raw?: string } = {}) {
  const json = options.raw ?? JSON.stringify(n.json);
  return (options.app ?? h).app.request(`/v1/pbx/mango/events/${n.kind}`, {
    method: 'POST',
    body: form(json, options),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** Everything Mango sends for the call, in its order; the 321 recording comes last, after the summary. */
const sent: Notification[] = [
  ...t.CALLS.slice(0, 4).map((json) => ({ kind: 'call' as const, json })),
  { kind: 'recording', json: t.recording333Started },
  ...t.CALLS.slice(4).map((json) => ({ kind: 'call' as const, json })),
  { kind: 'recording', json: t.recording333Completed },
  { kind: 'summary', json: t.summary },
];
const lateRecording: Notification = { kind: 'recording', json: t.recording321Completed };

describe('a transferred call, late recording included', () => {
  async function deliver(prefix: string, stream: readonly Notification[]) {
    for (const n of stream) {
      const res = await post({ kind: n.kind, json: renamed(prefix, n.json) });
      expect(res.status).toBe(200);
      h.clock.advance(1);
    }
    // 321's recording is still missing: the call settles after SETTLE_SECONDS of quiet.
    h.clock.advance(60);
    await runTick(h.deps);
    expect((await post({ kind: lateRecording.kind, json: renamed(prefix, lateRecording.json) })).status).toBe(200);
  }

  const orders: [string, Notification[]][] = [
    ['in order', sent],
    ['reversed', [...sent].reverse()],
    ['shuffled (seed 7)', shuffled(sent, 7)],
    ['shuffled (seed 2026)', shuffled(sent, 2026)],
    ['summary first, every notification twice', [sent[sent.length - 1] as Notification, ...shuffled([...sent, ...sent], 11)]],
  ];

  it.each(orders)('assembles one conversation the same way: %s', async (_name, stream) => {
    await deliver('ref-', sent);
    await deliver('run-', stream);
    const [reference] = await snapshot(testDb().db, 'ref-');
    const [run] = await snapshot(testDb().db, 'run-');
    expect(run).toEqual(reference);
    expect(run).toMatchObject({ direction: 'inbound', externalNumber: '+74955404444', outcome: 'answered' });
    expect(run).toMatchObject({
      // From 333's answer to the end, the transfer included.
      talkSeconds: 235,
      // 321 talked 180 s, 333 50 s.
      extension: '321',
      legCount: 4,
      awaitingRecordings: false,
      final: true,
      settled: true,
      deliveries: [{ state: 'pending' }],
    });
    // The IVR is no leg: the summary (Mango's talk, end_time − talk_time), the employee it names
    // (a moment without talk), 333's and 321's.
    expect(run?.legs.map((l) => [l.extension, l.legKey, l.disposition, l.talkSeconds]).sort()).toEqual([
      [null, t.ENTRY, 'answered', 235],
      ['321', 'MToxMDE2MzUyODo0MDA6MjAw', 'answered', 180],
      ['333', 'MToxMDE2MzUyODozMDA6MjAw', 'answered', 50],
      ['333', `${t.ENTRY}:answered:333`, 'answered', 0],
    ]);
    expect(run?.recordings.map((r) => [r.recordingKey, r.legKey, r.originUrl, r.status]).sort()).toEqual([
      ['MToxMDE2MzUyODozMjE6cmVj', 'MToxMDE2MzUyODo0MDA6MjAw', undefined, 'referenced'],
      ['MToxMDE2MzUyODozMzM6cmVj', 'MToxMDE2MzUyODozMDA6MjAw', undefined, 'referenced'],
    ]);
  });

  it('waits for the missing recording, settles without it, then adds it to the same delivery', async () => {
    for (const n of sent) await post(n);
    let call = await conversationByKey(testDb().db, t.ENTRY);
    expect(call).toMatchObject({ awaitingRecordings: true, settledAt: null, finalSeenAt: h.clock.now });
    h.clock.advance(30);
    expect((await runTick(h.deps)).settled).toBe(1);
    const settled = await conversationByKey(testDb().db, t.ENTRY);
    await post(lateRecording);
    call = await conversationByKey(testDb().db, t.ENTRY);
    expect(call?.recordings.map((r) => r.vendorRef).sort()).toEqual(['MToxMDE2MzUyODozMjE6cmVj', 'MToxMDE2MzUyODozMzM6cmVj']);
    expect(call?.revision).toBe((settled?.revision ?? 0) + 1);
    expect(call?.deliveries).toHaveLength(1);
  });

  it("stores each call state under Mango's own ids, with the call's earlier states for replays", async () => {
    for (const json of [t.appeared333, t.connected333, t.onHold333]) await post({ kind: 'call', json });
    await post({ kind: 'call', json: t.disconnected333 });
    const rows = await testDb().db.select().from(inboxEvents).where(eq(inboxEvents.source, 'mango'));
    expect(rows.map((r) => r.dedupeKey)).toEqual([1, 2, 3, 4].map((seq) => `call:MToxMDE2MzUyODozMDA6MjAw:${seq}`));
    expect(rows[0]?.meta).toEqual({ event: 'call' });
    const last = rows[3];
    expect(last?.meta.event).toBe('call');
    expect(JSON.parse(last?.meta.timeline ?? '[]')).toHaveLength(3);
    expect(last?.raw).toBe(form(JSON.stringify(t.disconnected333)));
    // A resend with other formatting is the same notification.
    const again = await post({ kind: 'call', json: t.disconnected333 }, { raw: JSON.stringify(t.disconnected333, null, 2) });
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');
  });
});

describe("what Mango's endpoints refuse", () => {
  const summary: Notification = { kind: 'summary', json: t.summary };

  it.each([
    ['a wrong sign', { sign: sign('{}') }, /sign does not match/],
    ['no sign', { sign: null }, /missing sign/],
    ["another account's key", { key: 'someone-else' }, /vpbx_api_key is not the configured account/],
  ])('401 for %s, and nothing stored', async (_name, options, message) => {
    const res = await post(summary, options);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(message),
    });
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('400 with the problem named for a malformed event, and nothing stored', async () => {
    const res = await post({ kind: 'summary', json: { ...t.summary, call_direction: 7 } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_body',
      message: 'json.call_direction: expected call_direction 0 (internal), 1 (incoming) or 2 (outgoing)',
    });
    expect((await post(summary, { raw: '{"entry_id":' })).status).toBe(400);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('404 while MANGO_API_KEY / MANGO_API_SALT are not set', async () => {
    const off = harness(testDb());
    for (const kind of ['call', 'summary', 'recording', 'dtmf'] as const) {
      const res = await post({ kind: kind as Kind, json: t.summary }, { app: off });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'source_disabled',
        message: expect.stringMatching(/MANGO_API_KEY and MANGO_API_SALT/),
      });
    }
  });

  it('answers other signed notifications 200 without storing them', async () => {
    const other = { kind: 'dtmf' as Kind, json: { entry_id: 'x', call_id: 'y', dtmf: '1' } };
    const res = await post(other);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ignored' });
    expect((await post(other, { sign: 'forged' })).status).toBe(401);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0 });
  });
});

describe('surface', () => {
  it('is described in the OpenAPI document', async () => {
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/pbx/mango/events/call', '/v1/pbx/mango/events/summary', '/v1/pbx/mango/events/recording']),
    );
  });
});

describe('ring time', () => {
  it('accepts a signed events/call Appeared as it happens and counts its live moment', async () => {
    const res = await post({ kind: 'call', json: t.appeared333 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', inbox_id: expect.any(Number), events: 1 });
    const connected = await post({ kind: 'call', json: t.connected333 });
    expect(await connected.json()).toMatchObject({ status: 'processed', events: 1 });
    expect(await counts(testDb().db)).toMatchObject({ inbox: 2 });
  });
});

describe('store first', () => {
  it('keeps the body raw in the inbox when it answers 200', async () => {
    const res = await post({ kind: 'summary', json: t.summary });
    expect(res.status).toBe(200);
    // The summary's leg, the employee it names, and the live call's end.
    expect(await res.json()).toEqual({ status: 'processed', inbox_id: expect.any(Number), events: 3 });
    const [row] = await testDb().db.select().from(inboxEvents);
    expect(row).toMatchObject({
      source: 'mango',
      status: 'processed',
      dedupeKey: `summary:${t.ENTRY}`,
      meta: { event: 'summary' },
      raw: form(JSON.stringify(t.summary)),
    });
  });

  it('does not answer 200 when the body could not be stored', async () => {
    const broken = harness(testDb(), {
      env,
      deps: { ingest: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) },
    });
    const res = await post({ kind: 'summary', json: t.summary }, { app: broken });
    expect(res.status).toBe(503);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0 });
  });
});

describe('recordings Mango keeps, downloaded through its API', () => {
  const POST = 'https://app.mango-office.ru/vpbx/queries/recording/post';

  /**
   * Mango's recording/post (msw): a signed form naming the recording, answered 302 to a one-time
   * link. Mango sends MP3; a WAV here takes the same way through the archive and is quicker to make.
   */
  function mango(ready: (recordingId: string) => boolean) {
    const asked: string[] = [];
    server.use(
      rest.post(POST, async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        const json = form.get('json') ?? '';
        if (form.get('sign') !== sign(json)) return HttpResponse.json({ result: 3102 }, { status: 401 });
        const id = (JSON.parse(json) as { recording_id: string }).recording_id;
        asked.push(id);
        if (!ready(id)) return HttpResponse.json({ result: 4004, message: 'not found' }, { status: 404 });
        return new HttpResponse(null, { status: 302, headers: { location: `https://files.mango-office.ru/once/${id}-${asked.length}` } });
      }),
      rest.get('https://files.mango-office.ru/once/:link', () => new HttpResponse(toneWav(2), { headers: { 'content-type': 'audio/mpeg' } })),
    );
    return asked;
  }

  it("archives both employees' recordings, the one not ready at first on a later try, and links the call's MP3 from the note", async () => {
    const storage = new MemoryStorage();
    const d = deliveryHarness(testDb(), { env, recordings: { storage, fetchFor: runtimeFetchFor } });
    let late = false;
    const asked = mango((id) => id !== t.recording321Completed.recording_id || late);
    for (const n of [...sent, lateRecording]) {
      const res = await post(n, { app: d });
      expect(res.status).toBe(200);
    }
    d.clock.advance(30);
    for (let i = 0; i < 3; i++) await runTick(d.deps);
    const byKey = async () => Object.fromEntries((await testDb().db.select().from(recordings)).map((r) => [r.recordingKey, r]));
    let rows = await byKey();
    expect(rows[t.recording333Completed.recording_id]).toMatchObject({ fetchState: 'archived', fetchAttempts: 1, originUrl: null, format: 'wav' });
    // Not ready yet: retried later, not failed.
    expect(rows[t.recording321Completed.recording_id]).toMatchObject({
      fetchState: 'waiting',
      fetchAttempts: 1,
      fetchError: expect.stringContaining('is not there (yet) (result 4004: not found)'),
    });

    late = true;
    d.clock.advance(60);
    for (let i = 0; i < 3; i++) await runTick(d.deps);
    rows = await byKey();
    expect(rows[t.recording321Completed.recording_id]).toMatchObject({ fetchState: 'archived', fetchAttempts: 2, originUrl: null, fetchError: null });
    expect(asked).toEqual([t.recording333Completed.recording_id, t.recording321Completed.recording_id, t.recording321Completed.recording_id]);
    const [audio] = await testDb().db.select().from(callAudio);
    expect(audio?.builtFrom).toHaveLength(2);
    await d.drain();
    const [note] = d.sandbox.store.notesByUniq(conversationUniq('mango', t.ENTRY));
    expect(note?.params.link).toMatch(/\/recordings\/.+\.mp3\?k=/);
  });
});
