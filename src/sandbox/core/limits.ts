/**
 * amoCRM's request limit for one account, as a sliding window: a request that would make more
 * than `rps` accepted requests within the last 1000 ms is refused with 429 (refused requests do
 * not fill the window). Refusals are remembered too: `blockAfter429s` of them within
 * `blockWindowSeconds` and the account is **blocked** — every API request then gets the gateway's
 * 403 page until someone lifts it (at amoCRM: a support ticket; here: unblock()).
 * @module
 */

export type Admission = 'ok' | 'limited';

export class AccountLimiter {
  private accepted: number[] = [];
  private refusals: number[] = [];
  blocked = false;

  constructor(
    private readonly rps: number,
    private readonly blockAfter: number,
    private readonly blockWindowMs: number,
  ) {}

  admit(nowMs: number): Admission {
    this.accepted = this.accepted.filter((t) => t > nowMs - 1000);
    if (this.accepted.length >= this.rps) {
      this.refusals = this.refusals.filter((t) => t > nowMs - this.blockWindowMs);
      this.refusals.push(nowMs);
      if (this.refusals.length >= this.blockAfter) this.blocked = true;
      return 'limited';
    }
    this.accepted.push(nowMs);
    return 'ok';
  }

  /** Lifts the block and forgets the 429s that led to it, so the next 429 does not re-block at once. */
  unblock(): void {
    this.blocked = false;
    this.refusals = [];
  }
}
