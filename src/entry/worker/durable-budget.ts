/**
 * The CRM account's budget as the Worker uses it: every request asks the account's Durable Object
 * (crm-account.ts) for a slot and, told to wait, sleeps on its own timer and asks again. There is
 * no pacing loop in the isolate, unlike the RateLimiter that SharedBudget puts in front of its
 * store (crm/shared-budget.ts): workerd ends a request's timers with the request, so a loop
 * started by one request and serving the waiters of others dies with the first and leaves the rest
 * waiting forever. The object keeps the rules (crm/slot-book.ts): the rate in every window,
 * priorities, a 429 pausing and slowing everyone.
 *
 * If the object cannot be reached the isolate paces its own requests — each reserves the next
 * slot of 1/rate and sleeps until it — and says so once; the CRM call would be in trouble anyway.
 * @module
 */
import { type AcquireOptions, type Budget, LateForBudget, PRIORITIES, type Slot, UNCOUNTED_SLOT } from '../../crm/limiter';
import type { SlotStore } from '../../crm/shared-budget';
import type { Logger } from '../../lib/log';

export interface DurableBudgetOptions {
  account: string;
  rps: number;
  store: SlotStore;
  log: Logger;
  margin?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class DurableBudget implements Budget {
  readonly #o: DurableBudgetOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #granted = 0;
  #late = 0;
  #waiting = 0;
  #storeDown = false;
  /** Alone: the next slot this isolate may start at. */
  #nextAlone = 0;

  constructor(options: DurableBudgetOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => Date.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The configured rate: a rate slowed by 429s is the object's to know. */
  get currentRps(): number {
    return this.#o.rps;
  }

  get requests(): number {
    return this.#granted;
  }

  get late(): number {
    return this.#late;
  }

  get waiting(): number {
    return this.#waiting;
  }

  /** The object counts the slot when it grants it: the slot given back is not counted again. */
  async acquire(options: AcquireOptions = {}): Promise<Slot> {
    const priority = PRIORITIES.indexOf(options.priority ?? 'delivery');
    const deadline = options.deadline ?? null;
    this.#waiting++;
    try {
      for (;;) {
        const answer = await this.#take(priority);
        if (answer.wait > 0) {
          const at = this.#now() + answer.wait;
          if (deadline !== null && at > deadline) {
            this.#late++;
            throw new LateForBudget(at, deadline);
          }
          await this.#sleep(answer.wait);
        }
        // The object's wait is a "try again then"; a slot reserved alone is ours once waited for.
        if (answer.wait <= 0 || answer.alone) {
          this.#granted++;
          return UNCOUNTED_SLOT;
        }
      }
    } finally {
      this.#waiting--;
    }
  }

  penalize(waitMs: number): void {
    const { store, account, log } = this.#o;
    this.#nextAlone = Math.max(this.#nextAlone, this.#now() + waitMs);
    store
      .penalize(account, waitMs)
      .catch((error: unknown) => log.warn('the CRM account object could not record a 429; this isolate slows down alone', { account, error }));
  }

  async #take(priority: number): Promise<{ wait: number; alone: boolean }> {
    const { store, account, rps, margin, log } = this.#o;
    try {
      const wait = await store.take(account, priority, rps, margin ?? 0.03);
      if (this.#storeDown) log.info('the CRM account object answers again', { account });
      this.#storeDown = false;
      return { wait, alone: false };
    } catch (error) {
      if (!this.#storeDown) log.warn('the CRM account object cannot be reached; pacing this isolate alone', { account, error });
      this.#storeDown = true;
      const now = this.#now();
      const slot = Math.max(now, this.#nextAlone);
      this.#nextAlone = slot + (1000 / rps) * (1 + (margin ?? 0.03));
      return { wait: slot - now, alone: true };
    }
  }
}
