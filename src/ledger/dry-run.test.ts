import { describe, expect, it } from 'vitest';
import { integratorConfigSchema } from '../settings/integrator';
import { dryRunContext } from '../deps';
import { dryRun, type DryRunBody } from './dry-run';

const config = integratorConfigSchema.parse({ time_zone: 'UTC', sources: { asterisk: { csv_columns: 'uniqueid' } } });
const ctx = dryRunContext(config);
const row = (cells: string[], line: number): DryRunBody => ({
  source: 'asterisk',
  raw: cells.map((c) => (/^\d+$/.test(c) ? c : `"${c}"`)).join(','),
  meta: { content_type: 'text/csv', first_line: String(line) },
  at: 'Master.csv',
});
// accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags, uniqueid
const cdr = (
  o: { src: string; dst: string; ctx: string; ch: string; dch: string; start: string; answer: string; end: string; billsec: number; uid: string },
  line: number,
) => row(['', o.src, o.dst, o.ctx, '', o.ch, o.dch, 'Dial', '', o.start, o.answer, o.end, '0', String(o.billsec), 'ANSWERED', 'DOCUMENTATION', o.uid], line);

describe('dryRun: Asterisk ≤ 11 rows without linkedid', () => {
  // Written for this test (no public ≤ 11 capture of a transfer was found): the customer talks to
  // 100 (row 1); 100's channel then calls 205 and hands the customer over (row 2, another uniqueid).
  const customer = cdr(
    {
      src: '74951234567',
      dst: '100',
      ctx: 'from-trunk',
      ch: 'SIP/trunk-0000000a',
      dch: 'SIP/100-0000000b',
      start: '2026-11-20 10:00:00',
      answer: '2026-11-20 10:00:05',
      end: '2026-11-20 10:01:00',
      billsec: 55,
      uid: '1763632800.10',
    },
    1,
  );
  const handover = cdr(
    {
      src: '100',
      dst: '205',
      ctx: 'from-internal',
      ch: 'SIP/100-0000000b',
      dch: 'SIP/205-0000000c',
      start: '2026-11-20 10:00:40',
      answer: '2026-11-20 10:00:45',
      end: '2026-11-20 10:03:00',
      billsec: 135,
      uid: '1763632840.12',
    },
    2,
  );

  it('joins the rows a shared channel ties together into one conversation, in any order', () => {
    for (const bodies of [
      [customer, handover],
      [handover, customer],
    ]) {
      const report = dryRun(bodies, ctx);
      expect(report.calls.map((c) => [c.callKey, c.legCount, c.direction, c.extension, c.externalNumber])).toEqual([
        ['1763632800.10', 2, 'inbound', '205', '+74951234567'],
      ]);
    }
  });

  it('never joins calls that reuse a channel name after a restart', () => {
    const later = cdr(
      {
        src: '100',
        dst: '205',
        ctx: 'from-internal',
        ch: 'SIP/100-0000000b',
        dch: 'SIP/205-00000001',
        start: '2026-11-20 11:30:00',
        answer: '2026-11-20 11:30:05',
        end: '2026-11-20 11:31:00',
        billsec: 55,
        uid: '1763638200.1',
      },
      3,
    );
    const report = dryRun([customer, later], ctx);
    expect(report.calls.map((c) => [c.callKey, c.legCount, c.direction])).toEqual([
      ['1763632800.10', 1, 'inbound'],
      ['1763638200.1', 1, 'internal'],
    ]);
  });
});

describe('dryRun: bodies the service would not take', () => {
  it('lists a body its source refuses with the problems named, and reads the others', () => {
    const bad: DryRunBody = { source: 'generic', raw: 'not json', meta: {}, at: 'bodies.json [0]' };
    const good = cdr(
      {
        src: '74951234567',
        dst: '100',
        ctx: 'from-trunk',
        ch: 'SIP/trunk-0000000a',
        dch: 'SIP/100-0000000b',
        start: '2026-11-20 10:00:00',
        answer: '2026-11-20 10:00:05',
        end: '2026-11-20 10:01:00',
        billsec: 55,
        uid: '1763632800.10',
      },
      1,
    );
    const report = dryRun([bad, good], ctx);
    expect(report.refused).toEqual([{ at: 'bodies.json [0]', problems: [expect.stringMatching(/^body is not valid JSON/)] }]);
    expect(report.calls.map((c) => c.callKey)).toEqual(['1763632800.10']);
  });

  it('throws for a source no one has: a mistake of the caller, not of the body', () => {
    expect(() => dryRun([{ source: 'nosuch', raw: '{}', meta: {}, at: 'x' }], ctx)).toThrow('no PBX source named "nosuch"');
  });
});
