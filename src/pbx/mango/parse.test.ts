import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import * as documented from './fixtures/documented-summaries';
import * as t from './fixtures/inbound-transfer';
import { unansweredDisposition } from './legs';
import { mangoParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const body = (json: unknown) =>
  new URLSearchParams({ vpbx_api_key: 'key', sign: 'sign', json: typeof json === 'string' ? json : JSON.stringify(json) }).toString();
const parseAll = (event: string, json: unknown, extra: Record<string, string> = {}, context: ParseContext = ctx) =>
  mangoParser.parse(body(json), { event, ...extra }, context);
/** The events that make the conversation (live moments aside: live.test.ts). */
const parse = (event: string, json: unknown, extra: Record<string, string> = {}, context: ParseContext = ctx) =>
  parseAll(event, json, extra, context).filter((e) => e.kind !== 'live');
/** A call notification arriving after `stored` were kept in the inbox (what the route looks up). */
const call = (json: object, stored: object[] = [], context: ParseContext = ctx) =>
  parse('call', json, stored.length ? { timeline: JSON.stringify(stored.map((s) => JSON.stringify(s))) } : {}, context);
const problems = (event: string | undefined, json: unknown) => problemsOf(() => mangoParser.parse(body(json), event === undefined ? {} : { event }, ctx));
const withConfig = (mango: object): ParseContext => ({ timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({ mango }) });
const at = (unix: number) => new Date(unix * 1000);
const T = 1_795_158_000;

const leg321 = [t.appeared321, t.transferred321, t.connected321, t.disconnected321];

describe('events/summary', () => {
  it("is the final leg with the conversation's times and Mango's talk (end_time − talk_time), and the employee as a moment of its own", () => {
    expect(parse('summary', t.summary)).toEqual([
      {
        kind: 'leg',
        callKey: t.ENTRY,
        legKey: t.ENTRY,
        direction: 'inbound',
        from: '74955404444',
        to: null,
        extension: null,
        line: null,
        startedAt: at(T - 3),
        answeredAt: at(T + 5),
        endedAt: at(T + 240),
        disposition: 'answered',
        talkSeconds: 235,
        final: true,
        recorded: false,
        recording: null,
      },
      {
        kind: 'leg',
        callKey: t.ENTRY,
        legKey: `${t.ENTRY}:answered:333`,
        direction: 'inbound',
        from: '74955404444',
        to: '333',
        extension: '333',
        line: null,
        startedAt: at(T + 5),
        answeredAt: at(T + 5),
        endedAt: at(T + 5),
        disposition: 'answered',
        talkSeconds: 0,
        final: false,
        recorded: false,
        recording: null,
      },
    ]);
  });

  it('reads the documented examples', () => {
    const [answered, employee] = parse('summary', documented.inboundAnswered);
    expect(answered).toMatchObject({
      direction: 'inbound',
      from: '7800123635242',
      to: null,
      extension: null,
      disposition: 'answered',
      startedAt: at(1399906976),
      answeredAt: at(1399906980),
      endedAt: at(1399906990),
      talkSeconds: 10,
      final: true,
    });
    expect(employee).toMatchObject({ from: '7800123635242', to: '123', extension: '123', disposition: 'answered', talkSeconds: 0, final: false });
    // Ended in the IVR: entry_result says 1, but nobody talked, and no employee is named.
    expect(parse('summary', documented.inboundEndedInIvr)).toMatchObject([
      { direction: 'inbound', from: '79000000000', to: null, extension: null, disposition: 'no_answer', answeredAt: null, talkSeconds: null },
    ]);
    expect(parse('summary', documented.outboundAnswered)).toMatchObject([
      { direction: 'outbound', from: null, to: '7800123456789', extension: null, disposition: 'answered', talkSeconds: 10 },
      { legKey: '232wc3e3w3s222:answered:123', direction: 'outbound', from: '123', to: '7800123456789', extension: '123' },
    ]);
    expect(parse('summary', documented.outboundMissed)).toMatchObject([
      { direction: 'outbound', disposition: 'no_answer', answeredAt: null },
      // A missed call's employee rang when it was forwarded to them.
      { legKey: '232wc3e3w3s222:rang:123', extension: '123', disposition: 'no_answer', startedAt: at(1399906976), talkSeconds: null },
    ]);
    expect(parse('summary', { ...documented.outboundMissed, call_direction: 0, to: { extension: '124' } })).toMatchObject([
      { direction: 'internal', from: '123', to: '124', extension: null },
      { direction: 'internal', from: '123', to: '124', extension: '124' },
    ]);
  });

  it('never offers the device an incoming call was answered on as the outside party', () => {
    expect(parse('summary', { ...t.summary, from: {}, to: { number: '79161234567' } })).toMatchObject([{ from: null, to: null, extension: null }]);
  });

  it("accepts numbers written as strings, as in Mango's other examples", () => {
    expect(parse('summary', { ...documented.inboundAnswered, call_direction: '1', create_time: '1399906976', to: { extension: 123 } })).toMatchObject([
      { direction: 'inbound', startedAt: at(1399906976) },
      { extension: '123' },
    ]);
  });
});

describe('events/call', () => {
  it('refuses a seq no call reaches, so a signed body cannot make the timeline lookup unbounded', () => {
    // A signed notification with seq 30000000 made the route build 30 million inbox keys (out of memory).
    expect(problems('call', { ...t.appeared333, seq: 30_000_000 })).toEqual(['json.seq: expected seq to count from 1 (at most 1000000)']);
  });

  it("writes nothing while the call's states are incomplete", () => {
    expect(call(t.appeared333)).toEqual([]);
    expect(call(t.disconnected333, [t.appeared333, t.connected333])).toEqual([]); // seq 3 missing
    expect(call(t.connected333, [t.appeared333, t.onHold333])).toEqual([]); // not ended yet
  });

  it("writes the employee's leg once every state is known: answered, hold included in the talk", () => {
    expect(call(t.disconnected333, [t.appeared333, t.connected333, t.onHold333])).toEqual([
      {
        kind: 'leg',
        callKey: t.ENTRY,
        legKey: 'MToxMDE2MzUyODozMDA6MjAw',
        direction: null,
        from: '74955404444',
        to: '333',
        extension: '333',
        startedAt: at(T),
        answeredAt: at(T + 5),
        endedAt: at(T + 55),
        disposition: 'answered',
        talkSeconds: null,
        final: false,
        recorded: null,
        recording: null,
      },
    ]);
  });

  it('gives the same leg whichever notification completes it, and ignores repeats', () => {
    const expected = call(leg321[3] as object, leg321.slice(0, 3));
    expect(expected[0]).toMatchObject({
      from: '74955404444',
      to: '321',
      extension: '321',
      startedAt: at(T + 45),
      answeredAt: at(T + 60),
      endedAt: at(T + 240),
    });
    for (let last = 0; last < leg321.length; last++) {
      const others = leg321.filter((_, i) => i !== last);
      expect(call(leg321[last] as object, [...others, ...others])).toEqual(expected);
    }
  });

  it('skips the IVR and other calls that never reached an employee', () => {
    expect(call(t.ivrDisconnected, [t.ivrAppeared])).toEqual([]);
    const queue = { ...t.appeared333, location: 'queue', to: { number: '74957654321', acd_group: '500' } };
    expect(call({ ...queue, seq: 2, call_state: 'Disconnected', disconnect_reason: 1163 }, [queue])).toEqual([]);
  });

  it("reads an unanswered leg's result and an outgoing employee leg", () => {
    const busy = call({ ...t.appeared333, seq: 2, timestamp: T + 3, call_state: 'Disconnected', disconnect_reason: 1121 }, [t.appeared333]);
    expect(busy[0]).toMatchObject({ disposition: 'busy', answeredAt: null, endedAt: at(T + 3) });
    // Mango's documented outgoing call: extension 1234 calls 12345678; no location given.
    const out = {
      entry_id: 'e1',
      call_id: '100:500:256',
      timestamp: '1399906976',
      seq: '1',
      call_state: 'Appeared',
      from: { extension: '1234' },
      to: { number: '12345678' },
    };
    const connected = { ...out, timestamp: '1399906988', seq: '2', call_state: 'Connected', from: { extension: '1234', number: '74955404444' } };
    const ended = { ...connected, timestamp: '1399907008', seq: '3', call_state: 'Disconnected', disconnect_reason: '1120' };
    expect(call(ended, [out, connected])[0]).toMatchObject({
      from: '1234',
      to: '12345678',
      extension: '1234',
      answeredAt: at(1399906988),
      endedAt: at(1399907008),
      disposition: 'answered',
    });
  });

  it('uses only notifications of the same call from the timeline', () => {
    expect(call(t.disconnected333, [t.appeared333, t.connected333, { ...t.onHold333, call_id: 'other' }])).toEqual([]);
    expect(call(t.disconnected333, [t.appeared333, t.connected333, { ...t.onHold333, entry_id: 'other' }])).toEqual([]);
    expect(call(t.disconnected333, [t.appeared333, t.connected333, t.onHold333, { nonsense: true }])).toHaveLength(1);
  });

  it('expects no recording when configured so', () => {
    expect(call(t.disconnected333, [t.appeared333, t.connected333, t.onHold333], withConfig({ expect_recordings: false }))[0]).toMatchObject({
      recorded: false,
    });
  });
});

describe('events/recording', () => {
  it("records a completed file kept in Mango's cloud, its link to be asked for later", () => {
    expect(parse('recording', t.recording333Completed)).toEqual([
      {
        kind: 'recording',
        callKey: t.ENTRY,
        legKey: 'MToxMDE2MzUyODozMDA6MjAw',
        recording: { key: 'MToxMDE2MzUyODozMzM6cmVj', url: null, status: 'referenced', vendorRef: 'MToxMDE2MzUyODozMzM6cmVj' },
      },
    ]);
    expect(parse('recording', t.recording321Completed)[0]).toMatchObject({ recording: { status: 'referenced' } });
  });

  it('waits for the end of a recording in progress', () => {
    expect(parse('recording', t.recording333Started)).toEqual([]);
    expect(parse('recording', { ...t.recording333Started, recording_state: 'Continued' })).toEqual([]);
  });

  it('knows when there is no file to fetch', () => {
    const completed = t.recording333Completed;
    expect(parse('recording', { ...completed, recipient: 'Mail' })[0]).toMatchObject({ recording: { status: 'absent', url: null } });
    expect(parse('recording', { ...completed, completion_code: 4002 })[0]).toMatchObject({ recording: { status: 'absent' } });
    expect(parse('recording', { ...completed, completion_code: 2210 })[0]).toMatchObject({ recording: { status: 'failed' } });
    expect(parse('recording', { ...completed, call_id: undefined })[0]).toMatchObject({ legKey: t.ENTRY });
  });
});

describe('times', () => {
  it('reads timestamps as unix seconds, or as wall-clock time in the zone when configured', () => {
    expect(parse('summary', t.summary)[0]).toMatchObject({ startedAt: new Date('2026-11-20T06:59:57Z') });
    const local = parse('summary', t.summary, {}, withConfig({ timestamps_in_local_time: true, time_zone: 'Europe/Moscow' }));
    expect(local[0]).toMatchObject({ startedAt: new Date('2026-11-20T03:59:57Z') });
  });
});

describe('unanswered results', () => {
  it("maps Mango's result classes", () => {
    expect(
      [undefined, 1100, 1110, 1111, 1120, 1121, 1122, 1131, 1140, 1151, 1164, 1170, 1192, 1193, 1312, 2240, 3200, 4200, 5003].map(unansweredDisposition),
    ).toEqual([
      'no_answer',
      'no_answer',
      'no_answer',
      'no_answer',
      'no_answer',
      'busy',
      'no_answer',
      'failed',
      'failed',
      'failed',
      'no_answer',
      'no_answer',
      'no_answer',
      'busy',
      'busy',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
  });
});

describe('Mango bodies calltrail refuses (400)', () => {
  it('names each problem with its place', () => {
    expect(problems('summary', '')).toEqual(['json: is required (the form field with the event)']);
    expect(problems('summary', '{"entry_id":')[0]).toMatch(/^json: is not valid JSON/);
    expect(problems(undefined, t.summary)).toEqual(['meta.event: expected one of call, summary, recording (the path the body was posted to), got null']);
    expect(problems('summary', { ...t.summary, entry_id: '', call_direction: 7, end_time: 'late' })).toEqual([
      'json.entry_id: expected entry_id, got an empty string',
      'json.call_direction: expected call_direction 0 (internal), 1 (incoming) or 2 (outgoing)',
      'json.end_time: expected end_time as a whole number',
    ]);
    expect(problems('call', { ...t.appeared333, call_state: 'Ringing', seq: 0 })).toEqual([
      'json.seq: expected seq to count from 1 (at most 1000000)',
      'json.call_state: expected call_state to be one of Appeared, Connected, OnHold, Disconnected',
    ]);
    const { call_id: _c, ...noCallId } = t.appeared333;
    expect(problems('call', noCallId)).toEqual(['json.call_id: is required']);
    expect(problems('recording', { ...t.recording333Completed, recording_state: 'Done' })).toEqual([
      'json.recording_state: expected recording_state to be one of Started, Continued, Completed',
    ]);
    expect(problems('summary', { ...t.summary, end_time: 17636220000000 })).toEqual([
      'json.end_time: expected unix seconds, got 17636220000000 (milliseconds?)',
    ]);
    expect(problems('call', t.appeared333).length).toBe(0);
  });

  it('refuses a corrupt stored timeline', () => {
    expect(problems('call', t.appeared333)).toEqual([]);
    expect(() => mangoParser.parse(body(t.appeared333), { event: 'call', timeline: '{' }, ctx)).toThrow('meta.timeline: is not valid JSON');
  });
});
