import { describe, expect, it } from 'vitest';
import { csvCell, detailSummary } from './query';

describe('csvCell', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
  });

  it('defuses what a spreadsheet would run as a formula', () => {
    for (const text of ['=1+1', '+7495', '-2', '@SUM(A1)', '\tx']) expect(csvCell(text)).toBe(`'${text}`);
    expect(csvCell('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvCell('\rx')).toBe('"\'\rx"');
    // Numbers are numbers, a negative one included.
    expect(csvCell(-5)).toBe('-5');
  });
});

describe('detailSummary', () => {
  it('writes key=value pairs and cuts long values and lines', () => {
    expect(detailSummary({ bytes: 1200, from: 'console' })).toBe('bytes=1200, from=console');
    expect(detailSummary({ ids: [1, 2] })).toBe('ids=[1,2]');
    expect(detailSummary({ note: 'x'.repeat(100) })).toBe(`note=${'x'.repeat(59)}…`);
    expect(detailSummary({ a: 'x'.repeat(50), b: 'y'.repeat(50), c: 'z'.repeat(50) }, 40)).toHaveLength(40);
    expect(detailSummary({})).toBe('');
  });
});
