/**
 * One CRM account's budget shared by several processes through the database (issue 17, item 1):
 * three budgets on one database stand for three `calltrail serve` processes. What the CRM would
 * count — the starts recorded in crm_budget_requests — never exceeds the limit in any window;
 * a live request waiting in one process goes before background listings waiting in another; a
 * 429 seen by one pauses and slows all; a database that cannot answer leaves each process pacing
 * itself. Runs on PGlite and PostgreSQL (the same SQL function).
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDb } from '#test/db';
import { postgresSlotStore, SharedBudget, type SlotStore } from '../../src/crm/shared-budget';
import { memoryLogger } from '../../src/lib/log';

const testDb = useTestDb();
const RPS = 40;
const WINDOW_MS = 1000 * 1.03;

const budget = (store: SlotStore, log = memoryLogger()) => new SharedBudget({ account: 'amocrm:acme.amocrm.ru', rps: RPS, store, log });

/** Rows of a query on either driver (postgres.js answers an array, PGlite {rows}). */
async function rowsOf<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await testDb().db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

async function starts(): Promise<number[]> {
  const rows = await rowsOf<{ at: string }>(sql`select extract(epoch from sent_at) * 1000 as at from crm_budget_requests order by sent_at`);
  return rows.map((r) => Number(r.at));
}

/** The most starts in any window of WINDOW_MS. */
function busiestWindow(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= WINDOW_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('a CRM account budget shared through the database', { timeout: 30_000 }, () => {
  it('keeps three processes together within the limit in every window, and uses it', async () => {
    const store = postgresSlotStore(() => testDb().db);
    const processes = [budget(store), budget(store), budget(store)];
    const began = Date.now();
    await Promise.all(processes.flatMap((p) => Array.from({ length: 40 }, () => p.acquire({ priority: 'delivery' }))));
    const took = Date.now() - began;
    const times = await starts();
    expect(times).toHaveLength(120);
    expect(busiestWindow(times)).toBeLessThanOrEqual(RPS);
    // 120 starts at 40 per 1.03 s: at least two full windows, and not much more than three.
    expect(took).toBeGreaterThanOrEqual(2 * WINDOW_MS - 50);
    expect(took).toBeLessThan(5 * WINDOW_MS);
  });

  it('lets a live request waiting in one process go before listings waiting in another', async () => {
    const store = postgresSlotStore(() => testDb().db);
    const listings = budget(store);
    const live = budget(store);
    const listed: number[] = [];
    const backlog = Array.from({ length: 3 * RPS }, () => listings.acquire({ priority: 'background' }).then(() => listed.push(Date.now())));
    await new Promise((r) => setTimeout(r, 300));
    const asked = Date.now();
    await live.acquire({ priority: 'live' });
    const waited = Date.now() - asked;
    // Behind a backlog of two windows' worth, the ring waits about one slot, not the backlog.
    expect(waited).toBeLessThan(WINDOW_MS / 2);
    expect(listed.filter((t) => t < asked).length).toBeLessThan(2 * RPS);
    await Promise.all(backlog);
  });

  it("pauses and slows every process on one process's 429", async () => {
    const store = postgresSlotStore(() => testDb().db);
    const a = budget(store);
    const b = budget(store);
    await a.acquire();
    a.penalize(600);
    await new Promise((r) => setTimeout(r, 50));
    const asked = Date.now();
    await b.acquire();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(450);
    const [state] = await rowsOf<{ scale: number }>(sql`select scale from crm_budget_state`);
    expect(Number(state?.scale)).toBe(0.5);
  });

  it('paces each process alone when the database cannot answer, and says so once', async () => {
    const log = memoryLogger();
    const down: SlotStore = { take: () => Promise.reject(new Error('connection refused')), penalize: () => Promise.reject(new Error('connection refused')) };
    const alone = budget(down, log);
    const began = Date.now();
    for (let i = 0; i < 5; i++) (await alone.acquire()).sent();
    // This process's own limiter still keeps its pace (at least 0.8 of the even interval apart).
    expect(Date.now() - began).toBeGreaterThanOrEqual(4 * 0.8 * (1000 / RPS));
    expect(log.lines.filter((l) => l.includes('cannot be reached'))).toHaveLength(1);
  });
});
