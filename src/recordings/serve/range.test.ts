import { describe, expect, it } from 'vitest';
import { parseRange } from './range';

describe('parseRange', () => {
  const size = 1000;
  it('serves the whole file without a range, or with one it does not serve as a range', () => {
    for (const h of [undefined, null, '', 'bytes=', 'items=0-10', 'bytes=0-10,20-30', 'bytes=abc', 'bytes=50-10', 'bytes=-']) {
      expect(parseRange(h, size), String(h)).toEqual({ kind: 'full' });
    }
  });
  it('takes bytes=0- as the whole file as a 206 (what players send first)', () => {
    expect(parseRange('bytes=0-', size)).toEqual({ kind: 'partial', offset: 0, length: 1000 });
  });
  it('takes an open range from an offset (seeking)', () => {
    expect(parseRange('bytes=600-', size)).toEqual({ kind: 'partial', offset: 600, length: 400 });
    expect(parseRange('bytes=999-', size)).toEqual({ kind: 'partial', offset: 999, length: 1 });
  });
  it('takes a closed range, clamping its end to the file', () => {
    expect(parseRange('bytes=0-1', size)).toEqual({ kind: 'partial', offset: 0, length: 2 });
    expect(parseRange('bytes=100-199', size)).toEqual({ kind: 'partial', offset: 100, length: 100 });
    expect(parseRange('bytes=900-5000', size)).toEqual({ kind: 'partial', offset: 900, length: 100 });
    expect(parseRange(' bytes = 10 - 19 ', size)).toEqual({ kind: 'partial', offset: 10, length: 10 });
  });
  it('takes suffix ranges: the last N bytes, all of it when N is larger', () => {
    expect(parseRange('bytes=-100', size)).toEqual({ kind: 'partial', offset: 900, length: 100 });
    expect(parseRange('bytes=-5000', size)).toEqual({ kind: 'partial', offset: 0, length: 1000 });
  });
  it('refuses ranges wholly past the end, and empty suffixes, as unsatisfiable (416)', () => {
    expect(parseRange('bytes=1000-', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=1000-2000', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
