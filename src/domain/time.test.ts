import { describe, expect, it } from 'vitest';
import { parseInstant } from './time';

const at = (input: unknown, zone = 'Europe/Moscow') => {
  const r = parseInstant(input, zone);
  return r.ok ? r.value.toISOString() : `error: ${r.message}`;
};

describe('parseInstant', () => {
  it('reads ISO 8601 with an offset as that instant, whatever the zone', () => {
    expect(at('2026-11-20T10:00:00+03:00')).toBe('2026-11-20T07:00:00.000Z');
    expect(at('2026-11-20T10:00:00Z', 'America/New_York')).toBe('2026-11-20T10:00:00.000Z');
    expect(at('2026-11-20T10:00:00.250-05:00')).toBe('2026-11-20T15:00:00.250Z');
  });

  it('reads a time without offset in the configured zone, including SQL-style spaces', () => {
    expect(at('2026-11-20T10:00:00')).toBe('2026-11-20T07:00:00.000Z');
    expect(at('2026-11-20 10:00:00')).toBe('2026-11-20T07:00:00.000Z');
    expect(at('2026-07-01 10:00:00', 'Europe/Berlin')).toBe('2026-07-01T08:00:00.000Z'); // summer time
    expect(at('2026-01-01 10:00:00', 'Europe/Berlin')).toBe('2026-01-01T09:00:00.000Z');
  });

  it('reads unix seconds as numbers or digit strings', () => {
    expect(at(1763622000)).toBe('2025-11-20T07:00:00.000Z');
    expect(at('1763622000')).toBe('2025-11-20T07:00:00.000Z');
    expect(at(1763622000.5)).toBe('2025-11-20T07:00:00.500Z');
  });

  it('refuses milliseconds, garbage and implausible years with a message', () => {
    expect(at(1763622000000)).toMatch(/milliseconds/);
    expect(at('yesterday')).toMatch(/expected an ISO 8601 time or unix seconds, got "yesterday"/);
    expect(at('')).toMatch(/expected/);
    expect(at(null)).toMatch(/expected/);
    expect(at(5)).toMatch(/outside 2000–2100/);
    expect(at('2026-13-01T00:00:00Z')).toMatch(/expected/);
  });
});
