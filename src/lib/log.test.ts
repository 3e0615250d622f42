import { describe, expect, it } from 'vitest';
import { describeError, maskText, memoryLogger, redact } from './log';

describe('log masking', () => {
  it('masks phone numbers in any format to their last 4 digits', () => {
    expect(maskText('from +7 (495) 123-45-67 to 84951234567')).toBe('from ***4567 to ***4567');
    expect(maskText('442071234567')).toBe('***4567');
  });

  it('leaves extensions, durations, ids and timestamps alone', () => {
    const text = 'ext 101 talked 180 s, call 3b9f6a52-5b8e-4a7e-9d0f-4d1c2e6b7a10 at 2026-11-20T10:00:00.000Z';
    expect(maskText(text)).toBe(text);
  });

  it('removes secrets by key and passwords from URLs', () => {
    expect(redact({ token: 'abc', nested: { Authorization: 'Bearer x', apiKey: 'k' }, url: 'postgres://u:pw@h/db' })).toEqual({
      token: '[redacted]',
      nested: { Authorization: '[redacted]', apiKey: '[redacted]' },
      url: 'postgres://u:***@h/db',
    });
  });

  it('masks inside errors and nested values of a log line', () => {
    const log = memoryLogger();
    log.child({ requestId: 'r1' }).error('lookup failed', { error: new Error('no contact for 8 916 123 45 67'), parties: ['+79161234567'] });
    const line = log.lines[0] ?? '';
    expect(line).not.toMatch(/916 ?123/);
    expect(JSON.parse(line)).toMatchObject({ level: 'error', requestId: 'r1', error: { message: 'no contact for ***4567' }, parties: ['***4567'] });
  });

  it('drops records below the level', () => {
    const log = memoryLogger('warn');
    log.info('hidden');
    log.warn('shown');
    expect(log.lines).toHaveLength(1);
  });
});

describe('describeError', () => {
  it('puts the root cause first and leaves query parameters out', () => {
    const root = Object.assign(new Error('duplicate key value violates unique constraint'), { name: 'PostgresError' });
    const wrapped = new Error('Failed query: insert into "legs" values ($1)\nparams: +74951234567', { cause: root });
    expect(describeError(wrapped)).toBe('PostgresError: duplicate key value violates unique constraint (Failed query: insert into "legs" values ($1))');
    expect(describeError('plain')).toBe('plain');
  });
});
