import { describe, expect, it } from 'vitest';
import { errorCodes, isDatabaseUnavailable, isTransientConflict } from './error-codes';

const pg = (code: string) => Object.assign(new Error(`postgres ${code}`), { code });
const wrapped = (cause: Error) => new Error('Failed query: insert …', { cause });

describe('error codes', () => {
  it('finds the database code inside wrappers', () => {
    expect(errorCodes(wrapped(pg('23505')))).toEqual(['23505']);
    expect(errorCodes('text')).toEqual([]);
  });
  it('classifies races as transient and outages as unavailable, nothing else', () => {
    for (const code of ['40001', '40P01', '23505']) expect(isTransientConflict(wrapped(pg(code)))).toBe(true);
    expect(isTransientConflict(wrapped(pg('23503')))).toBe(false); // foreign key: a bug, not a race
    expect(isDatabaseUnavailable(wrapped(pg('ECONNREFUSED')))).toBe(true);
    expect(isDatabaseUnavailable(pg('57P01'))).toBe(true);
    expect(isDatabaseUnavailable(pg('42P01'))).toBe(false);
  });
});
