import { describe, expect, it } from 'vitest';
import { CallGroups } from './import-groups';

describe('CallGroups', () => {
  it('releases a call once the window has passed without one of its rows, whole', () => {
    const groups = new CallGroups<number>(3);
    expect(groups.add('a', 1)).toEqual([]);
    expect(groups.add('b', 2)).toEqual([]);
    expect(groups.add('a', 3)).toEqual([]);
    expect(groups.add('c', 4)).toEqual([]);
    // b's last row was 3 rows ago.
    expect(groups.add('c', 5)).toEqual([{ key: 'b', items: [2], first: true }]);
    expect(groups.add('d', 6)).toEqual([{ key: 'a', items: [1, 3], first: true }]);
    expect(groups.drain()).toEqual([
      { key: 'c', items: [4, 5], first: true },
      { key: 'd', items: [6], first: true },
    ]);
    expect(groups.size).toBe(0);
  });

  it('keeps memory bounded by the window, and marks a call released in pieces', () => {
    const groups = new CallGroups<number>(2, 10_000);
    const released = [];
    released.push(...groups.add('a', 0));
    for (let i = 1; i <= 1000; i++) {
      released.push(...groups.add(`k${i}`, i));
      expect(groups.size).toBeLessThanOrEqual(2);
    }
    released.push(...groups.add('a', 1001), ...groups.drain());
    const pieces = released.filter((r) => r.key === 'a');
    expect(pieces.map((p) => p.first)).toEqual([true, false]);
    expect(released.reduce((n, r) => n + r.items.length, 0)).toBe(1002);
  });
});
