/**
 * A token bucket per recording link, in this process: `perMinute` requests a minute on average, as
 * many at once (a player's burst of range requests when it opens or seeks). Every request counts,
 * ranged or not. Beyond it the link answers 429 with Retry-After until a token is back. Buckets
 * that have filled up again are forgotten, so memory stays bounded by the links in use.
 * @module
 */

interface Bucket {
  tokens: number;
  at: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export class LinkLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;

  /** `perMinute` 0: no limit. */
  constructor(
    private readonly perMinute: number,
    private readonly maxBuckets = 10_000,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  take(link: string, nowMs: number): TakeResult {
    if (this.perMinute <= 0) return { ok: true };
    const bucket = this.buckets.get(link) ?? { tokens: this.perMinute, at: nowMs };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, nowMs - bucket.at) * this.ratePerMs);
    bucket.at = nowMs;
    if (bucket.tokens < 1) {
      this.buckets.set(link, bucket);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerMs / 1000)) };
    }
    bucket.tokens -= 1;
    this.buckets.set(link, bucket);
    if (this.buckets.size > this.maxBuckets) this.sweep(nowMs);
    return { ok: true };
  }

  /** Forgets the buckets that are full again (a new bucket starts full anyway). */
  private sweep(nowMs: number): void {
    for (const [link, bucket] of this.buckets) {
      if (bucket.tokens + (nowMs - bucket.at) * this.ratePerMs >= this.perMinute) this.buckets.delete(link);
    }
    // Still too many (a flood of distinct links): drop the oldest half.
    if (this.buckets.size > this.maxBuckets) {
      let drop = this.buckets.size - this.maxBuckets / 2;
      for (const link of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(link);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
