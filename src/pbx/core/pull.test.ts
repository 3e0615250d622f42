import { describe, expect, it } from 'vitest';
import type { IngestInput } from '../../ledger/inbox';
import { InvalidPayloadError } from './parse';
import { pagesOfCalls } from './pull';

const input = (call: string, n: number): IngestInput => ({ source: 'generic', raw: `${call}-${n}`, events: [] });

describe('pagesOfCalls', () => {
  it('fills pages to the page size without splitting a call, skips unreadable calls, leaves out others', () => {
    const skipped: [string, string[]][] = [];
    const calls: Record<string, number> = { a: 2, b: 3, bad: 1, outside: 4, c: 1 };
    const pages = [
      ...pagesOfCalls({
        calls: Object.entries(calls),
        pageSize: 4,
        inputsOf: ([call, legs]) => {
          if (call === 'bad') throw new InvalidPayloadError(['body: unreadable']);
          if (call === 'outside') return null;
          return Array.from({ length: legs }, (_, n) => input(call, n));
        },
        skipped: ([call], problems) => skipped.push([call, problems]),
      }),
    ];
    expect(pages.map((page) => page.map((i) => i.raw))).toEqual([['a-0', 'a-1', 'b-0', 'b-1', 'b-2'], ['c-0']]);
    expect(skipped).toEqual([['bad', ['body: unreadable']]]);
  });

  it('lets any other failure through: the run records it', () => {
    const pages = pagesOfCalls({
      calls: ['x'],
      pageSize: 10,
      inputsOf: () => {
        throw new Error('the API went away');
      },
      skipped: () => undefined,
    });
    expect(() => [...pages]).toThrow('the API went away');
  });
});
