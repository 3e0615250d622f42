import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkCommand, CheckUsageError, shownNumber } from './check-command';

const FIELD = join(import.meta.dirname, '../../../test/fixtures/field');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-check-'));
  writeFileSync(join(dir, 'utc.yaml'), 'time_zone: UTC\n');
  // A pattern that takes every number for an extension: what check is there to catch.
  writeFileSync(join(dir, 'any-digits.yaml'), "time_zone: UTC\nextension_pattern: '^\\d+$'\n");
  writeFileSync(join(dir, 'asterisk11.yaml'), 'time_zone: UTC\nsources: { asterisk: { csv_columns: uniqueid_userfield } }\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number; out: string } {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    return { code: checkCommand(args, {}), out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('calltrail check', () => {
  const office = join(FIELD, 'asterisk/buryatia-office/Master.csv');

  it('reads a real office’s Master.csv and says how, writing nothing and showing no whole number', () => {
    const { code, out } = run(['asterisk', office, '--config', join(dir, 'utc.yaml')]);
    expect(code).toBe(0);
    expect(out).toContain('84 record(s) → 36 conversation(s); nothing was written');
    expect(out).toContain('direction         inbound 36');
    expect(out).toContain('Numbers kept as dialled:');
    expect(out).toContain('+7…5937');
    // Masked: country code and last four digits only.
    expect(out).not.toMatch(/\d{7,}(?![\d.])/);
  });

  it('groups internal calls by the rule that made them internal, so a wrong pattern shows before going live', () => {
    const { out } = run(['asterisk', office, '--config', join(dir, 'any-digits.yaml'), '--json']);
    const report = JSON.parse(out) as { counts: { direction: Record<string, number> }; calls: { direction: string; skip_reason: string | null }[] };
    expect(report.counts.direction.internal).toBe(9);
    const reasons = report.calls.filter((c) => c.direction === 'internal').map((c) => c.skip_reason);
    expect(reasons[0]).toMatch(/^internal call: channel SIP\/21\d{4} is a phone by extension_pattern \^\\d\+\$/);
  });

  it('prints whole numbers only when asked', () => {
    const { out } = run(['asterisk', office, '--config', join(dir, 'utc.yaml'), '--json', '--show-numbers']);
    expect(out).toContain('+79245555937');
  });

  it('lists phantom rows and refused bodies, and exits 1 when the service would refuse some', () => {
    const appdial = run(['asterisk', join(FIELD, 'asterisk/us-dev-asterisk11-appdial/Master.csv'), '--config', join(dir, 'asterisk11.yaml')]);
    expect(appdial.out).toMatch(/Records that are no call of their own:\n {2}Master.csv line 10: the dialled channel's own record \(lastapp AppDial\)/);
    const broken = join(dir, 'broken.csv');
    writeFileSync(
      broken,
      '"","101","102","from-internal","","SIP/101-1","SIP/102-2","Dial","","soon","","2026-11-20 10:00:00",1,1,"MAYBE","DOCUMENTATION","1.1","","","1.1",1\n',
    );
    const refused = run(['asterisk', broken]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('Refused (the service would answer 400):');
    expect(refused.out).toContain('line 1, column 10 (start): expected a time like "2026-11-20 10:00:00", got "soon"');
  });

  it('names what is wrong with its arguments', () => {
    expect(() => run(['pbx9000', office])).toThrow(CheckUsageError);
    expect(() => run(['asterisk'])).toThrow('check needs at least one FILE');
    expect(() => run(['asterisk', join(dir, 'missing.csv')])).toThrow('no such file');
    expect(() => run(['asterisk', office, '--config', join(dir, 'missing.yaml')])).toThrow(/cannot read/);
  });

  it('shows a number by its country code and last four digits', () => {
    expect(shownNumber('+79245555937')).toBe('+7…5937');
    expect(shownNumber('+442071234567')).toBe('+44…4567');
  });
});
