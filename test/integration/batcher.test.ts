/**
 * Group commit: concurrent bodies share transactions, and a group never costs a body its
 * correctness — a bad body is isolated, a repeated one stored once.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { inboxEvents } from '../../src/db/schema';
import { inboxDeps } from '../../src/deps';
import { IngestBatcher } from '../../src/ledger/batcher';
import type { IngestInput } from '../../src/ledger/inbox';
import { genericParser } from '../../src/pbx/generic/parse';
import { defaultParseContext } from '../../src/pbx/source';
import { harness } from '#test/app';
import { createTestDb, type TestDb } from '#test/db';
import { callEnded } from '#test/events';
import { conversationByKey, counts } from '#test/ledger';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await db.db.execute(sql`truncate inbox_events, conversations, legs, recordings, deliveries, crm_accounts restart identity cascade`);
});

function body(overrides: Record<string, unknown>): IngestInput {
  const raw = JSON.stringify(callEnded({ recording: { id: `r-${String(overrides.call_id)}`, url: 'https://pbx.example/r.wav' }, ...overrides }));
  return { source: 'generic', raw, events: genericParser.parse(raw, {}, defaultParseContext('Europe/Moscow')) };
}

describe('IngestBatcher', () => {
  it('applies concurrent bodies in fewer transactions, each one completely', async () => {
    const deps = inboxDeps(harness(db).deps);
    const transactions = vi.spyOn(deps.db, 'transaction');
    const batcher = new IngestBatcher(deps, { maxInFlight: 1, maxBatch: 16 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => batcher.submit(body({ call_id: `g${i}` }))));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'processed'));
    expect(new Set(results.map((r) => r.inboxId)).size).toBe(40);
    // All 40 were queued before the first group started: groups of 16, 16 and 8.
    expect(transactions.mock.calls.length).toBe(3);
    expect(await counts(db.db)).toEqual({ inbox: 40, conversations: 40, legs: 40, recordings: 40, deliveries: 40 });
    const call = await conversationByKey(db.db, 'g17');
    expect(call).toMatchObject({ outcome: 'answered', talkSeconds: 180, settledAt: expect.any(Date) });
  });

  it('keeps the other bodies of a group when one cannot be applied', async () => {
    await db.db.execute(sql`create function boom() returns trigger language plpgsql as $$
      begin if new.leg_key = 'bad' then raise exception 'simulated processing bug'; end if; return new; end $$`);
    await db.db.execute(sql`create trigger boom before insert on legs for each row execute function boom()`);
    try {
      const batcher = new IngestBatcher(inboxDeps(harness(db).deps), { maxInFlight: 1 });
      const inputs = [body({ call_id: 'first' }), ...Array.from({ length: 9 }, (_, i) => body({ call_id: `ok${i}` })), body({ call_id: 'bad' })];
      const results = await Promise.all(inputs.map((i) => batcher.submit(i)));
      expect(results.map((r) => r.status)).toEqual([...Array(10).fill('processed'), 'stored']);
      expect(await counts(db.db)).toMatchObject({ inbox: 11, conversations: 10, legs: 10 });
      expect(await db.db.$count(inboxEvents, sql`${inboxEvents.status} = 'failed'`)).toBe(1);
    } finally {
      await db.db.execute(sql`drop trigger if exists boom on legs`);
      await db.db.execute(sql`drop function if exists boom()`);
    }
  });

  it('stores a body sent twice into one group once, and answers the copy as a duplicate', async () => {
    const batcher = new IngestBatcher(inboxDeps(harness(db).deps), { maxInFlight: 1 });
    const same = body({ call_id: 'twice' });
    const results = await Promise.all([batcher.submit(body({ call_id: 'lead' })), batcher.submit(same), batcher.submit(same)]);
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'duplicate']);
    expect(results[2]?.inboxId).toBe(results[1]?.inboxId);
    expect(await counts(db.db)).toMatchObject({ inbox: 2, conversations: 2, legs: 2 });
  });

  it('drains: everything submitted is applied before drain resolves', async () => {
    const batcher = new IngestBatcher(inboxDeps(harness(db).deps));
    const pending = Array.from({ length: 10 }, (_, i) => batcher.submit(body({ call_id: `d${i}` })));
    await batcher.drain();
    expect(await db.db.$count(inboxEvents)).toBe(10);
    await Promise.all(pending);
    await expect(batcher.drain()).resolves.toBeUndefined();
  });
});
