/**
 * POST /v1/pbx/asterisk/cdr: signed Master.csv lines and AMI Cdr events into the ledger. A
 * transfer chain (caller → secretary 100 → sales rep 205) is one conversation handled by 205
 * with both recording segments, whether its CDRs come in order, duplicated, shuffled, one per
 * request or as AMI events; the security and error paths store nothing.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shuffled } from '#test/shuffle';
import { inboxEvents } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import { amiEvent, masterCsvLine, missedCall, transferChain } from '../../src/pbx/asterisk/testing';
import { harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts, snapshot } from '#test/ledger';

const SECRET = 'asterisk-secret-0123456789';
const getDb = useTestDb();

/** The documented scheme, computed here without the code under test. */
function sign(raw: string, t: number, secret = SECRET): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;
}

function post(h: Harness, raw: string, options: { type?: string; signature?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': options.type ?? 'text/csv' };
  const t = Math.floor(h.clock.now.getTime() / 1000);
  if (options.signature !== null) headers['x-calltrail-signature'] = options.signature ?? sign(raw, t);
  return h.app.request('/v1/pbx/asterisk/cdr', { method: 'POST', body: raw, headers });
}

const setup = () => harness(getDb(), { env: { ASTERISK_WEBHOOK_SECRET: SECRET } });
const csv = (id: string) => transferChain(id).map((c) => masterCsvLine(c));

describe('POST /v1/pbx/asterisk/cdr', () => {
  it('makes a transfer chain one conversation handled by the rep, with every recording segment, however it arrives', async () => {
    const h = setup();
    const db = getDb().db;
    // In order, in one body.
    const inOrder = await post(h, `${csv('p1-1763622000').join('\n')}\n`);
    expect(inOrder.status).toBe(202);
    expect(await inOrder.json()).toMatchObject({ status: 'processed', events: 3 });
    // One line per request, shuffled, every line twice.
    for (const line of shuffled([...csv('p2-1763622000'), ...csv('p2-1763622000')], 7)) {
      expect((await post(h, line, { type: 'text/plain; charset=utf-8' })).status).toBe(202);
    }
    // AMI events, reversed, in one array.
    const ami = JSON.stringify(transferChain('p3-1763622000').map(amiEvent).reverse());
    expect((await post(h, ami, { type: 'application/json' })).status).toBe(202);
    // The same body again is a duplicate.
    expect(await (await post(h, ami, { type: 'application/json' })).json()).toMatchObject({ status: 'duplicate' });

    const call = await conversationByKey(db, 'p1-1763622000.1');
    expect(call).toMatchObject({
      source: 'asterisk',
      direction: 'inbound',
      externalNumber: '+74951234567',
      extension: '205',
      outcome: 'answered',
      legCount: 3,
      talkSeconds: 210,
      durationSeconds: 215,
    });
    expect(call?.recordings.map((r) => r.originUrl)).toEqual([
      '/var/spool/asterisk/monitor/in-74951234567-100-20261120-100000-p1-1763622000.1.wav',
      '/var/spool/asterisk/monitor/in-74951234567-205-20261120-100035-p1-1763622000.1.wav',
    ]);
    // Each variant's ids carry its prefix, recording names too: compare without it.
    const variant = async (prefix: string) => JSON.parse(JSON.stringify(await snapshot(db, prefix)).replaceAll(prefix, '')) as unknown[];
    const first = await variant('p1-');
    expect(first).toHaveLength(1);
    expect(await variant('p2-')).toEqual(first);
    expect(await variant('p3-')).toEqual(first);
    expect(await counts(db)).toMatchObject({ conversations: 3, legs: 9, recordings: 6 });

    // The content type is kept to read a stored body the same way again.
    const metas = await db.select({ meta: inboxEvents.meta }).from(inboxEvents);
    expect(new Set(metas.map((m) => m.meta.content_type))).toEqual(new Set(['text/csv', 'text/plain', 'application/json']));

    // No CDR says it is the last: the call settles after SETTLE_SECONDS of quiet.
    expect(call?.settledAt).toBeNull();
    h.clock.advance(31);
    await runTick(h.deps);
    expect((await conversationByKey(db, 'p1-1763622000.1'))?.settledAt).not.toBeNull();
  });

  it('settles a call as soon as CEL says its last channel is gone (LINKEDID_END), not SETTLE_SECONDS later', async () => {
    const h = setup();
    const db = getDb().db;
    expect((await post(h, `${csv('cel-1763622000').join('\n')}\n`)).status).toBe(202);
    expect((await conversationByKey(db, 'cel-1763622000.1'))?.settledAt).toBeNull();
    const cel = { Event: 'CEL', EventName: 'LINKEDID_END', LinkedID: 'cel-1763622000.1', UniqueID: 'cel-1763622000.1', EventTime: '1795158215.000000' };
    const res = await post(h, JSON.stringify(cel), { type: 'application/json' });
    expect(await res.json()).toMatchObject({ status: 'processed', events: 1 });
    const call = await conversationByKey(db, 'cel-1763622000.1');
    expect(call).toMatchObject({ closedAt: new Date('2026-11-20T07:03:35Z'), legCount: 3 });
    expect(call?.settledAt).toEqual(h.clock.now);
    expect(call?.deliveries).toHaveLength(1);
  });

  it('drops the dialled channel’s own record (AppDial) with its reason, kept as the inbox body’s note', async () => {
    const h = setup();
    const [first] = transferChain('ad-1763622000');
    const appDial = {
      ...first!,
      channel: 'PJSIP/trunk-00000009',
      dstchannel: '',
      lastapp: 'AppDial',
      lastdata: '(Outgoing Line)',
      uniqueid: 'ad-1763622000.9',
      sequence: 9,
    };
    const res = await post(h, `${masterCsvLine(first!)}\n${masterCsvLine(appDial)}\n`);
    const body = (await res.json()) as { inbox_id: number; events: number };
    expect(body.events).toBe(2);
    const detail = (await (await h.admin(`/v1/inbox/${body.inbox_id}`)).json()) as { note: string | null };
    expect(detail.note).toBe(
      "no call: line 2: the dialled channel's own record (lastapp AppDial): the call is in its caller's record (linkedid ad-1763622000.1)",
    );
    expect(await conversationByKey(getDb().db, 'ad-1763622000.1')).toMatchObject({ legCount: 1 });
  });

  it('takes a missed call', async () => {
    const h = setup();
    expect((await post(h, masterCsvLine(missedCall()[0]!))).status).toBe(202);
    expect(await conversationByKey(getDb().db, '1763622300.5')).toMatchObject({ outcome: 'missed', extension: '100', externalNumber: '+74957654321' });
  });

  it('refuses a wrong, stale or missing signature with 401 and stores nothing', async () => {
    const h = setup();
    const raw = csv('s-1763622000').join('\n');
    const now = Math.floor(h.clock.now.getTime() / 1000);
    for (const signature of [null, sign(raw, now, 'another-secret-xyz'), sign(raw, now - 301), sign(`${raw} `, now), 'v1=abc']) {
      const res = await post(h, raw, { signature });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    }
    expect(await counts(getDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('answers a malformed body with 400 naming the line and column, and stores nothing', async () => {
    const h = setup();
    const lines = csv('m-1763622000');
    lines[1] = lines[1]!.replace('"ANSWERED"', '"PICKED UP"');
    const res = await post(h, lines.join('\n'));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toContain('line 2, column 15 (disposition): expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION, got "PICKED UP"');
    const json = await post(h, '{"Event":"Cdr"', { type: 'application/json' });
    expect(json.status).toBe(400);
    expect(await counts(getDb().db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('is 404 while ASTERISK_WEBHOOK_SECRET is unset', async () => {
    const h = harness(getDb());
    const raw = csv('d-1763622000').join('\n');
    const res = await post(h, raw);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('ASTERISK_WEBHOOK_SECRET') } });
    expect(await counts(getDb().db)).toMatchObject({ inbox: 0 });
  });
});
