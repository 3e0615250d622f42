/**
 * The Durable Object of one CRM account (binding CRM_ACCOUNTS, one object per account:
 * idFromName(accountId)). Every isolate of the Worker asks it before it sends the account a
 * request, so the account's budget is counted in one place — amoCRM counts per account, not per
 * isolate — by the rules of the PostgreSQL store (crm/slot-book.ts); and it holds the account's
 * OAuth refresh lock, so no two isolates spend amoCRM's single-use refresh token at once.
 *
 * Spoken to over fetch (POST /take, /penalize, /lock, /unlock with JSON), not RPC: RPC would make
 * this class extend cloudflare:workers' DurableObject, which the Node tests cannot import. A
 * request is answered from memory; only a 429's penalty is written to the object's storage, so a
 * restarted object still keeps everyone paused and slowed.
 * @module
 */
import { type Penalty, SlotBook } from '../../crm/slot-book';

/** The little of DurableObjectState used here (the real one satisfies it). */
export interface CrmAccountState {
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
  };
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

const PENALTY_KEY = 'penalty';
/** No refresh lock is held longer than this, whatever the holder promised (a dead isolate lets go). */
const MAX_LOCK_MS = 60_000;

export class CrmAccount {
  #book = new SlotBook();
  readonly #lock = new TurnLock();

  constructor(
    private readonly state: CrmAccountState,
    _env?: unknown,
  ) {
    void state.blockConcurrencyWhile(async () => {
      const penalty = await state.storage.get<Penalty>(PENALTY_KEY);
      if (penalty) this.#book = new SlotBook(penalty);
    });
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return problem(405, 'POST only');
    const body = await request.json().catch(() => null);
    if (!body || typeof body !== 'object') return problem(400, 'the body must be a JSON object');
    const input = body as Record<string, unknown>;
    switch (new URL(request.url).pathname) {
      case '/take':
        return this.#take(input);
      case '/penalize':
        return this.#penalize(input);
      case '/lock':
        return this.#acquire(input);
      case '/unlock':
        return this.#release(input);
      default:
        return problem(404, 'no such operation');
    }
  }

  #take(input: Record<string, unknown>): Response {
    const { priority, rps, margin } = input;
    if (!isCount(priority) || priority > 2) return problem(400, 'priority: 0 (live), 1 (delivery) or 2 (background)');
    if (!isPositive(rps)) return problem(400, 'rps: a positive number');
    if (typeof margin !== 'number' || !(margin >= 0 && margin < 1)) return problem(400, 'margin: a number from 0 to 1');
    return Response.json({ wait: this.#book.take(priority, rps, margin, Date.now()) });
  }

  async #penalize(input: Record<string, unknown>): Promise<Response> {
    if (!isCount(input.waitMs)) return problem(400, 'waitMs: a whole number of milliseconds');
    this.#book.penalize(input.waitMs, Date.now());
    await this.state.storage.put(PENALTY_KEY, this.#book.penalty);
    return new Response(null, { status: 204 });
  }

  async #acquire(input: Record<string, unknown>): Promise<Response> {
    const { holder, ttlMs, waitMs } = input;
    if (typeof holder !== 'string' || holder.length === 0 || holder.length > 200) return problem(400, 'holder: a string');
    if (!isPositive(ttlMs) || !isCount(waitMs)) return problem(400, 'ttlMs and waitMs: milliseconds');
    const granted = await this.#lock.acquire(holder, Math.min(ttlMs, MAX_LOCK_MS), Math.min(waitMs, MAX_LOCK_MS));
    return Response.json({ granted });
  }

  #release(input: Record<string, unknown>): Response {
    if (typeof input.holder !== 'string') return problem(400, 'holder: a string');
    this.#lock.release(input.holder);
    return new Response(null, { status: 204 });
  }
}

/**
 * A lock one holder has at a time, for at most its time to live; waiters are woken when it is
 * released or runs out, and give up at their own deadline.
 */
export class TurnLock {
  #holder: { id: string; until: number } | null = null;
  readonly #waiters = new Set<() => void>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async acquire(holder: string, ttlMs: number, waitMs: number): Promise<boolean> {
    const deadline = this.now() + waitMs;
    for (;;) {
      const now = this.now();
      const current = this.#holder;
      if (!current || current.until <= now || current.id === holder) {
        this.#holder = { id: holder, until: now + ttlMs };
        return true;
      }
      if (now >= deadline) return false;
      await this.#wake(Math.min(deadline, current.until) - now);
    }
  }

  release(holder: string): void {
    if (this.#holder?.id !== holder) return;
    this.#holder = null;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves on the next release, or after `ms`. */
  #wake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#waiters.add(done);
    });
  }
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

function problem(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}
