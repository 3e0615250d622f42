import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import pInternal from './fixtures/p-series-internal-call.json';
import transfer from './fixtures/s-series-inbound-transfer.json';
import sInternal from './fixtures/s-series-internal-call.json';
import sOutbound from './fixtures/s-series-v1-outbound-call.json';
import { yeastarParser } from './parse';
import { callKeyOf } from '../../domain/events';

const ctx = defaultParseContext('Europe/Moscow');
const withConfig = (yeastar: Record<string, unknown>): ParseContext => ({ ...ctx, sources: sourcesConfigSchema.parse({ yeastar }) });
const parse = (body: unknown, context: ParseContext = ctx) => yeastarParser.parse(typeof body === 'string' ? body : JSON.stringify(body), {}, context);
const problems = (body: unknown) => problemsOf(() => parse(body));
const pSeries = (details: Record<string, unknown>) => ({ ...pInternal, msg: JSON.stringify({ ...JSON.parse(pInternal.msg), ...details }) });

describe('yeastar S-Series / Cloud PBX NewCdr', () => {
  it("reads the documented example in the PBX's time zone, recording kept by file name", () => {
    expect(parse(sInternal)).toEqual([
      {
        kind: 'leg',
        callKey: '1571897930.5',
        legKey: expect.stringMatching(/^cdr-[0-9a-f]{16}$/),
        direction: 'internal',
        directionRule: 'Yeastar type Internal',
        from: '1023',
        to: '2023',
        extension: null,
        line: null,
        startedAt: new Date('2019-10-23T19:18:50Z'),
        answeredAt: new Date('2019-10-23T19:18:55Z'),
        endedAt: new Date('2019-10-23T19:19:09Z'),
        disposition: 'answered',
        talkSeconds: 14,
        final: true,
        recorded: true,
        recording: {
          key: '20191024201242-1571897930.5-203-201-Internal.wav',
          url: null,
          status: 'referenced',
          vendorRef: '20191024201242-1571897930.5-203-201-Internal.wav',
        },
      },
    ]);
  });

  it('links the recording through the configured template, and uses the source time zone', () => {
    const context = withConfig({ recording_url: 'https://pbx.example/recordings/{call_id}/{file}', time_zone: 'Asia/Shanghai' });
    expect(parse(sInternal, context)[0]).toMatchObject({
      startedAt: new Date('2019-10-23T14:18:50Z'),
      recording: { url: 'https://pbx.example/recordings/1571897930.5/20191024201242-1571897930.5-203-201-Internal.wav', status: 'referenced' },
    });
  });

  it('takes the older "action" spelling, and one report per segment of a transfer', () => {
    expect(parse(sOutbound)[0]).toMatchObject({ callKey: '1547392142.330', direction: 'outbound', to: '9283737733', talkSeconds: 3 });
    const legs = transfer.map((r) => parse(r)[0]);
    expect(new Set(legs.map((l) => (l ? callKeyOf(l) : undefined)))).toEqual(new Set(['1763622000.2201']));
    expect(new Set(legs.map((l) => (l?.kind === 'leg' ? l.legKey : '')))).toHaveProperty('size', 3);
    expect(legs[0]).toMatchObject({ disposition: 'no_answer', answeredAt: null, talkSeconds: null, recorded: false, recording: null });
    // The same report twice is the same leg.
    expect(parse(transfer[1])).toEqual(parse(JSON.parse(JSON.stringify(transfer[1]))));
  });

  it('maps every status', () => {
    const status = (s: string) => parse({ ...sInternal, status: s, talkduraction: '0' })[0];
    expect(status('NO ANSWER')).toMatchObject({ disposition: 'no_answer' });
    expect(status('NO ANSWERED')).toMatchObject({ disposition: 'no_answer' });
    expect(status('BUSY')).toMatchObject({ disposition: 'busy' });
    expect(status('VOICEMAIL')).toMatchObject({ disposition: 'no_answer' });
    expect(status('answerd')).toMatchObject({ disposition: 'answered', answeredAt: new Date('2019-10-23T19:19:09Z'), talkSeconds: 0 });
  });

  it('keeps other events without recording anything', () => {
    expect(parse({ event: 'Ringing', callid: '1', sn: '1' })).toEqual([]);
    expect(parse({ type: 30011, sn: '1', msg: '{}' })).toEqual([]);
  });
});

describe('yeastar P-Series event 30012', () => {
  it('parses the call details inside the string, keyed by uid', () => {
    expect(parse(pInternal)).toEqual([
      expect.objectContaining({
        callKey: '1651057476.362',
        legKey: '1651057476.362-1',
        direction: 'internal',
        from: '2005',
        to: '2002',
        startedAt: new Date('2022-04-27T16:04:36Z'),
        endedAt: new Date('2022-04-27T16:05:00Z'),
        talkSeconds: 21,
      }),
    ]);
  });

  it('reads "Name<number>" parties, the split number fields, blank fields and msg sent as an object', () => {
    expect(parse(pSeries({ call_from: 'Leo Ray<2005>', did_number: ' ' }))[0]).toMatchObject({ from: '2005' });
    expect(parse(pSeries({ call_to: 'Sales', call_to_number: '6400' }))[0]).toMatchObject({ to: '6400' });
    expect(parse(pSeries({ recording: ' ' }))[0]).toMatchObject({ recorded: false, recording: null });
    expect(parse({ ...pInternal, msg: JSON.parse(pInternal.msg) })[0]).toMatchObject({ legKey: '1651057476.362-1' });
  });
});

describe('yeastar bodies that are not Yeastar reports', () => {
  it('names each problem with its path', () => {
    expect(problems('{')[0]).toMatch(/^body: is not valid JSON/);
    expect(problems([])).toEqual(['body: expected a JSON object (a NewCdr report or a P-Series event)']);
    expect(problems({ hello: 1 })).toEqual(['body: expected "event": "NewCdr" (S-Series, Cloud PBX) or "type": 30012 with "msg" (P-Series)']);
    expect(problems({ event: 'NewCdr' })).toEqual([
      'callid: is required',
      'timestart: is required',
      'callduraction: is required',
      'talkduraction: is required',
      'status: is required',
    ]);
    expect(problems({ ...sInternal, status: 'HUNG UP', callduraction: '1.5' })).toEqual([
      'callduraction: expected whole seconds',
      'status: expected ANSWERED, NO ANSWER, BUSY or VOICEMAIL',
    ]);
    expect(problems({ ...sInternal, timestart: '23/10/2019 22:18' })).toEqual(['timestart: expected an ISO 8601 time or unix seconds, got "23/10/2019 22:18"']);
    expect(problems({ ...sInternal, talkduraction: '20' })).toEqual(['talkduraction: is longer than callduraction']);
    expect(problems({ ...sInternal, recording: '../../etc/passwd' })).toEqual(['recording: expected a file name']);
    expect(problems({ ...pInternal, msg: '{"call_id":' })[0]).toMatch(/^msg: is not valid JSON/);
    expect(problems(pSeries({ call_duration: 'long', time_start: 'soon' }))).toEqual(['msg.call_duration: expected whole seconds']);
    expect(problems(pSeries({ time_start: 'soon' }))).toEqual(['msg.time_start: expected an ISO 8601 time or unix seconds, got "soon"']);
  });
});
