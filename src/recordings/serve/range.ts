/**
 * The Range header of a request for one audio file (RFC 9110 §14): players ask for `bytes=0-`
 * first, then seek with `bytes=N-`; Safari asks `bytes=0-1`; some ask for the tail `bytes=-N`.
 * One range is served as 206; anything we do not serve as a range (several ranges, other units,
 * nonsense) gets the whole file, as the RFC allows; a range wholly past the end is 416.
 * @module
 */
export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; offset: number; length: number } | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | null | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'full' };
  const match = SINGLE.exec(header.trim().replace(/\s+/g, ''));
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // The last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    const length = Math.min(suffix, size);
    return { kind: 'partial', offset: size - length, length };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', offset: start, length: end - start + 1 };
}
