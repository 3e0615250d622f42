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
 * One delivery worker holds an account at a time (see delivery/lease.ts), so an in-process
 * budget is the whole budget.
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

const RECOVERY_INTERVAL_MS = 10_000;

export class RateLimiter {
  private readonly maxRps: number;
  private rps: number;
  private readonly margin: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** When the latest granted request actually started (after its wait). */
  private last = -Infinity;
  /** Callers are served one after another, each measured from its predecessor's real start. */
  private queue: Promise<void> = Promise.resolve();
  private pausedUntil = 0;
  private lastPenaltyAt = -Infinity;
  private granted = 0;

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

  /**
   * Resolves at the moment the caller may start its request; callers are served in call order.
   * Each slot is computed when its turn comes, from the previous request's actual start and the
   * rate and pause in force then, so a late timer or a penalty in between is never overrun.
   */
  acquire(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = this.now();
        this.recover(now);
        const interval = (1000 / this.rps) * (1 + this.margin);
        const slot = Math.max(now, this.last + interval, this.pausedUntil);
        if (slot <= now) break;
        await this.sleep(slot - now);
      }
      this.last = this.now();
      this.granted++;
    });
    this.queue = turn;
    return turn;
  }

  /** A 429 arrived: slow down and pause for waitMs. */
  penalize(waitMs: number): void {
    const now = this.now();
    this.rps = Math.max(this.maxRps / 8, this.rps / 2);
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
    this.lastPenaltyAt = now;
  }

  private recover(now: number) {
    if (this.rps >= this.maxRps) return;
    const quiet = Math.floor((now - this.lastPenaltyAt) / RECOVERY_INTERVAL_MS);
    if (quiet <= 0) return;
    this.rps = Math.min(this.maxRps, this.rps + (quiet * this.maxRps) / 10);
    this.lastPenaltyAt += quiet * RECOVERY_INTERVAL_MS;
  }
}
