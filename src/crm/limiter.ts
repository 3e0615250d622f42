/**
 * The request budget of one CRM account, in this process. Starts of requests are spaced at
 * least 1/rate apart — measured from the previous start as it actually happened, so a late
 * timer never lets two requests bunch up — with a small safety margin for jitter between here
 * and the CRM. There is no burst: amoCRM counts requests per second and escalates a 429 into a
 * block, so an even pace is worth more than the last few percent of throughput.
 *
 * On a 429 the rate halves (down to a floor) and the limiter pauses; each quiet interval then
 * wins back a tenth of the configured rate (additive increase, multiplicative decrease), so a
 * CRM that allows less than we were told converges instead of being hammered into a block.
 * Requests have a priority: live ones (a screen pop, a caller lookup for a ringing call) go
 * before deliveries, deliveries before reconciliation listings and backfills; within a priority,
 * in call order. A request may carry a deadline: when its slot would come after it (a ring is worth
 * nothing ten seconds later), it is refused at once with LateForBudget instead of queued, and
 * takes no slot from anyone.
 *
 * One delivery worker holds an account at a time (see delivery/lease.ts), and the live requests
 * of this process share this limiter, so an in-process budget is the whole budget of a process.
 * @module
 */
export interface LimiterOptions {
  /** Requests per second allowed by the CRM. */
  rps: number;
  /** Fraction added to every interval for clock and network jitter. */
  margin?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Who goes first when several wait: live calls, then deliveries, then background listings. */
export const PRIORITIES = ['live', 'delivery', 'background'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface AcquireOptions {
  /** Default `delivery`. */
  priority?: Priority;
  /** Epoch ms: refuse (LateForBudget) rather than start after this. */
  deadline?: number | null;
}

/** The budget cannot give a slot before the request's deadline; nothing was sent. */
export class LateForBudget extends Error {
  constructor(
    readonly slotAt: number,
    readonly deadline: number,
  ) {
    super(`the request budget has no slot before its deadline (next slot in ${Math.max(0, Math.round(slotAt - deadline))} ms past it)`);
    this.name = 'LateForBudget';
  }
}

/**
 * What every CRM request waits on: this process's limiter, or one shared by every process on
 * the database (shared-budget.ts). The transport and the live lookups see only this.
 */
export interface Budget {
  acquire(options?: AcquireOptions): Promise<void>;
  /** A 429 arrived: slow down and pause for waitMs. */
  penalize(waitMs: number): void;
  readonly currentRps: number;
  readonly requests: number;
  readonly late: number;
  readonly waiting: number;
}

interface Waiter {
  rank: number;
  seq: number;
  deadline: number | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

const RECOVERY_INTERVAL_MS = 10_000;

export class RateLimiter implements Budget {
  private readonly maxRps: number;
  private rps: number;
  private readonly margin: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** When the latest granted request actually started (after its wait). */
  private last = -Infinity;
  /** Waiting callers, best first: by priority, then call order. */
  private waiters: Waiter[] = [];
  private seq = 0;
  private pumping = false;
  private pausedUntil = 0;
  private lastPenaltyAt = -Infinity;
  private granted = 0;
  private refusedLate = 0;

  constructor(options: LimiterOptions) {
    this.maxRps = options.rps;
    this.rps = options.rps;
    this.margin = options.margin ?? 0.03;
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The current rate, after any slow-down. */
  get currentRps(): number {
    return this.rps;
  }

  /** Requests granted so far. */
  get requests(): number {
    return this.granted;
  }

  /** Requests refused because their deadline came before a slot. */
  get late(): number {
    return this.refusedLate;
  }

  /** Callers waiting now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves at the moment the caller may start its request. Each slot is computed when its turn
   * comes, from the previous request's actual start and the rate and pause in force then, so a
   * late timer or a penalty in between is never overrun. Rejects with LateForBudget when the
   * caller's deadline comes first.
   */
  acquire(options: AcquireOptions = {}): Promise<void> {
    const rank = PRIORITIES.indexOf(options.priority ?? 'delivery');
    const deadline = options.deadline ?? null;
    if (deadline !== null) {
      // Everyone of this priority or better already waiting goes first.
      const ahead = this.waiters.filter((w) => w.rank <= rank).length;
      const slot = this.nextSlot(this.now()) + ahead * this.interval();
      if (slot > deadline) {
        this.refusedLate++;
        return Promise.reject(new LateForBudget(slot, deadline));
      }
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { rank, seq: this.seq++, deadline, resolve, reject };
      const at = this.waiters.findIndex((w) => w.rank > rank);
      if (at < 0) this.waiters.push(waiter);
      else this.waiters.splice(at, 0, waiter);
      // After the caller has its promise (and its continuation), so a grant reaches it first.
      queueMicrotask(() => void this.pump());
    });
  }

  /** A 429 arrived: slow down and pause for waitMs. */
  penalize(waitMs: number): void {
    const now = this.now();
    this.rps = Math.max(this.maxRps / 8, this.rps / 2);
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
    this.lastPenaltyAt = now;
  }

  private interval(): number {
    return (1000 / this.rps) * (1 + this.margin);
  }

  private nextSlot(now: number): number {
    this.recover(now);
    return Math.max(now, this.last + this.interval(), this.pausedUntil);
  }

  /** Serves the waiters one at a time; after every sleep the best waiter is chosen again. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        const now = this.now();
        const slot = this.nextSlot(now);
        this.dropLate(slot);
        if (this.waiters.length === 0) break;
        if (slot > now) {
          await this.sleep(slot - now);
          continue;
        }
        const next = this.waiters.shift() as Waiter;
        this.last = this.now();
        this.granted++;
        next.resolve();
        // Let the granted caller start (its continuation runs) before the next one is considered.
        for (let i = 0; i < 3; i++) await null;
      }
    } finally {
      this.pumping = false;
    }
  }

  private dropLate(slot: number): void {
    const late = this.waiters.filter((w) => w.deadline !== null && w.deadline < slot);
    if (late.length === 0) return;
    this.waiters = this.waiters.filter((w) => !late.includes(w));
    for (const w of late) {
      this.refusedLate++;
      w.reject(new LateForBudget(slot, w.deadline as number));
    }
  }

  private recover(now: number) {
    if (this.rps >= this.maxRps) return;
    const quiet = Math.floor((now - this.lastPenaltyAt) / RECOVERY_INTERVAL_MS);
    if (quiet <= 0) return;
    this.rps = Math.min(this.maxRps, this.rps + (quiet * this.maxRps) / 10);
    this.lastPenaltyAt += quiet * RECOVERY_INTERVAL_MS;
  }
}
