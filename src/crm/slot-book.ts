/**
 * One CRM account's request budget kept in memory by whoever is the account's single keeper —
 * on Workers, the account's Durable Object (entry/worker/crm-account.ts), which every isolate
 * asks. The rules are those of the PostgreSQL function calltrail_take_slot
 * (migrations/0012_crm_budget_function.sql), so both SlotStores (shared-budget.ts) behave alike:
 *
 * - at most ceil(rate) starts in any window of ceil(rate)/rate·(1 + margin) seconds, counted from
 *   the starts actually granted;
 * - a better priority that found the window full holds worse ones back for 2 s (a ring's lookup
 *   before deliveries, deliveries before listings), until it gets its slot;
 * - a 429 pauses everyone for its wait and halves the rate (to an eighth at least), which comes
 *   back by a tenth per quiet 10 s.
 *
 * The pause and the slowed rate are what must outlive the keeper's restart (`penalty`, which the
 * keeper stores after a 429); the starts and the waiting priorities matter for seconds only.
 * @module
 */

/** What a 429 left behind. */
export interface Penalty {
  pausedUntil: number | null;
  scale: number;
  penalizedAt: number | null;
}

/** How long a better priority that found no slot holds worse ones back. */
const HOLD_MS = 2000;
/** A quiet period that gives back a tenth of the rate. */
const RECOVERY_STEP_MS = 10_000;

export class SlotBook {
  #penalty: Penalty;
  #starts: number[] = [];
  /** Until when a live request (0) and a delivery (1) are waiting for a slot. */
  #waiting: [number, number] = [0, 0];

  constructor(penalty: Penalty = { pausedUntil: null, scale: 1, penalizedAt: null }) {
    this.#penalty = { ...penalty };
  }

  get penalty(): Penalty {
    return { ...this.#penalty };
  }

  /** 0: go now (the start is recorded); else milliseconds to wait before asking again. */
  take(priority: number, rps: number, margin: number, now: number): number {
    const { pausedUntil } = this.#penalty;
    if (pausedUntil !== null && pausedUntil > now) return Math.max(1, Math.ceil(pausedUntil - now));
    this.#recover(now);
    const rate = rps * this.#penalty.scale;
    const limit = Math.max(1, Math.ceil(rate));
    const windowMs = (limit / rate) * (1 + margin) * 1000;
    if ((priority > 0 && this.#waiting[0] > now) || (priority > 1 && this.#waiting[1] > now)) {
      return Math.max(5, Math.ceil(windowMs / limit));
    }
    const inWindow = this.#starts.filter((t) => t > now - windowMs);
    if (inWindow.length < limit) {
      this.#starts = this.#starts.filter((t) => t >= now - windowMs * 4);
      this.#starts.push(now);
      if (priority === 0 || priority === 1) this.#waiting[priority] = 0;
      return 0;
    }
    if (priority === 0 || priority === 1) this.#waiting[priority] = now + HOLD_MS;
    return Math.max(1, Math.ceil(Math.min(...inWindow) + windowMs - now));
  }

  /** A 429: nobody starts before `waitMs` from now, and the rate halves. */
  penalize(waitMs: number, now: number): void {
    const { pausedUntil, scale } = this.#penalty;
    this.#penalty = {
      pausedUntil: Math.max(pausedUntil ?? now, now + Math.max(0, waitMs)),
      scale: Math.max(0.125, scale / 2),
      penalizedAt: now,
    };
  }

  /** A tenth of the rate back per quiet 10 s: a function of penalizedAt, so a restored penalty recovers alike. */
  #recover(now: number): void {
    const { scale, penalizedAt } = this.#penalty;
    if (scale >= 1 || penalizedAt === null) return;
    const quiet = Math.floor((now - penalizedAt) / RECOVERY_STEP_MS);
    if (quiet <= 0) return;
    this.#penalty = { ...this.#penalty, scale: Math.min(1, scale + quiet * 0.1), penalizedAt: penalizedAt + quiet * RECOVERY_STEP_MS };
  }
}
