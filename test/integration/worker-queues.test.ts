/**
 * The Workers queue consumer against the real ledger and the sandbox amoCRM, on PGlite and
 * PostgreSQL: the Worker's own code (entry/worker/queues.ts) fed messages as Cloudflare Queues
 * hands them over. A webhook stores its body as queued and sends its id; the consumer applies it
 * and asks for delivery; a message delivered again changes nothing; a lost message is made good
 * by the tick; a body that cannot be applied is retried, noted and, once the dead-letter queue
 * brings it, shown on the console — its error masked. (test/workerd/queues.test.ts runs the same
 * under workerd with real queues.)
 */
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { conversations, deadLetters, deliveries, deliveryAttempts, inboxEvents } from '../../src/db/schema';
import { acquireAccountLease } from '../../src/delivery/lease';
import type { DeliveryWorker } from '../../src/delivery/worker';
import { consumeBatch, type QueueWork, queueBody, type WorkerQueues } from '../../src/entry/worker/queues';
import { runTick } from '../../src/jobs';
import { ADMIN_TOKEN } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationUniq, type DeliveryHarness, deliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';

const testDb = useTestDb();
const IVAN = '+7 (495) 123-45-67';
const DEAD = 'calltrail-dead-letters';

/** A message as the queue hands it over; records what the consumer did with it. */
class Message {
  acked = false;
  retried = false;
  constructor(
    readonly id: string,
    readonly body: unknown,
    readonly attempts = 1,
  ) {}
  ack() {
    this.acked = true;
  }
  retry() {
    this.retried = true;
  }
}

interface Sent {
  queue: 'inbox' | 'deliveries';
  body: QueueWork;
  delaySeconds?: number | undefined;
}

/** The harness as the Worker wires it with queues: webhooks queue their bodies, wakes send "deliver". */
function withQueues(h: DeliveryHarness) {
  const sent: Sent[] = [];
  const producer = (queue: Sent['queue']) => ({
    send: async (body: QueueWork, options?: { delaySeconds?: number }) => void sent.push({ queue, body, delaySeconds: options?.delaySeconds }),
  });
  const queues: WorkerQueues = { inbox: producer('inbox'), deliveries: producer('deliveries'), deadLetters: DEAD };
  h.deps.queueBody = (input) => queueBody(h.deps, queues, input, null);
  h.deps.wakeDelivery = () => void queues.deliveries.send({ kind: 'deliver', account: h.deps.settings.crm.accountId });
  const consume = (queue: string, messages: Message[], worker: DeliveryWorker = h.worker) =>
    consumeBatch({ queue, messages }, { deps: h.deps, worker, queues });
  return { sent, consume };
}

const call = (callId: string) => callEnded({ call_id: callId, from: IVAN, recorded: false });

async function inboxRow(id: number) {
  const [row] = await testDb().db.select().from(inboxEvents).where(eq(inboxEvents.id, id));
  return row;
}

async function deliveryOf(callId: string) {
  const [row] = await testDb()
    .db.select()
    .from(deliveries)
    .where(eq(deliveries.uniq, conversationUniq('generic', callId)));
  return row;
}

const conversation = (callKey: string) => testDb().db.query.conversations.findFirst({ where: eq(conversations.callKey, callKey) });

async function queuedId(h: DeliveryHarness, callId: string): Promise<number> {
  const res = await h.post(call(callId));
  expect(res.status).toBe(202);
  const body = (await res.json()) as { status: string; inbox_id: number };
  expect(body.status).toBe('queued');
  return body.inbox_id;
}

/** Makes applying a body of this call fail, with a phone number in the error (as a constraint's message might quote one). */
async function poison(callKey: string) {
  await testDb().db.execute(
    sql.raw(`create or replace function calltrail_test_poison() returns trigger language plpgsql as $$
      begin if new.call_key = '${callKey}' then raise exception 'poisoned call from +7 495 123-45-67'; end if; return new; end $$`),
  );
  await testDb().db.execute(sql`create trigger calltrail_test_poison before insert on conversations for each row execute function calltrail_test_poison()`);
}

async function cure(): Promise<void> {
  await testDb().db.execute(sql`drop trigger calltrail_test_poison on conversations`);
}

async function login(h: DeliveryHarness): Promise<string> {
  const res = await h.app.request('/admin/login', {
    method: 'POST',
    headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
  });
  return /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
}

describe('webhooks through the queues', () => {
  it('store the body as queued, are applied by the consumer and delivered once; the messages again change nothing', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    const id = await queuedId(h, 'q1');
    expect(await inboxRow(id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await conversation('q1')).toBeUndefined();
    expect(q.sent).toEqual([{ queue: 'inbox', body: { kind: 'apply', inbox: id }, delaySeconds: undefined }]);

    const apply = new Message('m-apply', q.sent[0]?.body);
    await q.consume('calltrail-inbox', [apply]);
    expect(apply).toMatchObject({ acked: true, retried: false });
    expect(await inboxRow(id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await conversation('q1')).toMatchObject({ outcome: 'answered' });
    const deliver = q.sent[1];
    expect(deliver).toMatchObject({ queue: 'deliveries', body: { kind: 'deliver', account: h.deps.settings.crm.accountId } });

    const drain = new Message('m-deliver', deliver?.body);
    await q.consume('calltrail-deliveries', [drain]);
    expect(drain.acked).toBe(true);
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'q1'))).toHaveLength(1);
    const requests = h.sandbox.stats().requests;
    const steps = await testDb().db.$count(deliveryAttempts);
    const delivered = await deliveryOf('q1');
    expect(delivered).toMatchObject({ state: 'delivered' });

    // Cloudflare Queues delivers at least once: both messages come again.
    const again = [new Message('m-apply', q.sent[0]?.body, 2), new Message('m-deliver', deliver?.body, 2)];
    await q.consume('calltrail-inbox', [again[0] as Message]);
    await q.consume('calltrail-deliveries', [again[1] as Message]);
    expect(again.map((m) => m.acked)).toEqual([true, true]);
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'q1'))).toHaveLength(1);
    expect(h.sandbox.stats().requests).toBe(requests);
    expect(await inboxRow(id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await deliveryOf('q1')).toEqual(delivered);
    expect(await testDb().db.$count(deliveryAttempts)).toBe(steps);
    // Nothing applied the second time: no second "deliver".
    expect(q.sent).toHaveLength(2);
    expect(await testDb().db.$count(deadLetters)).toBe(0);
  });

  it('apply a ring at once (a screen pop cannot wait for a queue)', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    const ring = {
      type: 'call.ringing',
      call_id: 'q-ring',
      direction: 'inbound',
      from: IVAN,
      to: '74950000001',
      extensions: ['101'],
      at: '2026-11-20T10:59:50+03:00',
    };
    const res = await h.post(ring);
    expect(await res.json()).toMatchObject({ status: 'processed' });
    expect(q.sent.filter((s) => s.queue === 'inbox')).toEqual([]);
  });

  it('send the message again for a repeat of a body still waiting (its first may be lost), and not once it is applied', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    const id = await queuedId(h, 'q2');
    expect(await queuedId(h, 'q2')).toBe(id);
    expect(q.sent.map((s) => s.body)).toEqual([
      { kind: 'apply', inbox: id },
      { kind: 'apply', inbox: id },
    ]);
    // Both copies in one batch: applied once.
    const both = q.sent.map((s, i) => new Message(`m${i}`, s.body));
    await q.consume('calltrail-inbox', both);
    expect(both.map((m) => m.acked)).toEqual([true, true]);
    expect(await inboxRow(id)).toMatchObject({ status: 'processed', attempts: 1 });
    const res = await h.post(call('q2'));
    expect(await res.json()).toMatchObject({ status: 'duplicate', inbox_id: id });
    expect(q.sent.filter((s) => s.queue === 'inbox')).toHaveLength(2);
  });

  it('lose nothing when a message is lost: the tick applies the body once its grace is over', async () => {
    const h = deliveryHarness(testDb());
    withQueues(h);
    const id = await queuedId(h, 'q3');
    await runTick(h.deps);
    expect(await inboxRow(id)).toMatchObject({ status: 'queued' });
    h.clock.advance(121);
    expect(await runTick(h.deps)).toMatchObject({ retried: 1 });
    expect(await inboxRow(id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await conversation('q3')).toBeDefined();
  });
});

describe('a message that keeps failing', () => {
  it('is retried and noted with its masked error, dead when the dead-letter queue brings it, and listed on the console', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    await poison('q-poison');
    onTestFinished(cure);
    const id = await queuedId(h, 'q-poison');
    const body = q.sent[0]?.body;
    for (const attempts of [1, 2]) {
      const message = new Message('m-poison', body, attempts);
      await q.consume('calltrail-inbox', [message]);
      expect(message).toMatchObject({ acked: false, retried: true });
    }
    expect(await inboxRow(id)).toMatchObject({ status: 'failed', attempts: 2 });
    const [noted] = await testDb().db.select().from(deadLetters);
    expect(noted).toMatchObject({ queue: 'inbox', messageId: 'm-poison', summary: `apply inbox body ${id}`, attempts: 2, diedAt: null });
    expect(noted?.error).toContain('poisoned call from ***4567');
    expect(noted?.error).not.toContain('4951234567');

    const dead = new Message('m-poison', body);
    await q.consume(DEAD, [dead]);
    expect(dead.acked).toBe(true);
    const [row] = await testDb().db.select().from(deadLetters);
    expect(row).toMatchObject({ attempts: 2, diedAt: expect.any(Date) });

    const cookie = await login(h);
    const page = await (await h.app.request('/admin/dead-letters', { headers: { cookie } })).text();
    expect(page).toContain(`apply inbox body ${id}`);
    expect(page).toContain('poisoned call from ***4567');
    expect(page).not.toContain('4951234567');
    const overview = await (await h.app.request('/admin', { headers: { cookie } })).text();
    expect(overview).toMatch(/id="dead-letters"[\s\S]*?<div class="big">1<\/div>/);

    // Read and fixed: the list is cleared (and the clearing audited).
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(page)?.[1] ?? '';
    const cleared = await h.app.request('/admin/dead-letters/dismiss', {
      method: 'POST',
      headers: { cookie, origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(cleared.status).toBe(303);
    expect(await testDb().db.$count(deadLetters)).toBe(0);
    const after = await (await h.app.request('/admin/dead-letters?notice=dead_letters_dismissed', { headers: { cookie } })).text();
    expect(after).toContain('No dead letters.');
    expect(after).toContain('Dead letters cleared.');
  });

  it('is forgotten when a retry goes through', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    await poison('q-flaky');
    const id = await queuedId(h, 'q-flaky');
    try {
      await q.consume('calltrail-inbox', [new Message('m-flaky', q.sent[0]?.body, 1)]);
      expect(await testDb().db.$count(deadLetters, eq(deadLetters.messageId, 'm-flaky'))).toBe(1);
    } finally {
      await cure();
    }
    const second = new Message('m-flaky', q.sent[0]?.body, 2);
    await q.consume('calltrail-inbox', [second]);
    expect(second.acked).toBe(true);
    expect(await inboxRow(id)).toMatchObject({ status: 'processed' });
    expect(await testDb().db.$count(deadLetters)).toBe(0);
  });

  it('is dead at once when nobody can read it', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    const junk = new Message('m-junk', { kind: 'apply', inbox: 'x' });
    await q.consume('calltrail-inbox', [junk]);
    expect(junk.acked).toBe(true);
    const [row] = await testDb().db.select().from(deadLetters);
    expect(row).toMatchObject({ queue: 'unknown', summary: 'unreadable message', diedAt: expect.any(Date) });
  });

  it('is a drain that throws: retried and noted for the deliveries queue', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    const broken = { drain: () => Promise.reject(new Error('connection reset')) } as unknown as DeliveryWorker;
    const message = new Message('m-drain', { kind: 'deliver', account: h.deps.settings.crm.accountId });
    await q.consume('calltrail-deliveries', [message], broken);
    expect(message.retried).toBe(true);
    const [row] = await testDb().db.select().from(deadLetters);
    expect(row).toMatchObject({ queue: 'deliveries', summary: `deliver to ${h.deps.settings.crm.accountId}`, error: 'connection reset' });
  });
});

describe('a drain that cannot work now', () => {
  it('is no failure: the message is acknowledged and a fresh one asks again later', async () => {
    const h = deliveryHarness(testDb());
    const q = withQueues(h);
    await q.consume('calltrail-inbox', [new Message('m1', { kind: 'apply', inbox: await queuedId(h, 'q-busy') })]);
    // Another isolate's drain holds the account.
    expect(await acquireAccountLease(testDb().db, h.deps.settings.crm.accountId, 'another-isolate', 60)).toBe(true);
    const message = new Message('m-busy', { kind: 'deliver', account: h.deps.settings.crm.accountId });
    await q.consume('calltrail-deliveries', [message]);
    expect(message).toMatchObject({ acked: true, retried: false });
    expect(q.sent.at(-1)).toEqual({ queue: 'deliveries', body: { kind: 'deliver', account: h.deps.settings.crm.accountId }, delaySeconds: 5 });
    expect(await testDb().db.$count(deliveries, and(eq(deliveries.uniq, conversationUniq('generic', 'q-busy')), eq(deliveries.state, 'pending')))).toBe(1);
  });
});
