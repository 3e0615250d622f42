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
/** The window of ceil(rps) requests. */
const windowOf = (rps: number, margin = 0.03) => (Math.ceil(rps) / rps) * 1000 * (1 + margin);
/** The shortest gap between two grants (the limiter's PACE of the even interval). */
const gapOf = (rps: number, margin = 0.03) => intervalOf(rps, margin) * 0.8;

/** Takes a slot and sends at once, as the transport does; the moment it was granted. */
async function send(limiter: RateLimiter, now: () => number): Promise<number> {
  const slot = await limiter.acquire();
  slot.sent();
  return now();
}

describe('RateLimiter pacing: a sliding window over what was sent', () => {
  it('lets the first request through at once; then no more than ceil(rps) in any window, never closer than the pace', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 7, now: clock.now, sleep: clock.moving });
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) starts.push(await send(limiter, clock.now));
    expect(starts[0]).toBe(1_000_000);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(gapOf(7) - 1e-9);
    // Any 8 consecutive sends span a whole window: no eighth within it.
    for (let i = 7; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 7] ?? 0)).toBeGreaterThanOrEqual(windowOf(7) - 1e-9);
    // And the window is used: 30 requests take about 30/7 windows, not 30 even intervals plus.
    expect((starts.at(-1) ?? 0) - (starts[0] ?? 0)).toBeLessThan(windowOf(7) * (29 / 7) + 1);
    expect(limiter.requests).toBe(30);
  });

  it('honours a custom margin', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 10, margin: 0.5, now: clock.now, sleep: clock.moving });
    await send(limiter, clock.now);
    await send(limiter, clock.now);
    expect(clock.sleeps).toEqual([gapOf(10, 0.5)]);
  });

  it('does not make a caller wait when the previous request is long past, and banks nothing for a burst', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 5, now: clock.now, sleep: clock.moving });
    await send(limiter, clock.now);
    clock.advance(60_000);
    await send(limiter, clock.now);
    expect(clock.sleeps).toEqual([]);
    // A long idle time does not allow a burst: the next one still keeps the pace.
    await send(limiter, clock.now);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeCloseTo(gapOf(5), 6);
  });

  it('hands out slots in call order to concurrent callers', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 4, now: clock.now, sleep: clock.moving });
    const order: number[] = [];
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limiter.acquire().then((slot) => {
          slot.sent();
          order.push(i);
          starts.push(clock.now());
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    // Four at the pace, the fifth a window after the first.
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeCloseTo(gapOf(4), 6);
    expect((starts[4] ?? 0) - (starts[0] ?? 0)).toBeCloseTo(windowOf(4), 6);
  });

  it('counts when a request actually left: a caller that stalled after its grant moves the window later', async () => {
    const sendLate = async (stallMs: number) => {
      const clock = fakeClock();
      const limiter = new RateLimiter({ rps: 2, now: clock.now, sleep: clock.moving });
      const first = await limiter.acquire();
      // A busy event loop: the first request leaves 600 ms after its slot was granted.
      clock.advance(stallMs);
      first.sent();
      const second = await send(limiter, clock.now);
      const third = await send(limiter, clock.now);
      return { second: second - 1_000_000, third: third - 1_000_000 };
    };
    // Counted from the grant, the third would go at 1030 ms — 430 ms after the first really left,
    // and the CRM would see three within its second.
    expect(await sendLate(0)).toEqual({ second: gapOf(2), third: windowOf(2) });
    expect(await sendLate(600)).toEqual({ second: 600, third: 600 + windowOf(2) });
  });

  it('gives back the room of a slot never sent', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 1, now: clock.now, sleep: clock.moving });
    (await limiter.acquire()).release();
    // Only the pace holds the next one back, not the window.
    expect((await send(limiter, clock.now)) - 1_000_000).toBeCloseTo(gapOf(1), 6);
  });

  it('counts a slot not reported as being sent now, for at most 2 s after its grant', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 1, now: clock.now, sleep: clock.moving });
    await limiter.acquire();
    clock.advance(1500);
    expect((await send(limiter, clock.now)) - 1_000_000).toBeCloseTo(2000 + windowOf(1), 6);
  });

  it('applies a penalty to callers already waiting in line', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ rps: 8, now: clock.now, sleep: clock.moving });
    await send(limiter, clock.now);
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
    await send(limiter, clock.now);
    limiter.penalize(3000);
    expect(limiter.currentRps).toBe(4);
    const before = clock.now();
    await send(limiter, clock.now);
    expect(clock.now() - before).toBe(3000);
    await send(limiter, clock.now);
    expect(clock.sleeps.at(-1)).toBeCloseTo(gapOf(4), 6);
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
