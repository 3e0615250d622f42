import { describe, expect, it } from 'vitest';
import type { CrmFailure } from './port';
import { backoffMs, decide, escalatingMs, MAX_ATTEMPTS, MAX_CONSECUTIVE_429S, rateLimitWaitMs, retryInRun, type FailureContext } from './retry-policy';

const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({ attempts: 1, consecutive429s: 0, triesThisRun: 1, random: 0.5, ...over });

const sentUnavailable: CrmFailure = { kind: 'unavailable', sent: true, status: 502, detail: 'HTTP 502: Bad Gateway' };
const unsentUnavailable: CrmFailure = { kind: 'unavailable', sent: false, status: null, detail: 'network error ECONNREFUSED' };
const tooLarge: CrmFailure = { kind: 'too_large', detail: 'Gateway Timeout' };

describe('decide: what each failure leads to', () => {
  it('403 block opens the circuit as blocked, whatever the attempt count', () => {
    for (const attempts of [1, MAX_ATTEMPTS, MAX_ATTEMPTS + 5]) {
      const d = decide({ kind: 'blocked', detail: 'HTTP 403: nginx' }, ctx({ attempts }));
      expect(d).toMatchObject({ action: 'open_circuit', status: 'blocked' });
      expect(d.action === 'open_circuit' && d.reason).toContain('HTTP 403: nginx');
    }
  });

  it('401 after renewal opens the circuit as unauthorized', () => {
    const d = decide({ kind: 'unauthorized', detail: 'Token has been revoked' }, ctx());
    expect(d).toMatchObject({ action: 'open_circuit', status: 'unauthorized' });
    expect(d.action === 'open_circuit' && d.reason).toContain('Token has been revoked');
  });

  it('a 4xx about the request is rejected with status and detail', () => {
    const d = decide({ kind: 'rejected', status: 400, detail: 'phone: required' }, ctx());
    expect(d.action).toBe('reject');
    expect(d.action === 'reject' && d.reason).toMatch(/400.*phone: required/);
  });

  it('a sent request that failed is rescheduled on the backoff schedule with the outcome unknown', () => {
    expect(decide(sentUnavailable, ctx({ attempts: 3, random: 0.5 }))).toEqual({
      action: 'reschedule',
      delayMs: backoffMs(3, 0.5),
      outcomeUnknown: true,
      shrinkBatch: false,
    });
  });

  it('a sent request is never retried in-run, even on its first try', () => {
    expect(decide(sentUnavailable, ctx({ triesThisRun: 1 })).action).toBe('reschedule');
  });

  it('too_large reschedules soon with a smaller batch and the outcome unknown', () => {
    expect(decide(tooLarge, ctx({ attempts: 2, triesThisRun: 1 }))).toEqual({ action: 'reschedule', delayMs: 1000, outcomeUnknown: true, shrinkBatch: true });
  });
});

describe('decide: an unsent request (connection refused)', () => {
  it('is retried in-run, 250 ms then 500 ms, and rescheduled on the third try', () => {
    expect(decide(unsentUnavailable, ctx({ triesThisRun: 1 }))).toEqual({ action: 'retry_now', waitMs: 250 });
    expect(decide(unsentUnavailable, ctx({ triesThisRun: 2 }))).toEqual({ action: 'retry_now', waitMs: 500 });
    expect(decide(unsentUnavailable, ctx({ triesThisRun: 3, attempts: 2, random: 0 }))).toEqual({
      action: 'reschedule',
      delayMs: backoffMs(2, 0),
      outcomeUnknown: false,
      shrinkBatch: false,
    });
  });

  it('gives up at MAX_ATTEMPTS with the outcome known (nothing was sent)', () => {
    expect(decide(unsentUnavailable, ctx({ triesThisRun: 3, attempts: MAX_ATTEMPTS }))).toMatchObject({ action: 'give_up', outcomeUnknown: false });
  });
});

describe('decide: giving up', () => {
  it('keeps rescheduling below MAX_ATTEMPTS and gives up at it', () => {
    expect(decide(sentUnavailable, ctx({ attempts: MAX_ATTEMPTS - 1 })).action).toBe('reschedule');
    const d = decide(sentUnavailable, ctx({ attempts: MAX_ATTEMPTS }));
    expect(d).toEqual({ action: 'give_up', outcomeUnknown: true, reason: 'HTTP 502: Bad Gateway' });
  });

  it('too_large gives up at MAX_ATTEMPTS with the outcome still unknown', () => {
    const d = decide(tooLarge, ctx({ attempts: MAX_ATTEMPTS + 1 }));
    expect(d).toMatchObject({ action: 'give_up', outcomeUnknown: true });
    expect(d.action === 'give_up' && d.reason).toMatch(/504/);
  });
});

describe('decide: 429', () => {
  const limited = (retryAfterMs: number | null = null): CrmFailure => ({ kind: 'rate_limited', retryAfterMs });

  it('retries now with an escalating wait: 1 s, 2 s, 4 s', () => {
    const waits = [1, 2, 3].map((n) => decide(limited(), ctx({ consecutive429s: n })));
    expect(waits).toEqual([
      { action: 'retry_now', waitMs: 1000 },
      { action: 'retry_now', waitMs: 2000 },
      { action: 'retry_now', waitMs: 4000 },
    ]);
  });

  it('honours a longer Retry-After', () => {
    expect(decide(limited(9000), ctx({ consecutive429s: 1 }))).toEqual({ action: 'retry_now', waitMs: 9000 });
    expect(decide(limited(10), ctx({ consecutive429s: 2 }))).toEqual({ action: 'retry_now', waitMs: 2000 });
  });

  it(`reschedules a minute later after ${MAX_CONSECUTIVE_429S} in a row, outcome known`, () => {
    expect(MAX_CONSECUTIVE_429S).toBe(4);
    for (const n of [MAX_CONSECUTIVE_429S, MAX_CONSECUTIVE_429S + 3]) {
      expect(decide(limited(), ctx({ consecutive429s: n }))).toEqual({ action: 'reschedule', delayMs: 60_000, outcomeUnknown: false, shrinkBatch: false });
    }
  });

  it('the escalating wait is capped at 30 s', () => {
    expect(rateLimitWaitMs(0, null)).toBe(1000);
    expect(rateLimitWaitMs(5, null)).toBe(16_000);
    expect(rateLimitWaitMs(6, null)).toBe(30_000);
    expect(rateLimitWaitMs(20, null)).toBe(30_000);
    expect(rateLimitWaitMs(20, 45_000)).toBe(45_000);
  });
});

describe('backoffMs', () => {
  const schedule = [10, 30, 120, 300, 900, 1800, 3600, 7200, 14400].map((s) => s * 1000);

  it('follows the documented schedule at the middle of the jitter', () => {
    expect(schedule.map((_, i) => backoffMs(i + 1, 0.5))).toEqual(schedule);
  });

  it('grows with every attempt and stays at 4 h past the schedule', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffMs(i + 1, 0.5));
    for (let i = 1; i < 9; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? Infinity);
    expect(delays.slice(8)).toEqual([14_400_000, 14_400_000, 14_400_000, 14_400_000]);
  });

  it('treats attempts below 1 as the first', () => {
    expect(backoffMs(0, 0.5)).toBe(10_000);
  });

  it('jitters within ±20 %, using the whole range', () => {
    for (let attempts = 1; attempts <= 9; attempts++) {
      const base = schedule[attempts - 1] ?? 0;
      expect(backoffMs(attempts, 0)).toBe(base * 0.8);
      expect(backoffMs(attempts, 0.999_999) / base).toBeCloseTo(1.2, 4);
      for (let i = 0; i < 50; i++) {
        const d = backoffMs(attempts, i / 50);
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThan(base * 1.2);
      }
    }
    // Different random draws give different delays (no lockstep).
    expect(new Set([0.1, 0.3, 0.6, 0.9].map((r) => backoffMs(4, r))).size).toBe(4);
  });
});

describe('escalatingMs: the one in-run back-off', () => {
  it('doubles from the first wait and stops at the cap', () => {
    expect([1, 2, 3, 4].map((n) => escalatingMs(250, n))).toEqual([250, 500, 1000, 2000]);
    expect(escalatingMs(250, 0)).toBe(250);
    expect(escalatingMs(1000, 10, 30_000)).toBe(30_000);
  });
});

describe('retryInRun: what the transport does after one failed try', () => {
  const read = (tries: number, consecutive429s = 0) => ({ write: false, tries, consecutive429s });
  const write = (tries: number, consecutive429s = 0) => ({ write: true, tries, consecutive429s });

  it('tries a 429 again at once (the limiter holds the pause) until four in a row', () => {
    const limited: CrmFailure = { kind: 'rate_limited', retryAfterMs: 5000 };
    expect([1, 2, 3].map((n) => retryInRun(limited, write(n, n)))).toEqual([0, 0, 0]);
    expect(retryInRun(limited, write(4, MAX_CONSECUTIVE_429S))).toBeNull();
  });

  it('never resends a write that may have reached the CRM', () => {
    expect(retryInRun(sentUnavailable, write(1))).toBeNull();
    expect(retryInRun(tooLarge, write(1))).toBeNull();
  });

  it('tries a read, or a write that never left, three times: 250 ms, then 500 ms', () => {
    for (const failure of [sentUnavailable, unsentUnavailable]) {
      expect([1, 2, 3].map((n) => retryInRun(failure, read(n)))).toEqual([250, 500, null]);
    }
    expect([1, 2, 3].map((n) => retryInRun(unsentUnavailable, write(n)))).toEqual([250, 500, null]);
  });

  it('never retries a block, a refusal of the credentials or of the request', () => {
    for (const failure of [
      { kind: 'blocked', detail: 'x' },
      { kind: 'unauthorized', detail: 'x' },
      { kind: 'rejected', status: 400, detail: 'x' },
    ] satisfies CrmFailure[]) {
      expect(retryInRun(failure, read(1))).toBeNull();
    }
  });
});
