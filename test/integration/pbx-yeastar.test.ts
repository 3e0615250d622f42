/**
 * The Yeastar source end to end through the HTTP app, on PGlite and on PostgreSQL: one report per
 * call segment, in any order and repeated, becomes one conversation; unsigned, malformed and
 * disabled requests are refused. Signatures are computed here with Node's crypto.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { http as rest, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { shuffled } from '#test/shuffle';
import { callAudio, inboxEvents, recordings } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import pInternal from '../../src/pbx/yeastar/fixtures/p-series-internal-call.json';
import transfer from '../../src/pbx/yeastar/fixtures/s-series-inbound-transfer.json';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';
import { strictMswServer } from '#test/msw';
import { toneWav } from '#test/pbx-files';

const testDb = useTestDb();
const server = strictMswServer();
const SECRET = 'ys-webhook-secret-0123456789';
const PATH = '/v1/pbx/yeastar';
const CALL_ID = '1763622000.2201';

function yeastar(env: Record<string, string> = {}, config: Record<string, unknown> = {}): Harness {
  return harness(testDb(), {
    env: { YEASTAR_WEBHOOK_SECRET: SECRET, ...env },
    config: { sources: sourcesConfigSchema.parse({ yeastar: { recording_url: 'https://pbx.example/recordings/{file}', ...config } }) },
  });
}

const sign = (raw: string, secret = SECRET) => createHmac('sha256', secret).update(raw, 'utf8').digest('base64');

async function post(h: Harness, body: unknown, o: { header?: string | null; secret?: string; path?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const header = o.header === undefined ? sign(raw, o.secret) : o.header;
  if (header !== null) headers['x-signature'] = header;
  return h.app.request(o.path ?? PATH, { method: 'POST', body: raw, headers });
}

describe('yeastar: one conversation from its reports', () => {
  it('assembles the ring group, the transfer and both recordings into one call', async () => {
    const h = yeastar();
    for (const report of transfer) {
      h.clock.advance(1);
      const res = await post(h, report);
      expect(res.status).toBe(200);
    }
    h.clock.advance(60);
    await runTick(h.deps);
    const call = await conversationByKey(h.deps.db, CALL_ID);
    expect(call).toMatchObject({ source: 'yeastar', direction: 'inbound', externalNumber: '+74951234567', externalNumberRaw: '84951234567' });
    expect(call).toMatchObject({ outcome: 'answered', talkSeconds: 180, durationSeconds: 190, extension: '102', legCount: 3, awaitingRecordings: false });
    expect(call).toMatchObject({ startedAt: new Date('2026-11-20T07:00:00Z'), settledAt: expect.any(Date) });
    expect(call?.legs.map((l) => [l.toRaw, l.disposition, l.talkSeconds]).sort()).toEqual([
      ['101', 'answered', 60],
      ['102', 'answered', 120],
      ['103', 'no_answer', 0],
    ]);
    expect(call?.recordings.map((r) => [r.originUrl, r.status])).toEqual([
      ['https://pbx.example/recordings/20261120100005-1763622000.2201-84951234567-101-Inbound.wav', 'referenced'],
      ['https://pbx.example/recordings/20261120100110-1763622000.2201-84951234567-102-Inbound.wav', 'referenced'],
    ]);
    expect(call?.deliveries).toMatchObject([{ state: 'pending' }]);
    expect(h.log.lines.join('\n')).not.toMatch(/4951234567/);
  });

  it('gives the same ledger for the reports in any order, each repeated', async () => {
    const orders = [transfer, [...transfer].reverse(), shuffled(transfer, 5), shuffled(transfer, 99)];
    const snapshots = [];
    for (const order of orders) {
      await testDb().db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries restart identity cascade`);
      const h = yeastar();
      for (const report of [...order, ...shuffled(order, 11)]) {
        h.clock.advance(2);
        expect((await post(h, report)).status).toBe(200);
      }
      h.clock.advance(60);
      await runTick(h.deps);
      expect(await counts(h.deps.db)).toEqual({ inbox: 3, conversations: 1, legs: 3, recordings: 2, deliveries: 1 });
      snapshots.push(await snapshot(h.deps.db, ''));
    }
    expect(snapshots[0]).toMatchObject([{ externalNumber: '+74951234567', talkSeconds: 180, extension: '102', settled: true }]);
    for (const s of snapshots.slice(1)) expect(s).toEqual(snapshots[0]);
  });

  it('takes a P-Series 30012 event and skips the delivery of an internal call', async () => {
    const h = yeastar();
    const res = await post(h, pInternal);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', inbox_id: 1, events: 1 });
    h.clock.advance(30);
    await runTick(h.deps);
    const call = await conversationByKey(h.deps.db, '1651057476.362');
    expect(call).toMatchObject({ direction: 'internal', talkSeconds: 21 });
    expect(call?.deliveries).toMatchObject([{ state: 'skipped' }]);
  });
});

describe('yeastar: the inbox and what is refused', () => {
  it('stores the raw body before answering 200', async () => {
    const h = yeastar();
    const raw = JSON.stringify(transfer[1]);
    expect((await post(h, raw)).status).toBe(200);
    const [row] = await h.deps.db.select().from(inboxEvents);
    expect(row).toMatchObject({ source: 'yeastar', status: 'processed', raw });
  });

  it.each([
    ['no signature', { header: null }, /missing X-Signature/],
    ['a signature made with another secret', { secret: 'another-secret-0123456789' }, /does not match/],
    ['a malformed signature', { header: 'abc' }, /malformed/],
    ['a token in the URL while that is not enabled', { header: null, path: `${PATH}?token=${SECRET}` }, /missing X-Signature/],
  ])('401 for %s, and nothing stored', async (_name, options, message) => {
    const h = yeastar();
    const res = await post(h, transfer[1], options);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(message),
    });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('accepts the secret as ?token= only when accept_token_in_url is set', async () => {
    const h = yeastar({}, { accept_token_in_url: true });
    expect((await post(h, transfer[1], { header: null, path: `${PATH}?token=${SECRET}` })).status).toBe(200);
    expect((await post(h, transfer[2], { header: null, path: `${PATH}?token=guess` })).status).toBe(401);
    expect((await post(h, transfer[2], { header: null })).status).toBe(401);
    const [row] = await h.deps.db.select().from(inboxEvents);
    expect(row?.meta).toEqual({});
  });

  it('400 with the problem named, and nothing stored', async () => {
    const h = yeastar();
    const res = await post(h, { ...transfer[1], status: 'HUNG UP' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual(
      expect.objectContaining({ code: 'invalid_body', message: 'status: expected ANSWERED, NO ANSWER, BUSY or VOICEMAIL' }),
    );
    expect((await post(h, '{"event":')).status).toBe(400);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0 });
  });

  it('404 while YEASTAR_WEBHOOK_SECRET is unset', async () => {
    const h = yeastar({ YEASTAR_WEBHOOK_SECRET: '' });
    const res = await post(h, transfer[1]);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/YEASTAR_WEBHOOK_SECRET/);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await yeastar().app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain(PATH);
  });
});

describe('yeastar: recordings the PBX keeps, downloaded through its API', () => {
  const BASE = 'https://pbx.example.com:8088';
  const FILE = '20220427190445-1651057476.362-2005-2002-Internal.wav';

  /** A P-Series PBX as its OpenAPI reference describes it (msw); its first token is already expired. */
  function pSeries() {
    const seen: string[] = [];
    let issued = 0;
    server.use(
      rest.post(`${BASE}/openapi/v1.0/get_token`, () => {
        seen.push('get_token');
        issued++;
        return HttpResponse.json({ errcode: 0, errmsg: 'SUCCESS', access_token_expire_time: 1800, access_token: `tok${issued}` });
      }),
      rest.get(`${BASE}/openapi/v1.0/recording/download`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        seen.push(`recording/download ${q.get('access_token')}`);
        if (q.get('access_token') === 'tok1') return HttpResponse.json({ errcode: 10004, errmsg: 'TOKEN EXPIRED' });
        if (q.get('file') !== FILE) return HttpResponse.json({ errcode: 60001, errmsg: 'DATA NOT FOUND' });
        return HttpResponse.json({ errcode: 0, errmsg: 'SUCCESS', file: FILE, download_resource_url: '/api/download/Recording-download-M8zB66xYUNTNMr2D.wav' });
      }),
      rest.get(`${BASE}/api/download/:name`, () => new HttpResponse(toneWav(2), { headers: { 'content-type': 'audio/x-wav' } })),
    );
    return seen;
  }

  it('downloads the file the report names (renewing an expired token), archives it and builds the MP3; nothing of the link is kept', async () => {
    const seen = pSeries();
    const h = harness(testDb(), {
      env: { YEASTAR_WEBHOOK_SECRET: SECRET },
      config: {
        sources: sourcesConfigSchema.parse({
          yeastar: { time_zone: 'Asia/Shanghai', api: { edition: 'p-series', base_url: BASE, username: 'client-id', password: 'client-secret' } },
        }),
      },
      deps: { recordings: { storage: new MemoryStorage(), fetchFor: runtimeFetchFor } },
    });
    expect((await post(h, pInternal)).status).toBe(200);
    for (let i = 0; i < 3; i++) await runTick(h.deps);
    const [row] = await testDb().db.select().from(recordings);
    expect(row).toMatchObject({ recordingKey: FILE, vendorRef: FILE, originUrl: null, fetchState: 'archived', fetchAttempts: 1, format: 'wav' });
    expect(seen).toEqual(['get_token', 'recording/download tok1', 'get_token', 'recording/download tok2']);
    expect(await testDb().db.$count(callAudio)).toBe(1);
  });
});

describe('yeastar: ring time', () => {
  it('accepts a signed P-Series 30011 (ringing) and an S-Series RING report, counted as events', async () => {
    const h = yeastar();
    const p30011 = {
      type: 30011,
      sn: '3631A2124XXX',
      msg: JSON.stringify({
        call_id: CALL_ID,
        members: [
          { inbound: { from: '84951234567', to: '74993334455', trunk_name: 'MTS-SIP', member_status: 'ALERT' } },
          { extension: { number: '101', member_status: 'RING' } },
        ],
      }),
    };
    const sRing = {
      action: 'RING',
      callid: CALL_ID,
      call: [{ inbound: { from: '84951234567', to: '74993334455', trunk: 'MTS-SIP' } }, { ext: { extid: '102' } }],
      sn: '369451090405',
    };
    for (const body of [p30011, sRing]) {
      const res = await post(h, body);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'processed', events: 1 });
    }
    expect((await post(h, p30011, { secret: 'another-secret' })).status).toBe(401);
  });
});
