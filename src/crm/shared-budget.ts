/**
 * One CRM account's request budget across every process on one PostgreSQL database. amoCRM
 * counts requests per account, not per process: three `calltrail serve` processes, each pacing
 * itself to 7 rps, send 21 — 429s, then a 403 block. Here each request first takes its turn in
 * this process (the RateLimiter: priorities, deadlines, even pacing), then a slot from the
 * database: `calltrail_take_slot` (migrations/0012) admits at most ceil(rate) starts in any window
 * of the account's rate, counted from what every process actually started, under an advisory lock
 * per account, in one round trip. Better priorities waiting anywhere hold worse ones back (a ring's
 * lookup before deliveries, deliveries before listings), and a 429 pauses and slows every process.
 *
 * If the database cannot answer, the request goes on under this process's pace alone (logged):
 * the CRM call would be in trouble anyway, and a lookup for a ringing call should not fail on it.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Logger } from '../lib/log';
import { type AcquireOptions, type Budget, LateForBudget, PRIORITIES, RateLimiter, type Slot } from './limiter';

/** Where the shared slots are counted. */
export interface SlotStore {
  /** 0: go now (the start is recorded); else milliseconds to wait before asking again. */
  take(account: string, priority: number, rps: number, margin: number): Promise<number>;
  penalize(account: string, waitMs: number): Promise<void>;
}

/** `db` is asked each time: on Workers the database client belongs to the request being served. */
export function postgresSlotStore(db: () => Db): SlotStore {
  return {
    async take(account, priority, rps, margin) {
      const rows = (await db().execute(sql`select calltrail_take_slot(${account}, ${priority}, ${rps}, ${margin}) as wait`)) as unknown as
        | { wait: number }[]
        | { rows: { wait: number }[] };
      const row = Array.isArray(rows) ? rows[0] : rows.rows[0];
      return Number(row?.wait ?? 0);
    },
    async penalize(account, waitMs) {
      await db().execute(sql`select calltrail_penalize_budget(${account}, ${Math.max(0, Math.round(waitMs))})`);
    },
  };
}

export interface SharedBudgetOptions {
  account: string;
  rps: number;
  store: SlotStore;
  log: Logger;
  margin?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class SharedBudget implements Budget {
  readonly #local: RateLimiter;
  readonly #options: SharedBudgetOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #sharedWaits = 0;
  #storeDown = false;

  constructor(options: SharedBudgetOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#local = new RateLimiter({ rps: options.rps, margin: options.margin ?? 0.03, now: this.#now, sleep: this.#sleep });
  }

  get currentRps(): number {
    return this.#local.currentRps;
  }

  get requests(): number {
    return this.#local.requests;
  }

  get late(): number {
    return this.#local.late;
  }

  get waiting(): number {
    return this.#local.waiting + this.#sharedWaits;
  }

  /** This process's slot (which counts the actual send), once the database has given one too. */
  async acquire(options: AcquireOptions = {}): Promise<Slot> {
    const slot = await this.#local.acquire(options);
    const priority = PRIORITIES.indexOf(options.priority ?? 'delivery');
    const deadline = options.deadline ?? null;
    this.#sharedWaits++;
    try {
      for (;;) {
        const wait = await this.#take(priority);
        if (wait <= 0) return slot;
        const at = this.#now() + wait;
        if (deadline !== null && at > deadline) throw new LateForBudget(at, deadline);
        await this.#sleep(wait);
      }
    } catch (error) {
      slot.release();
      throw error;
    } finally {
      this.#sharedWaits--;
    }
  }

  penalize(waitMs: number): void {
    this.#local.penalize(waitMs);
    this.#options.store.penalize(this.#options.account, waitMs).catch((error: unknown) => {
      this.#options.log.warn('the shared CRM budget could not record a 429; this process slows down alone', { account: this.#options.account, error });
    });
  }

  async #take(priority: number): Promise<number> {
    const { store, account, rps, margin } = this.#options;
    try {
      const wait = await store.take(account, priority, rps, margin ?? 0.03);
      if (this.#storeDown) this.#options.log.info('the shared CRM budget answers again', { account });
      this.#storeDown = false;
      return wait;
    } catch (error) {
      if (!this.#storeDown) this.#options.log.warn('the shared CRM budget cannot be reached; pacing this process alone', { account, error });
      this.#storeDown = true;
      return 0;
    }
  }
}
