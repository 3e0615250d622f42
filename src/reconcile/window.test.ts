import { describe, expect, it } from 'vitest';
import { dayWindow, yesterday } from './window';

const hours = (w: { from: Date; to: Date }) => (w.to.getTime() - w.from.getTime()) / 3_600_000;

describe('the window of a run', () => {
  it('is a local calendar day, midnight to midnight, 23 or 25 hours across a DST change', () => {
    expect(dayWindow('2026-11-20', 'Europe/Moscow')).toEqual({ from: new Date('2026-11-19T21:00:00Z'), to: new Date('2026-11-20T21:00:00Z') });
    expect(hours(dayWindow('2026-03-29', 'Europe/Berlin'))).toBe(23);
    expect(hours(dayWindow('2026-10-25', 'Europe/Berlin'))).toBe(25);
  });

  it('refuses what is not a YYYY-MM-DD day', () => {
    for (const bad of ['2026-13-01', '2026-02-30', '20.11.2026', '2026-11-20T10:00', 'yesterday']) {
      expect(() => dayWindow(bad, 'Europe/Moscow'), bad).toThrow(/not a date/);
    }
  });

  it('yesterday is the day before in the zone, not in UTC', () => {
    // 00:30 on the 21st in Moscow is still the 20th in UTC.
    expect(yesterday('Europe/Moscow', new Date('2026-11-20T21:30:00Z')).from).toEqual(new Date('2026-11-19T21:00:00Z'));
  });
});
