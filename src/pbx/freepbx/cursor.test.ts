import { describe, expect, it } from 'vitest';
import { advance, changedMinutes, initialCursor, minuteOf, nextMinute, windowStart } from './cursor';

describe('freepbx cursor', () => {
  it('starts from now (the minute, in the PBX’s zone) or from the beginning', () => {
    expect(initialCursor('now', new Date('2026-11-20T07:03:59Z'), 'Europe/Moscow')).toEqual({ floor: '2026-11-20 10:03', watermark: null, minutes: {} });
    expect(initialCursor('beginning', new Date(), 'UTC')).toEqual({ floor: null, watermark: null, minutes: {} });
  });

  it('looks back from the newest row, never before the floor', () => {
    expect(windowStart({ floor: null, watermark: null, minutes: {} }, 60)).toBeNull();
    expect(windowStart({ floor: '2026-11-20 10:00', watermark: null, minutes: {} }, 60)).toBe('2026-11-20 10:00');
    expect(windowStart({ floor: '2026-11-20 10:00', watermark: '2026-11-20 10:30', minutes: {} }, 60)).toBe('2026-11-20 10:00');
    expect(windowStart({ floor: '2026-11-20 10:00', watermark: '2026-11-20 12:30', minutes: {} }, 60)).toBe('2026-11-20 11:30');
    expect(windowStart({ floor: null, watermark: '2026-11-21 00:10', minutes: {} }, 60)).toBe('2026-11-20 23:10');
  });

  it('reads only the minutes whose count changed — a late row changes an old minute', () => {
    const cursor = { floor: null, watermark: '2026-11-20 10:05', minutes: { '2026-11-20 10:00': 3, '2026-11-20 10:05': 1 } };
    const counts = [
      ['2026-11-20 10:00', 4],
      ['2026-11-20 10:05', 1],
      ['2026-11-20 10:06', 2],
    ] as const;
    expect(changedMinutes(counts, cursor)).toEqual(['2026-11-20 10:00', '2026-11-20 10:06']);
  });

  it('moves the watermark and drops minutes that left the window', () => {
    const cursor = { floor: null, watermark: '2026-11-20 10:05', minutes: { '2026-11-20 08:00': 1, '2026-11-20 10:00': 3 } };
    expect(advance(cursor, { '2026-11-20 10:06': 2 }, '2026-11-20 10:07', 60)).toEqual({
      floor: null,
      watermark: '2026-11-20 10:07',
      minutes: { '2026-11-20 10:00': 3, '2026-11-20 10:06': 2 },
    });
    // Nothing new: the cursor stays.
    expect(advance(cursor, {}, null, 60)).toEqual({ ...cursor, minutes: { '2026-11-20 10:00': 3 } });
  });

  it('does minute arithmetic on wall-clock text', () => {
    expect(minuteOf('2026-11-20 10:03:17')).toBe('2026-11-20 10:03');
    expect(nextMinute('2026-12-31 23:59')).toBe('2027-01-01 00:00');
  });
});
