import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import type { LegEnded } from '../../domain/events';
import { asteriskParser } from '../asterisk/parse';
import { amiEvent, freepbxRow, missedCall, transferChain } from '../asterisk/testing';
import type { ParseContext } from '../source';
import { sourcesConfigSchema } from '../sources-config';
import { freepbxParser } from './parse';

const ctx = (freepbx: Record<string, unknown> = {}): ParseContext => ({
  timeZone: 'Europe/Moscow',
  sources: sourcesConfigSchema.parse({ freepbx }),
});
const chain = transferChain();

describe('freepbx parser', () => {
  it('reads rows as the same legs as the CDRs Asterisk pushes, recordings under MIXMON_DIR/YYYY/MM/DD', () => {
    const rows = chain.map((c) => freepbxRow(c));
    const legs = rows.flatMap((row) => freepbxParser.parse(JSON.stringify(row), {}, ctx())) as LegEnded[];
    const pushed = asteriskParser.parse(JSON.stringify(chain.map(amiEvent)), {}, ctx()) as LegEnded[];
    // The cdr table has the DID the call came in on; a Cdr event does not: the line is the difference.
    expect(legs.map(({ recording: _r, line: _l, ...leg }) => leg)).toEqual(pushed.map(({ recording: _r, line: _l, ...leg }) => leg));
    expect(legs[0]?.line).toBe('74951112233');
    expect(legs.map((l) => l.recording?.url ?? null)).toEqual([
      '/var/spool/asterisk/monitor/2026/11/20/in-74951234567-100-20261120-100000-1763622000.1.wav',
      null,
      '/var/spool/asterisk/monitor/2026/11/20/in-74951234567-205-20261120-100035-1763622000.1.wav',
    ]);
    expect(freepbxParser.parse(JSON.stringify(rows), {}, ctx())).toEqual(legs);
  });

  it('derives answer and end from calldate, duration and billsec, in the source’s time zone', () => {
    const [leg] = freepbxParser.parse(JSON.stringify({ ...freepbxRow(chain[0]!), duration: '35', billsec: '30' }), {}, ctx({ time_zone: 'UTC' }));
    expect(leg).toMatchObject({
      startedAt: new Date('2026-11-20T10:00:00Z'),
      answeredAt: new Date('2026-11-20T10:00:05Z'),
      endedAt: new Date('2026-11-20T10:00:35Z'),
    });
    expect(freepbxParser.parse(JSON.stringify(freepbxRow(missedCall()[0]!)), {}, ctx())[0]).toMatchObject({
      disposition: 'no_answer',
      answeredAt: null,
      talkSeconds: 0,
    });
  });

  it('treats an empty WAV header the poller could see as no recording', () => {
    const [leg] = freepbxParser.parse(JSON.stringify({ ...freepbxRow(chain[0]!), recording_bytes: 44 }), {}, ctx());
    expect(leg).toMatchObject({ recorded: false, recording: { status: 'absent' } });
  });

  it('names the row and field of each problem', () => {
    const problems = (body: unknown) => problemsOf(() => freepbxParser.parse(JSON.stringify(body), {}, ctx()));
    const row = freepbxRow(chain[0]!);
    expect(problems([row, { ...row, disposition: 'X' }])).toEqual(['[1].disposition: expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION, got "X"']);
    // A row with MySQL's zero date records no call (a real table's first row: freepbx/ukraine-gsm-gateway):
    // dropped with the reason, not a reason to refuse the rows around it.
    const events = freepbxParser.parse(JSON.stringify([row, { ...row, calldate: '0000-00-00 00:00:00', disposition: '' }]), {}, ctx());
    expect(events.map((e) => e.kind)).toEqual(['leg', 'dropped']);
    expect(events[1]).toMatchObject({ kind: 'dropped', at: '[1]', reason: expect.stringContaining('zero date') });
    expect(problems({ ...row, duration: -1 })).toEqual(['duration: expected whole seconds']);
    expect(problems([])).toEqual(['body: expected at least one CDR row']);
  });
});
