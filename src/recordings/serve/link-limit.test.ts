import { describe, expect, it } from 'vitest';
import { LinkLimiter } from './link-limit';

describe('LinkLimiter', () => {
  it('lets a burst of perMinute through, then refuses with the seconds until a token is back', () => {
    const limiter = new LinkLimiter(120);
    for (let i = 0; i < 120; i++) expect(limiter.take('a', 1_000).ok).toBe(true);
    expect(limiter.take('a', 1_000)).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Another link has its own bucket.
    expect(limiter.take('b', 1_000).ok).toBe(true);
    // Two per second come back at 120 a minute.
    expect(limiter.take('a', 1_500).ok).toBe(true);
    expect(limiter.take('a', 1_500).ok).toBe(false);
    expect(limiter.take('a', 61_000).ok).toBe(true);
  });

  it('says how long to wait at a slow rate', () => {
    const limiter = new LinkLimiter(2);
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 30 });
    expect(limiter.take('a', 10_000)).toEqual({ ok: false, retryAfterSeconds: 20 });
    expect(limiter.take('a', 30_000).ok).toBe(true);
  });

  it('has no limit at 0 and keeps no bucket', () => {
    const limiter = new LinkLimiter(0);
    for (let i = 0; i < 1000; i++) expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('forgets full buckets when there are too many links', () => {
    const limiter = new LinkLimiter(60, 100);
    for (let i = 0; i < 100; i++) limiter.take(`old-${i}`, 0);
    // A minute later every old bucket is full again: they go when the next link arrives.
    limiter.take('new', 60_000);
    limiter.take('newer', 60_000);
    expect(limiter.size).toBeLessThanOrEqual(2);
  });
});
