/**
 * The Twilio source end to end through the HTTP app, on PGlite and on PostgreSQL: signed
 * callbacks in any order, repeated, become one conversation; everything else is refused.
 * Signatures are computed here with Node's crypto, from Twilio's description of the scheme.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { shuffled } from '#test/shuffle';
import { inboxEvents } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import * as inbound from '../../src/pbx/twilio/fixtures/inbound-transfer';
import * as browser from '../../src/pbx/twilio/fixtures/outbound-from-browser';
import * as api from '../../src/pbx/twilio/fixtures/outbound-api';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';

const testDb = useTestDb();
const TOKEN = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const PUBLIC_URL = 'https://calltrail.example';
const STATUS = '/v1/pbx/twilio/status';
const RECORDING = '/v1/pbx/twilio/recording';

type Params = Record<string, string>;

function twilio(env: Record<string, string> = {}, twilioConfig: Record<string, unknown> = {}): Harness {
  return harness(testDb(), {
    env: { TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL, ...env },
    config: { sources: sourcesConfigSchema.parse({ twilio: { own_numbers: ['+74993334455'], ...twilioConfig } }) },
  });
}

function sign(url: string, params: Params, token = TOKEN): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

async function post(h: Harness, path: string, params: Params, o: { header?: string; token?: string; signedUrl?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  headers['x-twilio-signature'] = o.header ?? sign(o.signedUrl ?? PUBLIC_URL + path, params, o.token);
  return h.app.request(path, { method: 'POST', body: new URLSearchParams(params).toString(), headers });
}

const conversation: [string, Params][] = [
  [STATUS, inbound.parentRinging],
  [STATUS, inbound.bobNoAnswer],
  [STATUS, inbound.aliceCompleted],
  [STATUS, inbound.sipCompleted],
  [STATUS, inbound.parentCompleted],
  [RECORDING, inbound.recordingInProgress],
  [RECORDING, inbound.recordingCompleted],
];

describe('twilio: one conversation from its callbacks', () => {
  it('waits for the late recording, then settles one conversation with the transfer in it', async () => {
    const h = twilio();
    for (const [path, params] of conversation.slice(0, 5)) expect((await post(h, path, params)).status).toBe(204);
    let call = await conversationByKey(h.deps.db, inbound.PARENT_SID);
    expect(call).toMatchObject({ legCount: 4, awaitingRecordings: true, settledAt: null, finalSeenAt: expect.any(Date) });

    h.clock.advance(5);
    for (const [path, params] of conversation.slice(5)) expect((await post(h, path, params)).status).toBe(204);
    // Twilio cannot say which callback is its last: complete, the call still waits SETTLE_SECONDS of quiet.
    expect(await conversationByKey(h.deps.db, inbound.PARENT_SID)).toMatchObject({ awaitingRecordings: false, settledAt: null });
    h.clock.advance(30);
    await runTick(h.deps);
    call = await conversationByKey(h.deps.db, inbound.PARENT_SID);
    expect(call).toMatchObject({
      source: 'twilio',
      direction: 'inbound',
      externalNumber: '+74951234567',
      outcome: 'answered',
      talkSeconds: 180,
      durationSeconds: 190,
      extension: '102',
      legCount: 4,
      awaitingRecordings: false,
      settledAt: h.clock.now,
    });
    expect(call?.legs.map((l) => [l.legKey, l.disposition, l.extension, l.final])).toEqual([
      [inbound.BOB_SID, 'no_answer', 'bob', false],
      [inbound.ALICE_SID, 'answered', 'alice', false],
      [inbound.SIP_SID, 'answered', '102', false],
      [inbound.PARENT_SID, 'no_answer', null, true],
    ]);
    expect(call?.recordings).toMatchObject([
      { recordingKey: inbound.RECORDING_SID, legKey: '*', originUrl: `${inbound.recordingCompleted.RecordingUrl}.mp3`, status: 'referenced' },
    ]);
    expect(call?.deliveries).toMatchObject([{ state: 'pending' }]);
    expect(h.log.lines.join('\n')).not.toMatch(/4951234567|4993334455/);
  });

  it('gives the same ledger for the callbacks in any order, each repeated', async () => {
    const orders = [conversation, [...conversation].reverse(), shuffled(conversation, 7), shuffled(conversation, 2026), shuffled(conversation, 42)];
    const snapshots = [];
    for (const order of orders) {
      await testDb().db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries restart identity cascade`);
      const h = twilio();
      for (const [path, params] of [...order, ...shuffled(order, 3)]) {
        h.clock.advance(1);
        expect((await post(h, path, params)).status).toBe(204);
      }
      h.clock.advance(60);
      await runTick(h.deps);
      expect(await counts(h.deps.db)).toEqual({ inbox: 7, conversations: 1, legs: 4, recordings: 1, deliveries: 1 });
      snapshots.push(await snapshot(h.deps.db, ''));
    }
    expect(snapshots[0]).toMatchObject([
      { direction: 'inbound', externalNumber: '+74951234567', outcome: 'answered', talkSeconds: 180, extension: '102', settled: true },
    ]);
    for (const s of snapshots.slice(1)) expect(s).toEqual(snapshots[0]);
  });

  it('assembles an outbound call from the browser that met a busy line, with an absent recording', async () => {
    const h = twilio();
    await post(h, STATUS, browser.dialBusy);
    await post(h, STATUS, browser.parentCompleted);
    await post(h, RECORDING, browser.recordingAbsent);
    h.clock.advance(30);
    await runTick(h.deps);
    const call = await conversationByKey(h.deps.db, browser.PARENT_SID);
    expect(call).toMatchObject({ direction: 'outbound', externalNumber: '+14155550100', outcome: 'busy', extension: 'alice', talkSeconds: 0 });
    expect(call?.recordings).toMatchObject([{ status: 'absent', originUrl: null }]);
    expect(call?.settledAt).toEqual(h.clock.now);
  });
});

describe('twilio: outcomes and times as Twilio meant them', () => {
  it('a Calls API call the customer answered is answered, with CallDuration as talk time', async () => {
    const h = twilio({}, { expect_recordings: false });
    expect((await post(h, STATUS, api.answered)).status).toBe(204);
    h.clock.advance(30);
    await runTick(h.deps);
    expect(await conversationByKey(h.deps.db, api.CALL_SID)).toMatchObject({
      direction: 'outbound',
      externalNumber: '+79161234567',
      outcome: 'answered',
      talkSeconds: 42,
      durationSeconds: 42,
    });
  });

  it('a Calls API call a voicemail answered reached no one', async () => {
    const h = twilio({}, { expect_recordings: false });
    expect((await post(h, STATUS, api.voicemail)).status).toBe(204);
    h.clock.advance(30);
    await runTick(h.deps);
    expect(await conversationByKey(h.deps.db, api.CALL_SID)).toMatchObject({ direction: 'outbound', outcome: 'missed', talkSeconds: 0 });
  });

  it("a click-to-call is the customer leg's: answered by the agent, then by the customer", async () => {
    const h = twilio({}, { expect_recordings: false });
    await post(h, STATUS, api.clickToCallCustomer);
    await post(h, STATUS, api.clickToCallAgent);
    h.clock.advance(30);
    await runTick(h.deps);
    expect(await conversationByKey(h.deps.db, api.CALL_SID)).toMatchObject({
      direction: 'outbound',
      externalNumber: '+79161234567',
      extension: 'alice',
      outcome: 'answered',
      talkSeconds: 60,
      legCount: 2,
    });
  });
});

describe('twilio: the inbox and the answers Twilio gets', () => {
  it('stores the raw body with its callback kind before answering 204, and takes a retry as a duplicate', async () => {
    const h = twilio();
    const res = await post(h, STATUS, inbound.aliceCompleted);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const [row] = await h.deps.db.select().from(inboxEvents);
    expect(row).toMatchObject({
      source: 'twilio',
      status: 'processed',
      raw: new URLSearchParams(inbound.aliceCompleted).toString(),
      meta: { callback: 'status' },
      dedupeKey: `status:${inbound.ALICE_SID}:completed`,
    });
    // Twilio's retry may carry the parameters in another order: still the same callback.
    const reordered = Object.fromEntries(Object.entries(inbound.aliceCompleted).reverse());
    expect((await post(h, STATUS, reordered)).status).toBe(204);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 1, legs: 1 });
  });

  it('verifies against PUBLIC_URL, path prefix included, not the URL the service was reached at', async () => {
    const h = twilio({ PUBLIC_URL: 'https://hooks.example.com/calltrail' });
    const signedUrl = `https://hooks.example.com/calltrail${STATUS}`;
    expect((await post(h, STATUS, inbound.aliceCompleted, { signedUrl })).status).toBe(204);
    expect((await post(h, STATUS, inbound.bobNoAnswer)).status).toBe(401);
  });

  it.each([
    ['no signature', { header: '' }, /missing X-Twilio-Signature/],
    ['a signature made with another token', { token: 'another-auth-token-0123456789ab' }, /does not match/],
    ['a signature for another URL', { signedUrl: `${PUBLIC_URL}${RECORDING}` }, /does not match/],
    ['a malformed signature', { header: 'not base64!' }, /malformed/],
  ])('401 for %s, and nothing stored', async (_name, options, message) => {
    const h = twilio();
    const res = await post(h, STATUS, inbound.aliceCompleted, options);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(message),
    });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('400 with the problem named for a body that is not a Twilio callback, and nothing stored', async () => {
    const h = twilio();
    const res = await post(h, STATUS, { ...inbound.aliceCompleted, CallStatus: 'hung-up' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_body',
      message: expect.stringMatching(/^CallStatus: expected one of queued/),
    });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0 });
  });

  it('404 while TWILIO_AUTH_TOKEN is unset', async () => {
    const h = twilio({ TWILIO_AUTH_TOKEN: '' });
    for (const path of [STATUS, RECORDING]) {
      const res = await post(h, path, inbound.aliceCompleted);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/TWILIO_AUTH_TOKEN/);
    }
  });

  it('describes both callbacks in the OpenAPI document', async () => {
    const doc = (await (await twilio().app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([STATUS, RECORDING]));
  });
});

describe('twilio: ring time', () => {
  it('accepts signed ringing and in-progress callbacks as the call happens, and stores them', async () => {
    const h = twilio();
    const ringing = { ...inbound.aliceCompleted, CallStatus: 'ringing', CallDuration: '0' };
    const answered = { ...inbound.aliceCompleted, CallStatus: 'in-progress', CallDuration: '0' };
    for (const params of [inbound.parentRinging, ringing, answered]) expect((await post(h, STATUS, params)).status).toBe(204);
    const rows = await h.deps.db.select().from(inboxEvents);
    expect(rows.map((r) => r.status)).toEqual(['processed', 'processed', 'processed']);
    expect((await post(h, STATUS, ringing, { token: 'not-the-token-0123456789abcdef0' })).status).toBe(401);
  });
});
