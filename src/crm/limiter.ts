/**
 * The request budget of one CRM account, in this process: a sliding window over the requests as
 * they were **actually sent**, like the CRM's own limiter. At most ceil(rate) requests are sent
 * in any window of ceil(rate)/rate seconds (plus a small margin for jitter between here and the
 * CRM): amoCRM's 7/s means no eighth request within a second of the first, and 429s lead to a
 * 403 block. A slot is granted when the window has room; the caller then reports the moment its
 * request leaves (`slot.sent()`, the transport does it just before fetch), and the window counts
 * that moment — a caller that stalled between its grant and its send (a busy event loop, a slow
 * body) moves its request later in the window instead of letting the next ones bunch up behind
 * it, and a slot that was never sent is given back (`slot.release()`). Until it is reported, a
 * granted slot counts as being sent now. Between two grants there is at least PACE of the even
 * interval: a process that fell behind (a gap of CPU starvation) catches up within the window's
 * allowance a little faster than the even pace, never in a burst.
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

/** A granted slot: its request is sent now, or not at all. */
export interface Slot {
  /** The request leaves now: the window counts this moment. */
  sent(): void;
  /** The request was not sent after all: the slot is given back. */
  release(): void;
}

/** A slot whose sending nobody counts (a budget kept elsewhere). */
export const UNCOUNTED_SLOT: Slot = { sent: () => {}, release: () => {} };

/**
 * What every CRM request waits on: this process's limiter, or one shared by every process on
 * the database (shared-budget.ts). The transport and the live lookups see only this.
 */
export interface Budget {
  acquire(options?: AcquireOptions): Promise<Slot>;
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
  resolve: (slot: Slot) => void;
  reject: (error: Error) => void;
}

/** A granted slot in the window: when its request was sent, or granted while not reported yet. */
interface Sending {
  at: number;
  pending: boolean;
}

const RECOVERY_INTERVAL_MS = 10_000;
/** The shortest gap between two grants, as a share of the even interval (see the module comment). */
const PACE = 0.8;
/** A slot not reported within this long after its grant counts as sent then. */
const PENDING_MAX_MS = 2_000;

export class RateLimiter implements Budget {
  private readonly maxRps: number;
  private rps: number;
  private readonly margin: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** The slots granted within the last window (and those not reported yet), oldest first. */
  private sendings: Sending[] = [];
  /** When the latest slot was granted. */
  private lastGrant = -Infinity;
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
   * Resolves with a slot at the moment the caller may send its request. Each slot is computed
   * when its turn comes, from the requests actually sent and the rate and pause in force then.
   * Rejects with LateForBudget when the caller's deadline comes first.
   */
  acquire(options: AcquireOptions = {}): Promise<Slot> {
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
    return new Promise<Slot>((resolve, reject) => {
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

  /** Requests in a window at the current rate. */
  private limit(): number {
    return Math.max(1, Math.ceil(this.rps - 1e-9));
  }

  private windowMs(): number {
    return (this.limit() / this.rps) * 1000 * (1 + this.margin);
  }

  /** The even interval: a window over its requests. */
  private interval(): number {
    return this.windowMs() / this.limit();
  }

  /** When a slot counts: its send, or — not reported yet — now (at most PENDING_MAX_MS after its grant). */
  private countedAt(s: Sending, now: number): number {
    return s.pending ? Math.min(Math.max(s.at, now), s.at + PENDING_MAX_MS) : s.at;
  }

  private nextSlot(now: number): number {
    this.recover(now);
    const window = this.windowMs();
    const limit = this.limit();
    this.sendings = this.sendings.filter((s) => this.countedAt(s, now) > now - window * 2);
    const counted = this.sendings.map((s) => this.countedAt(s, now)).sort((a, b) => a - b);
    let slot = Math.max(now, this.pausedUntil, this.lastGrant + this.interval() * PACE);
    // The window has room when the limit-th latest request is a window old.
    if (counted.length >= limit) slot = Math.max(slot, (counted[counted.length - limit] as number) + window);
    return slot;
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
        next.resolve(this.grant(now));
        // Let the granted caller start (its continuation runs) before the next one is considered.
        for (let i = 0; i < 3; i++) await null;
      }
    } finally {
      this.pumping = false;
    }
  }

  private grant(now: number): Slot {
    const sending: Sending = { at: now, pending: true };
    this.sendings.push(sending);
    this.lastGrant = now;
    this.granted++;
    return {
      sent: () => {
        if (!sending.pending) return;
        sending.pending = false;
        sending.at = Math.max(sending.at, this.now());
      },
      release: () => {
        if (!sending.pending) return;
        this.sendings = this.sendings.filter((s) => s !== sending);
        // Someone may be waiting for exactly this room.
        if (this.waiters.length > 0) queueMicrotask(() => void this.pump());
      },
    };
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
