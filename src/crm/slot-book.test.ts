import { describe, expect, it } from 'vitest';
import { SlotBook } from './slot-book';

const RPS = 7;
const MARGIN = 0.03;
const WINDOW = 1030; // ceil(7)/7 s, plus 3 %

/** Requesters of the given priorities asking over simulated time, each asking again after its wait; the starts granted. */
function simulate(book: SlotBook, priorities: number[], untilMs: number, rps = RPS): { at: number; priority: number }[] {
  const starts: { at: number; priority: number }[] = [];
  const next = priorities.map(() => 0);
  for (let now = 0; now < untilMs; now++) {
    priorities.forEach((priority, i) => {
      if ((next[i] as number) > now) return;
      const wait = book.take(priority, rps, MARGIN, now);
      if (wait === 0) {
        starts.push({ at: now, priority });
        next[i] = now + 1;
      } else next[i] = now + wait;
    });
  }
  return starts;
}

function busiest(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('SlotBook', () => {
  it('admits ceil(rate) starts per window and tells the rest how long to wait', () => {
    const book = new SlotBook();
    for (let i = 0; i < RPS; i++) expect(book.take(1, RPS, MARGIN, 100)).toBe(0);
    expect(book.take(1, RPS, MARGIN, 100)).toBe(WINDOW);
    expect(book.take(1, RPS, MARGIN, 100 + WINDOW - 1)).toBe(1);
    expect(book.take(1, RPS, MARGIN, 100 + WINDOW)).toBe(0);
  });

  it('keeps many requesters within the limit in every window, and uses it', () => {
    const starts = simulate(new SlotBook(), [0, 1, 1, 1, 2, 2, 2, 2], 10_000);
    expect(
      busiest(
        starts.map((s) => s.at),
        WINDOW,
      ),
    ).toBe(RPS);
    // Ten seconds hold nine full windows and a bit: the budget is used, not wasted.
    expect(starts.length).toBeGreaterThanOrEqual(9 * RPS);
    expect(starts.length).toBeLessThanOrEqual(10 * RPS);
  });

  it('lets a waiting live request go before deliveries, and deliveries before listings', () => {
    const book = new SlotBook();
    for (let i = 0; i < RPS; i++) book.take(2, RPS, MARGIN, 0);
    expect(book.take(0, RPS, MARGIN, 10)).toBeGreaterThan(0); // the ring found the window full: it now holds others back
    expect(book.take(1, RPS, MARGIN, WINDOW)).toBeGreaterThan(0);
    expect(book.take(2, RPS, MARGIN, WINDOW)).toBeGreaterThan(0);
    expect(book.take(0, RPS, MARGIN, WINDOW)).toBe(0);
    // The ring had its slot: the next in line goes.
    expect(book.take(1, RPS, MARGIN, WINDOW + 1)).toBe(0);
    // One live requester among five listing ones, all asking as fast as they may: it goes first
    // whenever it waits, so it has well over its fair sixth of the slots.
    const starts = simulate(new SlotBook(), [0, 2, 2, 2, 2, 2], 5000);
    const live = starts.filter((s) => s.priority === 0).length;
    expect(live).toBeGreaterThan(starts.length / 4);
  });

  it('pauses everyone on a 429, halves the rate, and gives a tenth back per quiet 10 s', () => {
    const book = new SlotBook();
    book.penalize(600, 1000);
    expect(book.take(2, RPS, MARGIN, 1000)).toBe(600);
    expect(book.penalty).toEqual({ pausedUntil: 1600, scale: 0.5, penalizedAt: 1000 });
    // 3.5 rps: ceil(3.5) = 4 starts per 4/3.5·1.03 s.
    for (let i = 0; i < 4; i++) expect(book.take(1, RPS, MARGIN, 1600)).toBe(0);
    expect(book.take(1, RPS, MARGIN, 1600)).toBe(Math.ceil((4 / 3.5) * 1.03 * 1000));
    book.take(1, RPS, MARGIN, 21_000);
    expect(book.penalty.scale).toBeCloseTo(0.7);
    for (let i = 0; i < 5; i++) book.penalize(0, 30_000);
    expect(book.penalty.scale).toBe(0.125);
    // 7 × 0.125 = 0.875 rps: one start per 1/0.875·1.03 s.
    expect(book.take(1, RPS, MARGIN, 30_000)).toBe(0);
    expect(book.take(1, RPS, MARGIN, 30_000)).toBe(Math.ceil((1 / 0.875) * 1.03 * 1000));
  });

  it('keeps a penalty given back to it (a restarted keeper)', () => {
    const book = new SlotBook({ pausedUntil: 5000, scale: 0.5, penalizedAt: 4000 });
    expect(book.take(0, RPS, MARGIN, 4500)).toBe(500);
    book.take(0, RPS, MARGIN, 14_000);
    expect(book.penalty.scale).toBeCloseTo(0.6);
  });
});
