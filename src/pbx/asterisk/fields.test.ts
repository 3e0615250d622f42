import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../domain/time';
import { readTime } from './fields';

describe('readTime', () => {
  it('reads local CDR times exactly as parseInstant does, across daylight-saving changes', () => {
    const times = [
      '2026-03-08 01:59:59',
      '2026-03-08 03:00:00',
      '2026-03-08 03:00:01',
      '2026-11-01 00:59:59',
      '2026-11-01 01:30:00',
      '2026-11-01 02:00:00',
      '2026-11-20 10:00:00',
      '2026-11-20 10:00:59',
      '2024-02-29 23:59:59',
    ];
    for (const zone of ['America/New_York', 'Europe/Moscow', 'Australia/Lord_Howe', 'UTC']) {
      for (const time of times) {
        // Twice: the second read comes from the remembered offset.
        for (let i = 0; i < 2; i++) {
          const expected = parseInstant(time, zone);
          expect(expected.ok).toBe(true);
          expect(readTime(time, 'start', zone, [])).toEqual(expected.ok ? expected.value : null);
        }
      }
    }
  });

  it('refuses dates that do not exist rather than rolling them over', () => {
    const problems: string[] = [];
    expect(readTime('2026-02-30 10:00:00', 'line 1 (start)', 'Europe/Moscow', problems)).toBeNull();
    expect(problems).toEqual(['line 1 (start): expected a time like "2026-11-20 10:00:00", got "2026-02-30 10:00:00"']);
  });
});
