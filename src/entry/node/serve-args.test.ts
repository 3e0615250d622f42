import { describe, expect, it } from 'vitest';
import { parseServeArgs, ServeUsageError } from './main';

describe('calltrail serve --role', () => {
  it('takes all, web or worker, all by default', () => {
    expect(parseServeArgs([])).toEqual({ role: 'all' });
    expect(parseServeArgs(['--role', 'web'])).toEqual({ role: 'web' });
    expect(parseServeArgs(['--role=worker'])).toEqual({ role: 'worker' });
  });

  it('refuses another role or an unknown option with a one-line reason', () => {
    expect(() => parseServeArgs(['--role', 'db'])).toThrow(new ServeUsageError('--role is one of all, web, worker, got "db"'));
    expect(() => parseServeArgs(['--workers', '3'])).toThrow(ServeUsageError);
  });
});
