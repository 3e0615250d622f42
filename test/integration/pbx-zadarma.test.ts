/**
 * Zadarma through the HTTP app into the ledger, on PGlite and on PostgreSQL: the URL check, signed
 * notifications of a transferred call in any order, a late recording, and its link asked for
 * through Zadarma's API (answered here by msw).
 */
import { createHash, createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { inboxEvents, recordings } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import * as transfer from '../../src/pbx/zadarma/fixtures/inbound-transfer';
import type { Notification } from '../../src/pbx/zadarma/fixtures/form';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';
import { API, KEY, SECRET, zadarmaSignature } from '#test/zadarma';

const signature = zadarmaSignature;

const server = strictMswServer();

const testDb = useTestDb();
let h: Harness;
beforeEach(() => {
  h = harness(testDb(), { env: { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET } });
});

function post(n: Notification, options: { signature?: string | null; app?: Harness } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const sig = options.signature === undefined ? signature(n) : options.signature;
  if (sig !== null) headers.Signature = sig;
  return (options.app ?? h).app.request('/v1/pbx/zadarma', { method: 'POST', body: new URLSearchParams(n).toString(), headers });
}

/** The fixture call under its own ids, so several runs live side by side in one database. */
function renamed(prefix: string, n: Notification): Notification {
  const out: Record<string, string> = { ...n };
  for (const field of ['pbx_call_id', 'call_id_with_rec']) if (out[field]) out[field] = `${prefix}${out[field]}`;
  return out;
}

describe('the URL check', () => {
  it('echoes zd_echo as text when enabled, and is 404 otherwise', async () => {
    const res = await h.app.request('/v1/pbx/zadarma?zd_echo=8f3b1c2d');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('8f3b1c2d');
    expect((await h.app.request('/v1/pbx/zadarma')).status).toBe(400);

    const off = harness(testDb());
    const disabled = await off.app.request('/v1/pbx/zadarma?zd_echo=8f3b1c2d');
    expect(disabled.status).toBe(404);
    expect(((await disabled.json()) as { error: { message: string } }).error.message).toMatch(/ZADARMA_API_KEY and ZADARMA_API_SECRET/);
  });
});

describe('a transferred call, late recording included', () => {
  // Arrival orders of the seven notifications sent during the call (indexes into inOrder).
  const orders: [string, number[]][] = [
    ['in order', [0, 1, 2, 3, 4, 5, 6]],
    ['reversed', [6, 5, 4, 3, 2, 1, 0]],
    ['end first', [5, 6, 0, 2, 1, 4, 3]],
    ['recording first', [6, 3, 4, 0, 5, 1, 2]],
  ];

  // The tick asks for the files' links; Zadarma is still saving them (the links are tested below).
  beforeEach(() => {
    server.use(rest.get(API, () => HttpResponse.json({ status: 'error', message: 'Requested file not found' })));
  });

  async function deliver(prefix: string, order: number[]) {
    const stream = order.map((i) => renamed(prefix, transfer.inOrder[i] as Notification));
    // Zadarma resends: the first and the end twice.
    for (const n of [...stream, stream[0] as Notification, renamed(prefix, transfer.end)]) {
      const res = await post(n);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      h.clock.advance(1);
    }
    h.clock.advance(60);
    await runTick(h.deps);
    // The other extension's file, announced after the call was settled.
    expect((await post(renamed(prefix, transfer.record100))).status).toBe(200);
  }

  it.each(orders)('assembles one conversation the same way: %s, with duplicates', async (_name, order) => {
    await deliver('ref-', orders[0]?.[1] ?? []);
    await deliver('run-', order);
    const [reference] = await snapshot(testDb().db, 'ref-');
    const [run] = await snapshot(testDb().db, 'run-');
    expect(run).toEqual(reference);
    expect(run).toMatchObject({ direction: 'inbound', externalNumber: '+74951234567', outcome: 'answered', talkSeconds: 210, extension: '205', legCount: 5 });
    expect(run).toMatchObject({ awaitingRecordings: false, final: true, settled: true });
    expect(run).toMatchObject({
      deliveries: [{ state: 'pending' }],
    });
    expect(run?.legs.map((l) => [l.legKey, l.disposition, l.talkSeconds]).sort()).toEqual([
      [transfer.PBX_CALL_ID, 'answered', 210],
      [`${transfer.PBX_CALL_ID}:answered:100`, 'answered', 0],
      [`${transfer.PBX_CALL_ID}:answered:205`, 'answered', 0],
      [`${transfer.PBX_CALL_ID}:rang:100`, 'no_answer', 0],
      [`${transfer.PBX_CALL_ID}:rang:205`, 'no_answer', 0],
    ]);
    expect(run?.recordings).toEqual([
      { recordingKey: '1795158000.1001', legKey: transfer.PBX_CALL_ID, originUrl: undefined, status: 'referenced' },
      { recordingKey: '1795158000.2051', legKey: transfer.PBX_CALL_ID, originUrl: undefined, status: 'referenced' },
    ]);
  });

  it('settles at the end of the call, takes the late recording into the settled call, and keeps one delivery', async () => {
    for (const n of transfer.inOrder) await post(n);
    const settled = await conversationByKey(testDb().db, transfer.PBX_CALL_ID);
    expect(settled).toMatchObject({ settledAt: h.clock.now, awaitingRecordings: false });
    h.clock.advance(120);
    await post(transfer.record100);
    const after = await conversationByKey(testDb().db, transfer.PBX_CALL_ID);
    expect(after?.recordings.map((r) => r.vendorRef)).toEqual(['1795158000.1001', '1795158000.2051']);
    expect(after?.revision).toBe((settled?.revision ?? 0) + 1);
    expect(after?.deliveries).toHaveLength(1);
    expect(after?.settledAt).toEqual(settled?.settledAt);
  });
});

describe("recording links from Zadarma's API", () => {
  it('are asked for by call_id on the tick, signed, and put on the recordings', async () => {
    const seen: { callId: string | null; authorization: string | null; query: string }[] = [];
    server.use(
      rest.get(API, ({ request }) => {
        const url = new URL(request.url);
        const callId = url.searchParams.get('call_id');
        seen.push({ callId, authorization: request.headers.get('authorization'), query: url.search.slice(1) });
        return HttpResponse.json({
          status: 'success',
          link: `https://api.zadarma.com/v1/pbx/record/download/x/${callId}.mp3`,
          lifetime_till: '2027-01-19 10:00:00',
        });
      }),
    );
    for (const n of [...transfer.inOrder, transfer.record100]) await post(n);
    const tick = await runTick(h.deps);
    expect(tick.linked).toBe(2);
    expect(seen.map((s) => s.callId).sort()).toEqual(['1795158000.1001', '1795158000.2051']);
    for (const s of seen) {
      const md5 = createHash('md5').update(s.query).digest('hex');
      const hex = createHmac('sha1', SECRET).update(`/v1/pbx/record/request/${s.query}${md5}`).digest('hex');
      expect(s.authorization).toBe(`${KEY}:${Buffer.from(hex).toString('base64')}`);
    }
    const call = await conversationByKey(testDb().db, transfer.PBX_CALL_ID);
    expect(call?.recordings.map((r) => [r.vendorRef, r.originUrl, r.nextFetchAt])).toEqual([
      ['1795158000.1001', 'https://api.zadarma.com/v1/pbx/record/download/x/1795158000.1001.mp3', null],
      ['1795158000.2051', 'https://api.zadarma.com/v1/pbx/record/download/x/1795158000.2051.mp3', null],
    ]);
    expect((await runTick(h.deps)).linked).toBe(0);
  });

  it('waits while Zadarma is still saving the file, then links it', async () => {
    let ready = false;
    server.use(
      rest.get(API, () =>
        ready
          ? HttpResponse.json({ status: 'success', link: 'https://api.zadarma.com/v1/pbx/record/download/x/f.mp3' })
          : HttpResponse.json({ status: 'error', message: 'Requested file not found' }),
      ),
    );
    for (const n of transfer.inOrder) await post(n);
    expect((await runTick(h.deps)).linked).toBe(0);
    const [waiting] = await testDb().db.select().from(recordings);
    expect(waiting).toMatchObject({ originUrl: null, fetchAttempts: 0, fetchError: null, nextFetchAt: new Date(h.clock.now.getTime() + 20_000) });
    ready = true;
    h.clock.advance(20);
    expect((await runTick(h.deps)).linked).toBe(1);
    const [linked] = await testDb().db.select().from(recordings);
    expect(linked?.originUrl).toBe('https://api.zadarma.com/v1/pbx/record/download/x/f.mp3');
  });
});

describe("what Zadarma's endpoint refuses", () => {
  it.each([
    ['a wrong signature', signature(transfer.end, 'not-the-secret'), /does not match/],
    ['no signature', null, /missing Signature header/],
  ])('401 for %s, and nothing stored', async (_name, sig, message) => {
    const res = await post(transfer.end, { signature: sig });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(message),
    });
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('400 with the problem named for a malformed notification, and nothing stored', async () => {
    const res = await post({ ...transfer.end, duration: 'long' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_body',
      message: 'duration: expected whole seconds',
    });
    const unknown = await post({ event: 'SMS', caller_id: '1' }, { signature: 'anything' });
    expect(unknown.status).toBe(400);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('404 while ZADARMA_API_KEY / ZADARMA_API_SECRET are not set', async () => {
    const off = harness(testDb());
    const res = await post(transfer.end, { app: off });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('source_disabled');
  });
});

describe('surface', () => {
  it('is described in the OpenAPI document', async () => {
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/v1/pbx/zadarma'] ?? {}).sort()).toEqual(['get', 'post']);
  });
});

describe('ring time', () => {
  it('accepts a signed NOTIFY_START and NOTIFY_INTERNAL as the call rings, and stores them', async () => {
    for (const n of [renamed('ring-', transfer.start), renamed('ring-', transfer.rings100)]) {
      const res = await post(n);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
    }
    const rows = await testDb().db.select().from(inboxEvents).where(eq(inboxEvents.source, 'zadarma'));
    expect(rows.map((r) => r.status)).toEqual(['processed', 'processed']);
    expect((await post(renamed('ring-', transfer.start), { signature: 'bm90IHRoZSBzaWduYXR1cmU=' })).status).toBe(401);
  });
});

describe('store first', () => {
  it('keeps the body raw in the inbox when it answers 200', async () => {
    const res = await post(transfer.end);
    expect(res.status).toBe(200);
    const [row] = await testDb().db.select().from(inboxEvents).where(eq(inboxEvents.source, 'zadarma'));
    expect(row).toMatchObject({ source: 'zadarma', status: 'processed', raw: new URLSearchParams(transfer.end).toString() });
  });

  it('does not answer 200 when the body could not be stored', async () => {
    const broken = harness(testDb(), {
      env: { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET },
      deps: { ingest: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) },
    });
    const res = await post(transfer.end, { app: broken });
    expect(res.status).toBe(503);
    expect(await counts(testDb().db)).toMatchObject({ inbox: 0 });
  });
});
