import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import type { ParseContext } from '../source';
import type { LegEnded } from '../../domain/events';
import { asteriskParser } from './parse';
import { amiEvent, masterCsvLine, missedCall, transferChain } from './testing';

const ctx = (asterisk: Record<string, unknown> = {}): ParseContext => ({
  timeZone: 'Europe/Moscow',
  sources: sourcesConfigSchema.parse({ asterisk }),
});
const parse = (raw: string, meta: Record<string, string> = {}, c = ctx()) => asteriskParser.parse(raw, meta, c) as LegEnded[];
const problems = (raw: string, meta: Record<string, string> = {}, c = ctx()) => problemsOf(() => parse(raw, meta, c));

const chain = transferChain();
const csv = chain.map((c) => masterCsvLine(c)).join('\n');

describe('asterisk parser: Master.csv', () => {
  it('reads a transfer chain as legs of one call, the originating channel’s CDRs final', () => {
    const legs = parse(`${csv}\n`);
    expect(legs).toHaveLength(3);
    expect(legs[0]).toEqual({
      kind: 'leg',
      callKey: '1763622000.1',
      legKey: '1763622000.1#1',
      direction: 'inbound',
      directionRule: 'context from-did-direct is in inbound_contexts',
      line: null,
      from: '74951234567',
      to: '100',
      extension: '100',
      startedAt: new Date('2026-11-20T07:00:00Z'),
      answeredAt: new Date('2026-11-20T07:00:05Z'),
      endedAt: new Date('2026-11-20T07:00:35Z'),
      disposition: 'answered',
      talkSeconds: 30,
      final: true,
      recorded: true,
      recording: {
        key: 'in-74951234567-100-20261120-100000-1763622000.1.wav',
        url: '/var/spool/asterisk/monitor/in-74951234567-100-20261120-100000-1763622000.1.wav',
        status: 'referenced',
      },
    });
    // The secretary's consultation call: internal, not the originating channel.
    expect(legs[1]).toMatchObject({
      callKey: '1763622000.1',
      legKey: '1763622000.3#2',
      direction: 'internal',
      extension: '205',
      final: false,
      recorded: false,
      recording: null,
    });
    expect(legs[1]?.directionRule).toBe('context from-internal is in internal_contexts; the callee 205 is an extension by extension_pattern ^\\d{2,5}$');
    expect(legs[2]).toMatchObject({ legKey: '1763622000.1#3', extension: '205', talkSeconds: 180, final: true, recorded: true });
  });

  it('reads a missed call, CRLF line ends, a BOM and blank lines', () => {
    const [leg] = parse(`\ufeff${masterCsvLine(missedCall()[0]!)}\r\n\r\n`, { content_type: 'text/csv' });
    expect(leg).toMatchObject({ disposition: 'no_answer', answeredAt: null, talkSeconds: 0, recorded: false, final: true, from: '74957654321' });
  });

  it('fills the recording template with the date in the file name, URL-encoded', () => {
    const legs = parse(csv, {}, ctx({ recording_url: 'https://pbx.example/monitor/{{year}}/{{month}}/{{day}}/{{file}}' }));
    expect(legs[2]?.recording?.url).toBe('https://pbx.example/monitor/2026/11/20/in-74951234567-205-20261120-100035-1763622000.1.wav');
    const odd = { ...chain[0]!, recordingfile: 'call #1.wav', start: '2026-11-20 23:59:59', answer: '', end: '2026-11-21 00:00:10' };
    expect(parse(masterCsvLine(odd), {}, ctx({ recording_url: 'https://pbx.example/{{year}}-{{month}}-{{day}}/{{file}}' }))[0]?.recording?.url).toBe(
      'https://pbx.example/2026-11-20/call%20%231.wav',
    );
  });

  it('treats a recording known to be an empty WAV header as none', () => {
    const [leg] = parse(masterCsvLine(chain[0]!), { recording_bytes: '44' });
    expect(leg).toMatchObject({ recorded: false, recording: { status: 'absent' } });
    expect(parse(masterCsvLine(chain[0]!), { recording_bytes: '45' })[0]).toMatchObject({ recorded: true, recording: { status: 'referenced' } });
  });

  it('reads the other layouts: without ids every row is its own call', () => {
    const [leg] = parse(masterCsvLine(chain[0]!, 'default'), {}, ctx({ csv_columns: 'default' }));
    expect(leg).toMatchObject({ callKey: 'PJSIP/trunk-00000001@2026-11-20 10:00:00', final: true, recording: null });
    const withIds = masterCsvLine(chain[2]!, 'uniqueid_userfield');
    expect(parse(withIds, { columns: 'uniqueid_userfield' })[0]).toMatchObject({
      callKey: '1763622000.1',
      legKey: '1763622000.1@2026-11-20 10:00:35>PJSIP/205-00000004',
    });
  });

  it('reads a cdr_custom layout by column names', () => {
    const line = '"2026-11-20 10:00:00","2026-11-20 10:01:00","ANSWERED","74951234567","100","PJSIP/trunk-1","PJSIP/100-2","x.1","x.1","rec.wav",60,"ignored"';
    const columns = ['start', 'end', 'disposition', 'src', 'dst', 'channel', 'dstchannel', 'uniqueid', 'linkedid', 'recordingfile', 'billsec', '-'];
    const [leg] = parse(line, { columns: columns.join(',') });
    expect(leg).toMatchObject({ callKey: 'x.1', answeredAt: new Date('2026-11-20T07:00:00Z'), talkSeconds: 60, recording: { key: 'rec.wav' } });
  });

  it('names the line and column of each problem, never a whole phone number', () => {
    const bad = { ...chain[1]!, disposition: 'HUNG UP', start: 'soon' };
    expect(problems(`${csv}\n${masterCsvLine(bad)}`)).toEqual([
      'line 4, column 10 (start): expected a time like "2026-11-20 10:00:00", got "soon"',
      'line 4, column 15 (disposition): expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION, got "HUNG UP"',
    ]);
    const short = masterCsvLine(chain[0]!, 'uniqueid_userfield');
    expect(problems(short)).toEqual([
      'line 1: expected 21 columns (csv_columns: full), got 18 (18 columns is the "uniqueid_userfield" layout: set sources.asterisk.csv_columns to match cdr_csv.conf)',
    ]);
    // A layout that does not match puts numbers where times belong: they are masked.
    expect(problems(short.replace('"2026-11-20 10:00:00"', '"74951234567"'), { columns: 'uniqueid_userfield' })[0]).toBe(
      'line 1, column 10 (start): expected a time like "2026-11-20 10:00:00", got "***4567"',
    );
    expect(problems(masterCsvLine({ ...chain[0]!, end: '2026-11-20 09:00:00' }))).toEqual(['line 1, column 12 (end): is before start']);
    expect(problems(masterCsvLine({ ...chain[0]!, end: '' }))).toEqual(['line 1, column 12 (end): is empty']);
    expect(problems('"a","b\n')[0]).toMatch(/^line \d+: not valid CSV/);
    expect(problems('  ')).toEqual(['body: expected Master.csv lines or AMI Cdr events as JSON']);
    expect(problems(csv, { columns: 'start,start' })).toEqual(['columns: a column list needs end, disposition; column "start" is listed twice']);
  });
});

describe('asterisk parser: AMI Cdr events', () => {
  it('reads one event or an array, keys in any case, as the CSV lines', () => {
    const fromCsv = parse(csv);
    expect(parse(JSON.stringify(chain.map(amiEvent)), { content_type: 'application/json' })).toEqual(fromCsv);
    const lower = Object.fromEntries(Object.entries(amiEvent(chain[0]!)).map(([k, v]) => [k.toLowerCase(), v]));
    expect(parse(JSON.stringify(lower))).toEqual([fromCsv[0]]);
  });

  it('without LinkedID each event is a call of its own, keyed by its channel', () => {
    const { LinkedID: _l, Sequence: _s, ...plain } = amiEvent(chain[2]!);
    expect(parse(JSON.stringify(plain))[0]).toMatchObject({
      callKey: '1763622000.1',
      legKey: '1763622000.1@2026-11-20 10:00:35>PJSIP/205-00000004',
      final: true,
    });
  });

  it('names problems by the event’s own keys', () => {
    const { StartTime: _s, ...noStart } = amiEvent(chain[0]!);
    expect(problems(JSON.stringify([amiEvent(chain[0]!), { ...noStart, Disposition: 'MAYBE' }]))).toEqual([
      '[1].StartTime: is empty',
      '[1].Disposition: expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION, got "MAYBE"',
    ]);
    expect(problems(JSON.stringify({ ...amiEvent(chain[0]!), Event: 'Newstate' }))).toEqual([
      'Event: expected "Cdr", "CEL" or a call event (Newchannel, DialBegin, DialEnd, BridgeEnter, Hangup), got "Newstate"',
    ]);
    // A call event needs its time: the listener's ReceivedAt, or Asterisk's Timestamp.
    expect(problems(JSON.stringify({ ...amiEvent(chain[0]!), Event: 'Hangup' }))).toEqual([
      'Timestamp: missing (manager.conf timestampevents = yes), and no ReceivedAt',
    ]);
    expect(problems('{"Event":')[0]).toMatch(/^body is not valid JSON/);
    expect(problems('[]')).toEqual(['body: expected at least one event']);
    expect(problems('[1]')).toEqual(['[0]: expected an AMI Cdr, CEL or call event as a JSON object']);
  });
});
