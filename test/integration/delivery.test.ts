/**
 * Settled calls to the CRM: the webhook, the ledger, the delivery worker and the amoCRM adapter
 * against the sandbox amoCRM, on PGlite and on the real PostgreSQL server.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { conversations, crmAccounts, deliveries } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { callEnded, recordingReady } from '#test/events';

const testDb = useTestDb();

const uniq = (callId: string) => conversationUniq('generic', callId);
const IVAN = '+7 (495) 123-45-67'; // a demo contact with no leads
const OLGA = '8 916 555 12 34'; // a demo contact with one active lead
const NOBODY = '+7 (999) 000-11-22';

async function delivery(callId: string) {
  const [row] = await testDb()
    .db.select()
    .from(deliveries)
    .where(eq(deliveries.uniq, uniq(callId)));
  return row;
}

/** A finished call that has no recording coming, so it settles at once. */
const call = (callId: string, from: string, over: Record<string, unknown> = {}) => callEnded({ call_id: callId, from, recorded: false, ...over });

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

describe('when a call counts as delivered', () => {
  it('is stamped when the CRM answered, not when its request was prepared (a reconciliation judges by it)', async () => {
    const h = deliveryHarness(testDb());
    await h.post(call('slow-1', IVAN));
    h.clock.advance(60);
    await runTick(h.deps);
    const prepared = h.clock.now.getTime();
    // The CRM takes its time (a budget slot, a slow answer): the clock moves while the note is written.
    const sandbox = h.sandbox;
    h.deps.sandbox = {
      fetch: async (request: Request) => {
        if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/calls')) h.clock.advance(90);
        return sandbox.fetch(request);
      },
    };
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const row = await delivery('slow-1');
    expect(row?.deliveredAt?.getTime()).toBeGreaterThanOrEqual(prepared + 90_000);
  });
});

describe('a call with a known number', () => {
  it('lands once on the contact’s timeline, with its recording link, user and status', async () => {
    const h = deliveryHarness(testDb(), { config: { extensions: { '101': 1001 } } });
    await h.post(callEnded({ call_id: 'k1', from: IVAN, recording: { id: 'r1', url: 'https://pbx.example/k1.wav' } }));
    const report = await h.drain();
    expect(report).toMatchObject({ claimed: 1, delivered: 1, failed: 0, stopped: null });

    const notes = h.sandbox.store.notesByUniq(uniq('k1'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      entity_type: 'contacts',
      note_type: 'call_in',
      responsible_user_id: 1001,
      created_by: 1001,
      params: {
        uniq: uniq('k1'),
        duration: 180,
        source: 'calltrail',
        link: 'https://pbx.example/k1.wav',
        phone: '+74951234567',
        call_status: 4,
        call_result: 'Conversation',
      },
    });
    expect(await delivery('k1')).toMatchObject({
      state: 'delivered',
      attempts: 0,
      outcomeUnknown: false,
      crmRefs: { note_id: notes[0]?.id, entity_id: notes[0]?.entity_id, entity_type: 'contacts' },
    });

    // Draining again, and the same webhook again, change nothing.
    await h.post(callEnded({ call_id: 'k1', from: IVAN, recording: { id: 'r1', url: 'https://pbx.example/k1.wav' } }));
    expect(await h.drain()).toMatchObject({ claimed: 0 });
    expect(h.sandbox.store.notesByUniq(uniq('k1'))).toHaveLength(1);
  });

  it('lands on the single active lead, as amoCRM files it, and batches many calls into few requests', async () => {
    const h = deliveryHarness(testDb());
    for (let i = 0; i < 120; i++) await h.post(call(`b${i}`, i % 2 ? OLGA : IVAN));
    const before = h.sandbox.stats().requests;
    expect(await h.drain()).toMatchObject({ delivered: 120, failed: 0 });
    // 120 calls in batches of 50: three requests.
    expect(h.sandbox.stats().requests - before).toBe(3);
    expect(h.sandbox.store.notesByUniq(uniq('b1'))[0]).toMatchObject({ entity_type: 'leads' });
    expect(h.sandbox.store.callNotes()).toHaveLength(120);
  });

  it('lists the delivery and its attempts on the call', async () => {
    const h = deliveryHarness(testDb());
    await h.post(call('k2', IVAN));
    await h.drain();
    const list = await json(await h.admin('/v1/calls?state=delivered'));
    expect(list.items).toHaveLength(1);
    const detail = await json(await h.admin(`/v1/calls/${list.items[0].id}`));
    expect(detail.deliveries[0]).toMatchObject({ state: 'delivered', step: 'log', crm_refs: { entity_type: 'contacts' } });
    expect(detail.deliveries[0].history).toMatchObject([{ step: 'log', outcome: 'ok', http_status: 200 }]);
  });
});

describe('unknown callers', () => {
  it('get a contact with their number, then the call — one contact, whatever happens next (default policy)', async () => {
    const h = deliveryHarness(testDb());
    await h.post(call('u1', NOBODY));
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const created = h.sandbox.store.contacts().filter((c) => c.phones.some((p) => p.value === '+79990001122'));
    expect(created).toHaveLength(1);
    expect(h.sandbox.store.notesByUniq(uniq('u1'))).toMatchObject([{ entity_type: 'contacts', entity_id: created[0]?.id }]);
    expect(await delivery('u1')).toMatchObject({ state: 'delivered', crmRefs: { contact_id: created[0]?.id } });

    // The next call from the same number finds the contact: no second one.
    await h.post(call('u2', NOBODY));
    await h.drain();
    expect(h.sandbox.store.contacts().filter((c) => c.phones.some((p) => p.value === '+79990001122'))).toHaveLength(1);
  });

  it('get the contact fields and tags crm.fields maps, rendered for the call', async () => {
    const fields = {
      contact: [
        { field_id: 501, value: 'PBX ext {{ extension }}' },
        { field_id: 502, value: '{{ started_at | date: "YYYY-MM-DD HH:mm" }}' },
      ],
      contact_tags: ['calltrail', '{{ direction }}'],
    };
    const config = parseIntegratorConfig(JSON.stringify({ time_zone: 'Europe/Moscow', crm: { fields } }), 'config.json');
    const h = deliveryHarness(testDb(), { config });
    await h.post(call('u9', NOBODY, { extension: '101', started_at: '2026-11-20T10:00:00+03:00' }));
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const [created] = h.sandbox.store.contacts().filter((c) => c.phones.some((p) => p.value === '+79990001122'));
    expect(created?.custom_fields).toEqual([
      { field_id: 501, values: [{ value: 'PBX ext 101' }] },
      { field_id: 502, values: [{ value: '2026-11-20 10:00' }] },
    ]);
    expect(created?.tags).toEqual(['calltrail', 'inbound']);
  });

  it('become an unknown-caller lead in Unsorted when configured, with the call metadata', async () => {
    const h = deliveryHarness(testDb(), { config: { unknown_callers: { inbound: 'unsorted', outbound: 'contact' } } });
    await h.post(callEnded({ call_id: 'u3', from: NOBODY, recording: { id: 'r', url: 'https://pbx.example/u3.wav' } }));
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const [item] = h.sandbox.store.unsorted();
    expect(item).toMatchObject({
      source_name: 'calltrail',
      metadata: { uniq: uniq('u3'), from: 'calltrail 101', phone: '+79990001122', link: 'https://pbx.example/u3.wav' },
    });
    expect(await delivery('u3')).toMatchObject({ state: 'delivered', step: 'unsorted', crmRefs: { unsorted_uid: item?.uid } });
    expect(h.sandbox.store.callNotes()).toHaveLength(0);
  });

  it("follow their line's own policy and pipeline, and the line is stored with the call", async () => {
    const config = parseIntegratorConfig(
      JSON.stringify({
        unknown_callers: { inbound: 'contact' },
        lines: {
          '+7 (495) 000-00-01': { unknown_callers: { inbound: 'unsorted' }, pipeline_id: 4412 },
          '+7 495 000-00-02': { unknown_callers: { inbound: 'skip' } },
        },
      }),
      'calltrail.json',
    );
    const h = deliveryHarness(testDb(), { config });
    await h.post(call('l1', NOBODY, { line: '74950000001' }));
    await h.post(call('l2', '+7 (999) 000-11-23', { line: '8 495 000-00-02' }));
    await h.post(call('l3', '+7 (999) 000-11-24'));
    expect(await h.drain()).toMatchObject({ delivered: 2, skipped: 1 });
    const [item] = h.sandbox.store.unsorted();
    expect(item).toMatchObject({ pipeline_id: 4412, metadata: { uniq: uniq('l1') } });
    expect(await delivery('l2')).toMatchObject({ state: 'skipped' });
    // Calls of other lines follow the config's policy: a contact for the number.
    expect(h.sandbox.store.contacts().some((c) => c.phones.some((p) => p.value.includes('9990001124')))).toBe(true);
    const [row] = await testDb().db.select({ line: conversations.line }).from(conversations).where(eq(conversations.callKey, 'l1'));
    expect(row?.line).toBe('74950000001');
  });

  it('are left out with the reason when the policy says skip', async () => {
    const h = deliveryHarness(testDb(), { config: { unknown_callers: { inbound: 'skip', outbound: 'contact' } } });
    await h.post(call('u4', NOBODY));
    expect(await h.drain()).toMatchObject({ skipped: 1, delivered: 0 });
    expect(await delivery('u4')).toMatchObject({ state: 'skipped', reason: 'unknown caller: no CRM contact has this number (inbound policy: skip)' });
    expect(h.sandbox.store.contacts()).toHaveLength(3);
  });

  it('are sorted out when amoCRM refuses the whole batch without saying which calls it did not know', async () => {
    const h = deliveryHarness(testDb(), { sandbox: { unknownNumbers: 'reject_batch', rejectWithRequestIds: false } });
    const numbers = [IVAN, NOBODY, OLGA, IVAN, '+7 999 000-33-44', OLGA, IVAN, OLGA];
    for (const [i, from] of numbers.entries()) await h.post(call(`r${i}`, from));
    expect(await h.drain()).toMatchObject({ delivered: 8, failed: 0 });
    for (let i = 0; i < numbers.length; i++) expect(h.sandbox.store.notesByUniq(uniq(`r${i}`))).toHaveLength(1);
    expect(h.sandbox.store.contacts()).toHaveLength(5);
  });
});

describe('missed inbound calls', () => {
  it('get one call-back task for the responsible user on the card the call landed on', async () => {
    const h = deliveryHarness(testDb(), {
      config: { extensions: { '101': 1001 }, missed_call_tasks: { enabled: true, text: 'Call {{ phone }} back', due_minutes: 15, task_type: 1 } },
    });
    await h.post(call('m1', OLGA, { answered_at: null, disposition: 'no_answer' }));
    await h.post(call('m2', IVAN));
    expect(await h.drain()).toMatchObject({ delivered: 2 });
    const note = h.sandbox.store.notesByUniq(uniq('m1'))[0];
    expect(note).toMatchObject({ entity_type: 'leads', params: { duration: 0, call_status: 6, call_result: 'Missed call' } });
    const tasks = h.sandbox.store.tasks();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      text: 'Call +79165551234 back',
      entity_type: 'leads',
      entity_id: note?.entity_id,
      responsible_user_id: 1001,
      task_type_id: 1,
    });
    expect(tasks[0]?.complete_till).toBe(Math.floor(h.clock.now.getTime() / 1000) + 15 * 60);
    expect(await delivery('m1')).toMatchObject({ state: 'delivered', step: 'task', crmRefs: { task_id: tasks[0]?.id, note_id: note?.id } });
  });
});

describe('a recording that arrives after the note', () => {
  it('updates that note — never a second one', async () => {
    const h = deliveryHarness(testDb());
    await h.post(callEnded({ call_id: 'late', from: IVAN }));
    // Answered without a recording yet: it settles after SETTLE_SECONDS.
    h.clock.advance(31);
    await runTick(h.deps);
    await h.drain();
    expect(h.sandbox.store.notesByUniq(uniq('late'))[0]?.params).not.toHaveProperty('link', expect.any(String));

    h.clock.advance(60);
    await h.post(recordingReady({ call_id: 'late', recording: { id: 'r-late', url: 'https://pbx.example/late.wav' } }));
    expect(await delivery('late')).toMatchObject({ state: 'pending', step: 'update' });
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    const notes = h.sandbox.store.notesByUniq(uniq('late'));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.params).toMatchObject({ link: 'https://pbx.example/late.wav', uniq: uniq('late'), duration: 180 });
    expect(await delivery('late')).toMatchObject({ state: 'delivered', step: 'update' });
  });
});

describe('when amoCRM says stop', () => {
  it('opens the circuit on a 403 block: no further requests, deliveries wait, an admin resets it', async () => {
    const h = deliveryHarness(testDb(), { sandbox: { rps: 2, blockAfter429s: 2 } });
    // Someone else hammered the account into a block.
    for (let i = 0; i < 8; i++)
      await h.sandbox.fetch(new Request('http://sandbox/api/v4/account', { headers: { authorization: 'Bearer calltrail-sandbox-long-lived-token' } }));
    expect(h.sandbox.stats().blocked).toBe(true);

    await h.post(call('x1', IVAN));
    expect(await h.drain()).toMatchObject({ delivered: 0, stopped: 'blocked' });
    expect(await delivery('x1')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await json(await h.app.request('/health'))).toMatchObject({ crm: 'blocked' });
    expect(await json(await h.admin('/v1/crm'))).toMatchObject({ status: 'blocked', status_reason: expect.stringContaining('403') });

    const requests = h.sandbox.stats().requests;
    expect(await h.drain()).toMatchObject({ stopped: 'circuit_open', claimed: 0 });
    expect(h.sandbox.stats().requests).toBe(requests);

    h.sandbox.unblock();
    expect(await json(await h.admin('/v1/crm/reset', { method: 'POST' }))).toMatchObject({ status: 'ok' });
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(h.sandbox.store.notesByUniq(uniq('x1'))).toHaveLength(1);
  });

  it('marks the account unauthorized when the token is refused, and keeps the calls', async () => {
    const h = deliveryHarness(testDb());
    h.sandbox.store.revokeAllTokens();
    await h.post(call('x2', IVAN));
    expect(await h.drain()).toMatchObject({ stopped: 'unauthorized' });
    expect(await json(await h.app.request('/health'))).toMatchObject({ crm: 'unauthorized' });
    expect(await delivery('x2')).toMatchObject({ state: 'pending' });
    const [account] = await testDb().db.select().from(crmAccounts);
    expect(account).toMatchObject({ status: 'unauthorized', statusReason: expect.stringContaining('401') });
  });
});

describe('lost answers and failures', () => {
  it('looks a call up before sending it again when the answer was lost after the write', async () => {
    const h = deliveryHarness(testDb());
    h.sandbox.setFaults({ seed: 1, rate: 1, kinds: { '502_after': 1 } });
    await h.post(call('lost', IVAN));
    expect(await h.drain()).toMatchObject({ delivered: 0, retried: 1 });
    expect(await delivery('lost')).toMatchObject({ state: 'pending', outcomeUnknown: true, attempts: 1 });
    expect(h.sandbox.store.notesByUniq(uniq('lost'))).toHaveLength(1); // it did land

    h.sandbox.setFaults({ seed: 1, rate: 0 });
    h.clock.advance(60);
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(h.sandbox.store.notesByUniq(uniq('lost'))).toHaveLength(1);
    expect(await delivery('lost')).toMatchObject({ state: 'delivered', outcomeUnknown: false });
  });

  it('gives up after the last attempt, keeps the call as failed, and delivers it on an admin retry', async () => {
    const h = deliveryHarness(testDb());
    h.sandbox.setFaults({ seed: 2, rate: 1, kinds: { '502_before': 1 } });
    const res = await h.post(call('f1', IVAN));
    expect(res.status).toBe(202);
    for (let i = 0; i < 10; i++) {
      await h.drain();
      h.clock.advance(5 * 3600);
    }
    const failed = await delivery('f1');
    expect(failed).toMatchObject({ state: 'failed', attempts: 10, outcomeUnknown: true, reason: expect.stringMatching(/^gave up after 10 attempts/) });
    expect(h.sandbox.store.notesByUniq(uniq('f1'))).toHaveLength(0);

    h.sandbox.setFaults({ seed: 2, rate: 0 });
    const [failedCall] = (await json(await h.admin('/v1/calls?state=failed'))).items;
    expect((await h.admin(`/v1/calls/${failedCall.id}/retry`, { method: 'POST' })).status).toBe(202);
    expect(await h.drain()).toMatchObject({ delivered: 1 });
    expect(h.sandbox.store.notesByUniq(uniq('f1'))).toHaveLength(1);
    expect((await h.admin(`/v1/calls/${failedCall.id}/retry`, { method: 'POST' })).status).toBe(409);
  });

  it('shrinks the batch when amoCRM times out on its size', async () => {
    const h = deliveryHarness(testDb(), { sandbox: { gatewayTimeoutAbove: 20 } });
    for (let i = 0; i < 45; i++) await h.post(call(`big${i}`, IVAN));
    await h.drain();
    h.clock.advance(60);
    await h.drain();
    h.clock.advance(60);
    await h.drain();
    expect(h.sandbox.store.callNotes()).toHaveLength(45);
    expect(new Set(h.sandbox.store.callNotes().map((n) => n.params.uniq)).size).toBe(45);
  });
});
