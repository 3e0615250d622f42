import { describe, expect, it } from 'vitest';
import { LateForBudget, RateLimiter } from './limiter';

/**
 * A virtual clock whose `moving` sleep advances time to the end of the sleep.
 */
function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    set: (at: number) => {
      t = at;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
    /** Sleeps move the clock forward (a sequential caller). */
    moving: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

const intervalOf = (rps: number, margin = 0.03) => (1000 / rps) * (1 + margin);

describe('RateLimiter pacing', () => {
  it('lets the first request through at once and spaces the next by 1000/rps·(1+margin)', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 7, now: clock.now, sleep: clock.moving });
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    expect(starts[0]).toBe(1_000_000);
    for (let i = 1; i < starts.length; i++) {
      expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(intervalOf(7) - 1e-9);
      expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeLessThan(intervalOf(7) + 1);
    }
    expect(limiter.requests).toBe(5);
  });

  it('honours a custom margin', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 10, margin: 0.5, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    await limiter.acquire();
    expect(clock.sleeps).toEqual([150]);
  });

  it('does not make a caller wait when the previous request is long past (no burst credit either)', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 5, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    clock.advance(60_000);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([]);
    // A long idle time does not bank requests: the next one waits the full interval.
    await limiter.acquire();
    expect(clock.sleeps).toEqual([intervalOf(5)]);
  });

  it('hands out slots in call order to concurrent callers, each one interval after the previous', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 4, now: clock.now, sleep: clock.moving });
    const order: number[] = [];
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limiter.acquire().then(() => {
          order.push(i);
          starts.push(clock.now());
        }),
      ),
    );
    // All six asked at the same instant; each starts one interval after the one before, in call order.
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(clock.sleeps).toHaveLength(5);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeCloseTo(intervalOf(4), 6);
  });

  it('measures from the real start: a caller whose timer fired late does not let the next one bunch up', async () => {
    const clock = fakeClock();
    let first = true;
    // The first sleep overshoots by 40 ms, as a busy event loop would.
    const late = async (ms: number) => {
      clock.advance(ms + (first ? 40 : 0));
      first = false;
    };
    const limiter = new RateLimiter({ rps: 7, now: clock.now, sleep: late });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 4 }, () => limiter.acquire().then(() => starts.push(clock.now()))));
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(intervalOf(7) - 1e-9);
  });

  it('applies a penalty to callers already waiting in line', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 8, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    const queued = limiter.acquire();
    limiter.penalize(2000);
    await queued;
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(2000);
  });
});

describe('RateLimiter after a 429', () => {
  it('halves the rate and pauses for the given wait', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 8, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    limiter.penalize(3000);
    expect(limiter.currentRps).toBe(4);
    const before = clock.now();
    await limiter.acquire();
    expect(clock.now() - before).toBe(3000);
    await limiter.acquire();
    expect(clock.sleeps.at(-1)).toBeCloseTo(intervalOf(4), 6);
  });

  it('never goes below rps/8, however many 429s', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 8, now: clock.now, sleep: clock.moving });
    const rates = Array.from({ length: 6 }, () => {
      limiter.penalize(0);
      return limiter.currentRps;
    });
    expect(rates).toEqual([4, 2, 1, 1, 1, 1]);
  });

  it('a shorter second pause does not cut the first one short', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 8, now: clock.now, sleep: clock.moving });
    limiter.penalize(5000);
    limiter.penalize(1000);
    const before = clock.now();
    await limiter.acquire();
    expect(clock.now() - before).toBe(5000);
  });

  it('wins back rps/10 per 10 s without a 429, up to the configured rate', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 10, now: clock.now, sleep: clock.moving });
    limiter.penalize(0);
    limiter.penalize(0);
    expect(limiter.currentRps).toBe(2.5);
    const penaltyAt = clock.now();
    const rateAt = async (sinceMs: number) => {
      clock.set(penaltyAt + sinceMs);
      await limiter.acquire();
      return limiter.currentRps;
    };
    expect(await rateAt(9_999)).toBe(2.5);
    expect(await rateAt(10_000)).toBe(3.5);
    expect(await rateAt(19_999)).toBe(3.5);
    expect(await rateAt(45_000)).toBeCloseTo(6.5, 9);
    expect(await rateAt(200_000)).toBe(10);
  });

  it('a new 429 restarts the quiet interval', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 10, now: clock.now, sleep: clock.moving });
    limiter.penalize(0); // 5
    clock.advance(8_000);
    limiter.penalize(0); // 2.5, quiet time counted from here
    clock.advance(8_000);
    await limiter.acquire();
    expect(limiter.currentRps).toBe(2.5);
    clock.advance(2_000);
    await limiter.acquire();
    expect(limiter.currentRps).toBe(3.5);
  });
});

describe('RateLimiter over a long run', () => {
  /** Most request starts in any window [t, t + 1000). */
  function busiestSecond(starts: number[]): number {
    let most = 0;
    let lo = 0;
    for (let hi = 0; hi < starts.length; hi++) {
      while ((starts[hi] ?? 0) - (starts[lo] ?? 0) >= 1000) lo++;
      most = Math.max(most, hi - lo + 1);
    }
    return most;
  }

  it('never starts more than rps requests in any 1 s window, through 429s, pauses and recovery', async () => {
    for (const rps of [7, 10, 3]) {
      const clock = fakeClock();
      const limiter = new RateLimiter({ rps, now: clock.now, sleep: clock.moving });
      const starts: number[] = [];
      // A deterministic pseudo-random workload: bursts of work, idle gaps and occasional 429s.
      let seed = 42;
      const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
      for (let i = 0; i < 3000; i++) {
        await limiter.acquire();
        starts.push(clock.now());
        const r = rand();
        if (r < 0.01) limiter.penalize(1000 * (1 + Math.floor(rand() * 4)));
        else if (r < 0.05) clock.advance(Math.floor(rand() * 20_000));
        else if (r < 0.5) clock.advance(Math.floor(rand() * 100));
      }
      expect(busiestSecond(starts)).toBeLessThanOrEqual(rps);
      // The pace is still close to the allowance at full speed, not crippled.
      expect(busiestSecond(starts)).toBe(rps);
      expect(limiter.requests).toBe(3000);
    }
  });

  it('the busiest-second measure itself catches a limiter that lets one too many through', () => {
    const tooFast = Array.from({ length: 20 }, (_, i) => i * (1000 / 7));
    expect(busiestSecond(tooFast)).toBe(8);
  });
});

describe('RateLimiter priorities and deadlines', () => {
  it('serves a live request before deliveries already waiting, and background ones last', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 5, now: clock.now, sleep: clock.moving });
    const order: string[] = [];
    const ask = (name: string, priority?: 'live' | 'delivery' | 'background') => limiter.acquire(priority ? { priority } : {}).then(() => order.push(name));
    await ask('d0');
    await Promise.all([ask('b1', 'background'), ask('d1'), ask('d2'), ask('live', 'live')]);
    // Asked last, the ring jumps the queue; background waits for every delivery.
    expect(order).toEqual(['d0', 'live', 'd1', 'd2', 'b1']);
  });

  it('refuses at once, taking no slot, a request whose deadline comes before its turn', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 2, now: clock.now, sleep: clock.moving });
    const waiting = [limiter.acquire(), limiter.acquire(), limiter.acquire()];
    // Three live requests would be the 1st, 2nd and 3rd live ones: the third's slot is past 900 ms.
    const live = [0, 1, 2].map(() =>
      limiter.acquire({ priority: 'live', deadline: clock.now() + 900 }).then(
        () => 'sent',
        (e: unknown) => (e instanceof LateForBudget ? 'late' : 'error'),
      ),
    );
    expect(await Promise.all(live)).toEqual(['sent', 'sent', 'late']);
    await Promise.all(waiting);
    expect(limiter.late).toBe(1);
    expect(limiter.requests).toBe(5);
  });

  it('drops a waiting request when a 429 pause pushes its slot past its deadline', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 10, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    const ring = limiter.acquire({ priority: 'live', deadline: clock.now() + 2_000 });
    limiter.penalize(5_000);
    await expect(ring).rejects.toBeInstanceOf(LateForBudget);
    expect(limiter.waiting).toBe(0);
  });
});
