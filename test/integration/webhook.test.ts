/**
 * The generic webhook into the ledger, end to end through the HTTP app, on PGlite and on the
 * real PostgreSQL server (the same file runs in both projects).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inboxEvents } from '../../src/db/schema';
import { createApp } from '../../src/app';
import { runTick } from '../../src/jobs';
import { createTestDb, type TestDb } from '#test/db';
import { harness, SECRET, type Harness } from '#test/app';
import { callEnded, recordingReady, transferChain } from '#test/events';
import { conversationByKey, counts, snapshot } from '#test/ledger';

let db: TestDb;
let h: Harness;

beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries, crm_accounts restart identity cascade`);
  h = harness(db);
});

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

describe('accepting a signed event', () => {
  it('stores the raw body, assembles the call, and settles it with a pending delivery', async () => {
    const body = callEnded({ recording: { id: 'rec-1', url: 'https://pbx.example/rec-1.wav' } });
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({ status: 'processed', inbox_id: 1, events: 1 });

    const [inbox] = await db.db.select().from(inboxEvents);
    expect(inbox).toMatchObject({ source: 'generic', status: 'processed', raw: JSON.stringify(body), attempts: 1, error: null });

    const call = await conversationByKey(db.db, 'call-1');
    expect(call).toMatchObject({
      source: 'generic',
      direction: 'inbound',
      externalNumber: '+74951234567',
      extension: '101',
      outcome: 'answered',
      talkSeconds: 180,
      durationSeconds: 185,
      legCount: 1,
      awaitingRecordings: false,
      settledAt: h.clock.now,
    });
    expect(call?.uniq).toMatch(/^ct1-[0-9a-f]{32}$/);
    expect(call?.recordings).toMatchObject([{ recordingKey: 'rec-1', originUrl: 'https://pbx.example/rec-1.wav', status: 'referenced' }]);
    expect(call?.deliveries).toMatchObject([{ state: 'pending', crmAccountId: 'sandbox', uniq: call?.uniq, attempts: 0 }]);
  });

  it('answers 202 "duplicate" to a repeated body and stores nothing twice', async () => {
    const body = callEnded();
    await h.post(body);
    h.clock.advance(5); // a retry a few seconds later, freshly signed
    const again = await h.post(body);
    expect(again.status).toBe(202);
    expect(await json(again)).toMatchObject({ status: 'duplicate', inbox_id: 1 });
    expect(await counts(db.db)).toEqual({ inbox: 1, conversations: 1, legs: 1, recordings: 0, deliveries: 0 });
  });

  it('takes the same event inside different bodies without duplicating rows', async () => {
    await h.post(callEnded({ leg_id: 'a', final: false }));
    await h.post([callEnded({ leg_id: 'a', final: false }), callEnded({ leg_id: 'b', to: '102', extension: '102' })]);
    expect(await counts(db.db)).toMatchObject({ inbox: 2, conversations: 1, legs: 2 });
  });
});

describe('refusing what is not ours', () => {
  it.each([
    ['no signature', { sign: false }, /missing X-Calltrail-Signature/],
    ['a wrong secret', { secret: 'not-the-secret-at-all' }, /does not match/],
    ['a malformed header', { header: 'sha256=abc' }, /malformed/],
  ])('401 for %s, and nothing stored', async (_name, options, message) => {
    const res = await h.post(callEnded(), options);
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: 'invalid_signature', message: expect.stringMatching(message) });
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(await counts(db.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('401 for a signature older than 300 s', async () => {
    const raw = JSON.stringify(callEnded());
    const { signatureHeader } = await import('../../src/pbx/generic/signature');
    const header = await signatureHeader(SECRET, raw, h.clock.now.getTime() / 1000 - 301);
    const res = await h.post(raw, { header });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toMatch(/stale/);
  });

  it('400 with every problem named, and nothing stored', async () => {
    const res = await h.post([callEnded(), { type: 'call.ended', call_id: 'c2', started_at: 'later', ended_at: 1763622000 }]);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      code: 'invalid_body',
      message: '[1].started_at: expected an ISO 8601 time or unix seconds, got "later"',
    });
    expect(await counts(db.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });

  it('400 for a body that is not JSON, 413 for one over 1 MB', async () => {
    expect((await h.post('{"type":')).status).toBe(400);
    const huge = JSON.stringify({ ...callEnded(), padding: 'x'.repeat(1024 * 1024) });
    const res = await h.post(huge);
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('payload_too_large');
  });

  it('accepts unsigned events only in sandbox mode without a secret', async () => {
    const sandbox = harness(db, { env: { GENERIC_WEBHOOK_SECRET: '' } });
    expect((await sandbox.post(callEnded({ call_id: 'unsigned' }), { sign: false })).status).toBe(202);

    const production = harness(db, {
      env: { GENERIC_WEBHOOK_SECRET: '', AMOCRM_BASE_URL: 'https://example.amocrm.ru', AMOCRM_LONG_LIVED_TOKEN: 't' },
    });
    const off = await production.post(callEnded({ call_id: 'refused' }), { sign: false });
    expect(off.status).toBe(404);
    expect((await json(off)).error).toMatchObject({ code: 'source_disabled', message: expect.stringMatching(/GENERIC_WEBHOOK_SECRET/) });

    // With a secret, even sandbox mode wants signatures.
    expect((await h.post(callEnded({ call_id: 'unsigned-2' }), { sign: false })).status).toBe(401);
    expect(await counts(db.db)).toMatchObject({ conversations: 1 });
  });
});

describe('settling', () => {
  it('waits SETTLE_SECONDS for the recording of an answered call, then settles without it', async () => {
    await h.post(callEnded());
    let call = await conversationByKey(db.db, 'call-1');
    expect(call).toMatchObject({ awaitingRecordings: true, settledAt: null });
    expect(call?.settleDueAt).toEqual(new Date(h.clock.now.getTime() + 30_000));

    h.clock.advance(29);
    expect((await runTick(h.deps)).settled).toBe(0);
    h.clock.advance(1);
    expect((await runTick(h.deps)).settled).toBe(1);
    call = await conversationByKey(db.db, 'call-1');
    expect(call?.settledAt).toEqual(h.clock.now);
    expect(call?.deliveries).toMatchObject([{ state: 'pending' }]);
    expect((await runTick(h.deps)).settled).toBe(0);
  });

  it('settles at once when the recording arrived before the call record', async () => {
    await h.post(recordingReady());
    let call = await conversationByKey(db.db, 'call-1');
    expect(call).toMatchObject({ legCount: 0, finalSeenAt: null, settledAt: null });
    await h.post(callEnded());
    call = await conversationByKey(db.db, 'call-1');
    expect(call).toMatchObject({ legCount: 1, awaitingRecordings: false, settledAt: h.clock.now });
    expect(call?.recordings).toHaveLength(1);
    expect(call?.deliveries).toHaveLength(1);
  });

  it('settles a missed call at once and never waits for a recording', async () => {
    await h.post(callEnded({ answered_at: null, disposition: 'no_answer' }));
    expect(await conversationByKey(db.db, 'call-1')).toMatchObject({ outcome: 'missed', talkSeconds: 0, settledAt: h.clock.now });
  });

  it('waits for the final leg before settling', async () => {
    await h.post(callEnded({ leg_id: 'a', recorded: false }));
    h.clock.advance(3600);
    await runTick(h.deps);
    expect(await conversationByKey(db.db, 'call-1')).toMatchObject({ finalSeenAt: null, settledAt: null });
    await h.post(callEnded({ leg_id: 'b', final: true, recorded: false }));
    expect((await conversationByKey(db.db, 'call-1'))?.settledAt).toEqual(h.clock.now);
  });

  it('records internal calls but skips their delivery, with the reason', async () => {
    await h.post(callEnded({ direction: 'internal', from: '101', to: '102', extension: '102', answered_at: null, disposition: 'no_answer' }));
    const call = await conversationByKey(db.db, 'call-1');
    expect(call).toMatchObject({ direction: 'internal', externalNumber: null });
    // The reason names the rule: here the PBX's own declaration.
    expect(call?.deliveries).toMatchObject([{ state: 'skipped', reason: "internal call: the PBX's record declares it internal", nextAttemptAt: null }]);
  });

  it('keeps one delivery when a leg arrives after settling, and bumps the revision', async () => {
    await h.post(callEnded({ recorded: false }));
    const before = await conversationByKey(db.db, 'call-1');
    expect(before?.settledAt).not.toBeNull();
    h.clock.advance(10);
    await h.post(callEnded({ leg_id: 'late', to: '205', extension: '205', final: false, recorded: false, ended_at: '2026-11-20T10:09:05+03:00' }));
    const after = await conversationByKey(db.db, 'call-1');
    expect(after?.deliveries).toHaveLength(1);
    expect(after?.revision).toBe((before?.revision ?? 0) + 1);
    expect(after).toMatchObject({ legCount: 2, extension: '205', settledAt: before?.settledAt });
  });
});

describe('transfers, order and repetition', () => {
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  it.each(orders.map((o) => ({ order: o, name: o.join('→') })))(
    'assembles the transfer chain the same way in order $name, with a duplicate',
    async ({ order }) => {
      const reference = transferChain('ref-');
      for (const e of reference) await h.post(e);
      const events = transferChain('perm-');
      const stream = [...order.map((i) => events[i]), events[order[0] ?? 0]];
      for (const e of stream) {
        h.clock.advance(1);
        await h.post(e);
      }
      h.clock.advance(60);
      await runTick(h.deps);
      const [ref] = await snapshot(db.db, 'ref-');
      const [perm] = await snapshot(db.db, 'perm-');
      expect(perm).toEqual(ref);
      expect(perm).toMatchObject({
        extension: '205',
        talkSeconds: 210,
        legCount: 2,
        outcome: 'answered',
        externalNumber: '+74951234567',
        awaitingRecordings: false,
        settled: true,
        deliveries: [{ state: 'pending' }],
      });
      expect(perm?.recordings.map((r) => r.recordingKey)).toEqual(['-ra', '-rb']);
    },
  );

  it('lets concurrent legs of one conversation all land (row lock, no lost update)', async () => {
    const legsToSend = Array.from({ length: 12 }, (_, i) =>
      callEnded({ leg_id: `leg-${i}`, to: String(200 + i), extension: String(200 + i), final: i === 11, recorded: false }),
    );
    const responses = await Promise.all(legsToSend.map((e) => h.post(e)));
    expect(responses.map((r) => r.status)).toEqual(legsToSend.map(() => 202));
    expect((await Promise.all(responses.map(json))).map((b) => b.status)).toEqual(legsToSend.map(() => 'processed'));
    const call = await conversationByKey(db.db, 'call-1');
    expect(call?.legs).toHaveLength(12);
    expect(call).toMatchObject({ legCount: 12, settledAt: expect.any(Date) });
    expect(call?.deliveries).toHaveLength(1);
  });
});

describe('a body that cannot be applied (a bug)', () => {
  it('stays in the inbox with its error, is retried, and can be reprocessed once fixed', async () => {
    // Simulate a processing bug for one leg: the database refuses it.
    await db.db.execute(sql`create function boom() returns trigger language plpgsql as $$
      begin if new.leg_key = 'boom' then raise exception 'simulated processing bug'; end if; return new; end $$`);
    await db.db.execute(sql`create trigger boom before insert on legs for each row execute function boom()`);
    try {
      const res = await h.post([callEnded({ call_id: 'ok' }), callEnded({ leg_id: 'boom' })]);
      expect(res.status).toBe(202);
      expect(await json(res)).toMatchObject({ status: 'stored', inbox_id: expect.any(Number) });
      // Nothing half-applied: the good event in the same body is not in the ledger either.
      expect(await counts(db.db)).toMatchObject({ inbox: 1, conversations: 0, legs: 0 });
      const [row] = await db.db.select().from(inboxEvents);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/simulated processing bug \(Failed query: insert into "legs"/) });
      expect(row?.error).not.toMatch(/params|4567/);
      expect(row?.nextAttemptAt).toEqual(new Date(h.clock.now.getTime() + 15_000));

      // A repeat delivery does not create a second row (and retries it, still failing).
      expect(await json(await h.post([callEnded({ call_id: 'ok' }), callEnded({ leg_id: 'boom' })]))).toMatchObject({ status: 'duplicate' });
      expect(await db.db.$count(inboxEvents)).toBe(1);

      // The automatic retry keeps failing and backs off.
      h.clock.advance(3600);
      expect(await runTick(h.deps)).toMatchObject({ retried: 0, stillFailing: 1 });
      const [after] = await db.db.select().from(inboxEvents);
      expect(after?.attempts).toBe(3);
    } finally {
      await db.db.execute(sql`drop trigger if exists boom on legs`);
      await db.db.execute(sql`drop function if exists boom()`);
    }
    // The fix is deployed: an admin replays it.
    const [row] = await db.db.select().from(inboxEvents);
    const res = await h.admin('/v1/inbox/reprocess', {
      method: 'POST',
      body: JSON.stringify({ ids: [row?.id] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ processed: [row?.id], failed: [] });
    expect(await counts(db.db)).toMatchObject({ inbox: 1, conversations: 2, legs: 2 });
    const [done] = await db.db.select().from(inboxEvents);
    expect(done).toMatchObject({ status: 'processed', error: null, nextAttemptAt: null });
  });
});

describe('surface', () => {
  it('reports health with the database and CRM state', async () => {
    const res = await h.app.request('/health');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ok', db: 'ok', crm: 'ok', crm_kind: 'sandbox' });
    await db.db.execute(sql`insert into crm_accounts (id, kind, status) values ('sandbox', 'sandbox', 'blocked')`);
    expect(await json(await h.app.request('/health'))).toMatchObject({ status: 'ok', crm: 'blocked' });
  });

  it('answers 503 on /health and on the webhook when the database is gone, with the envelope', async () => {
    const broken = {
      ...db.db,
      select: () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      transaction: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      insert: () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    } as unknown as typeof db.db;
    const app = createApp({ ...h.deps, db: broken });
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({ status: 'error', db: 'error' });
    const res = await app.request('/v1/pbx/generic/events', {
      method: 'POST',
      body: JSON.stringify(callEnded()),
      headers: {
        'x-calltrail-signature': await (await import('../../src/pbx/generic/signature')).signatureHeader(
          SECRET,
          JSON.stringify(callEnded()),
          h.clock.now.getTime() / 1000,
        ),
      },
    });
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatchObject({ code: 'unavailable', requestId: expect.any(String) });
  });

  it('uses the error envelope for unknown routes', async () => {
    const res = await h.app.request('/nope');
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope', requestId: expect.any(String) } });
  });

  it('greets a person at / with where to go: the console, the API docs, health', async () => {
    const res = await h.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const page = await res.text();
    for (const href of ['admin', 'docs', 'health', 'openapi.json']) expect(page).toContain(`href="${href}"`);
    expect(page).not.toMatch(/<script/i);
  });

  it('publishes the OpenAPI document and a docs page', async () => {
    const doc = await json(await h.app.request('/openapi.json'));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health', '/v1/pbx/generic/events', '/v1/calls', '/v1/calls/{id}', '/v1/inbox', '/v1/inbox/reprocess']),
    );
    const page = await h.app.request('/docs');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('/v1/pbx/generic/events');
    expect(html).not.toMatch(/<script|cdn\./i);
    // Descriptions are Markdown, rendered: code spans become <code>, no literal backticks remain.
    expect(html).toContain('<code>/recordings/&lt;id&gt;.mp3</code>');
    const rendered = [...html.matchAll(/<(div|span) class="md">([\s\S]*?)<\/\1>/g)].map((m) => m[2]);
    expect(rendered.length).toBeGreaterThan(20);
    expect(rendered.filter((text) => text?.includes('`'))).toEqual([]);
  });

  it('never writes phone numbers into the logs', async () => {
    await h.post(callEnded({ from: '+7 (916) 555-12-34' }));
    await h.post({ type: 'call.ended', call_id: 'x', from: '89165551234', started_at: 'bad', ended_at: 'bad' });
    const logs = h.log.lines.join('\n');
    expect(logs).toContain('"path":"/v1/pbx/generic/events"');
    expect(logs).not.toMatch(/555[- ]?12[- ]?34|5551234/);
  });
});

describe('admin API', () => {
  it('refuses without the bearer token, and when ADMIN_TOKEN is unset', async () => {
    expect((await h.app.request('/v1/calls')).status).toBe(401);
    expect((await h.app.request('/v1/calls', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const noAdmin = harness(db, { env: { ADMIN_TOKEN: '' } });
    const res = await noAdmin.admin('/v1/inbox');
    expect(res.status).toBe(401);
    // No ADMIN_TOKEN: only tokens made in the console open the admin API.
    expect((await json(res)).error.message).toMatch(/has no ADMIN_TOKEN: use a token made in the console/);
  });

  it('finds calls by a number written any way, by extension and state, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60);
      await h.post(
        callEnded({
          call_id: `c${i}`,
          started_at: 1763622000 + i * 60,
          answered_at: null,
          ended_at: 1763622000 + i * 60 + 20,
          disposition: 'no_answer',
          from: i % 2 ? '8 916 111-22-33' : '+74951234567',
        }),
      );
    }
    const page1 = await json(await h.admin('/v1/calls?phone=%2B7%20(916)%20111-22-33&limit=1'));
    expect(page1.items).toHaveLength(1);
    expect(page1.items[0]).toMatchObject({ call_key: 'c3', external_number: '+79161112233', outcome: 'missed', delivery_state: 'pending' });
    const page2 = await json(await h.admin(`/v1/calls?phone=89161112233&limit=1&cursor=${page1.next_cursor}`));
    expect(page2.items.map((c: { call_key: string }) => c.call_key)).toEqual(['c1']);
    expect(page2.next_cursor).toBeNull();
    expect((await json(await h.admin('/v1/calls?extension=101&state=pending'))).items).toHaveLength(5);
    expect((await json(await h.admin('/v1/calls?state=delivered'))).items).toHaveLength(0);
    expect(
      (await json(await h.admin('/v1/calls?from=2025-11-20T07:02:00Z&to=2025-11-20T07:04:00Z'))).items.map((c: { call_key: string }) => c.call_key),
    ).toEqual(['c3', 'c2']);

    const bad = await h.admin('/v1/calls?outcome=lost');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('invalid_request');
    expect((await h.admin('/v1/calls?cursor=zzz')).status).toBe(400);
  });

  it('shows one call with legs, recordings and deliveries', async () => {
    for (const e of transferChain('t1')) await h.post(e);
    const list = await json(await h.admin('/v1/calls'));
    const res = await h.admin(`/v1/calls/${list.items[0].id}`);
    expect(res.status).toBe(200);
    const call = await json(res);
    expect(call.legs.map((l: { leg_key: string }) => l.leg_key)).toEqual(['t1-a', 't1-b']);
    expect(call.recordings).toHaveLength(2);
    expect(call.deliveries).toMatchObject([{ state: 'pending', crm_account_id: 'sandbox' }]);
    expect((await h.admin('/v1/calls/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.admin('/v1/calls/not-a-uuid')).status).toBe(400);
  });

  it('lists failed inbox events and shows one raw', async () => {
    await h.post(callEnded());
    const list = await json(await h.admin('/v1/inbox?status=processed'));
    expect(list.items).toMatchObject([{ id: 1, source: 'generic', status: 'processed' }]);
    const one = await json(await h.admin('/v1/inbox/1'));
    expect(JSON.parse(one.raw)).toMatchObject({ call_id: 'call-1' });
    expect((await h.admin('/v1/inbox/99')).status).toBe(404);
    const bad = await h.admin('/v1/inbox/reprocess', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/either ids or all_failed/);
  });
});
