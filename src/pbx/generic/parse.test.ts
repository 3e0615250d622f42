import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { defaultParseContext } from '../source';
import { genericParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const parse = (body: unknown) => genericParser.parse(typeof body === 'string' ? body : JSON.stringify(body), {}, ctx);
const problems = (body: unknown) => problemsOf(() => parse(body));

const ended = {
  type: 'call.ended',
  call_id: 'c1',
  direction: 'inbound',
  from: '+7 (495) 123-45-67',
  to: '101',
  extension: '101',
  started_at: '2026-11-20T10:00:00+03:00',
  answered_at: '2026-11-20T10:00:05+03:00',
  ended_at: '2026-11-20T10:03:05+03:00',
  disposition: 'answered',
  recording: { id: 'r1', url: 'https://pbx.example/r1.wav' },
};

describe('generic parser', () => {
  it('turns the documented example into one final leg with its recording', () => {
    expect(parse(ended)).toEqual([
      {
        kind: 'leg',
        callKey: 'c1',
        legKey: 'c1',
        direction: 'inbound',
        from: '+7 (495) 123-45-67',
        to: '101',
        extension: '101',
        line: null,
        startedAt: new Date('2026-11-20T07:00:00Z'),
        answeredAt: new Date('2026-11-20T07:00:05Z'),
        endedAt: new Date('2026-11-20T07:03:05Z'),
        disposition: 'answered',
        talkSeconds: null,
        final: true,
        recorded: null,
        recording: { key: 'r1', url: 'https://pbx.example/r1.wav', status: 'referenced' },
      },
    ]);
  });

  it('accepts arrays, unix seconds, local times and numeric phone numbers', () => {
    const events = parse([
      { ...ended, leg_id: 'c1-b', started_at: 1763622000, answered_at: null, ended_at: '2025-11-20 10:00:30', disposition: undefined, from: 74951234567 },
      { type: 'recording.ready', call_id: 'c1', leg_id: 'c1-b', recording: { url: 'https://pbx.example/b.wav' } },
    ]);
    expect(events[0]).toMatchObject({
      legKey: 'c1-b',
      final: false,
      from: '74951234567',
      startedAt: new Date('2025-11-20T07:00:00Z'),
      endedAt: new Date('2025-11-20T07:00:30Z'),
      disposition: 'no_answer',
    });
    expect(events[1]).toEqual({
      kind: 'recording',
      callKey: 'c1',
      legKey: 'c1-b',
      recording: { key: 'https://pbx.example/b.wav', url: 'https://pbx.example/b.wav', status: 'referenced' },
    });
  });

  it('lets the sender override final and say a leg has no recording', () => {
    expect(parse({ ...ended, leg_id: 'x', final: true, recorded: false })[0]).toMatchObject({ final: true, recorded: false });
    expect(parse({ ...ended, final: false })[0]).toMatchObject({ final: false });
  });

  it('records a recording the PBX says is absent', () => {
    expect(parse({ type: 'recording.ready', call_id: 'c1', recording: { status: 'absent' } })[0]).toMatchObject({
      recording: { key: 'c1:absent', url: null, status: 'absent' },
    });
  });

  it('names each problem with its path', () => {
    expect(problems('{')[0]).toMatch(/^body is not valid JSON/);
    expect(problems({ type: 'call.started', call_id: 'c1' })).toEqual([
      'type: expected type to be one of "call.ended", "recording.ready", "call.ringing", "call.answered"',
    ]);
    expect(problems({ type: 'call.ended' })).toEqual(['call_id: is required', 'started_at: is required', 'ended_at: is required']);
    // Shape first: a body with a wrong enum is reported before its times are read.
    expect(problems([ended, { ...ended, started_at: 'soon', disposition: 'hung' }])).toEqual([
      '[1].disposition: Invalid option: expected one of "answered"|"no_answer"|"busy"|"failed"',
    ]);
    expect(problems([{ ...ended, started_at: 'soon' }])).toEqual(['[0].started_at: expected an ISO 8601 time or unix seconds, got "soon"']);
    expect(problems({ ...ended, ended_at: '2026-11-20T09:00:00+03:00' })).toEqual([
      'ended_at: is before started_at',
      'answered_at: is outside started_at…ended_at',
    ]);
    expect(problems({ ...ended, recording: { url: 'ftp://x/y' } })).toEqual([
      'recording.url: expected recording.url to be an http(s) URL or an absolute path on the PBX',
    ]);
    expect(problems({ ...ended, recording: { id: 'r' } })).toEqual(['recording.url: a ready recording needs a url']);
    expect(problems([])).toEqual(['body: expected at least one event']);
    expect(problems(Array.from({ length: 501 }, () => ended))).toEqual(['body: expected at most 500 events per request']);
    expect(problems({ ...ended, call_id: '' })).toEqual(['call_id: expected call_id, got an empty string']);
  });
});

describe('generic live events', () => {
  // DESIGN.md's contract: call.ringing (call_id, direction, from, to, extensions, line) and call.answered (call_id, extension).
  const ringing = {
    type: 'call.ringing',
    call_id: 'c1',
    direction: 'inbound',
    from: '+7 (495) 123-45-67',
    to: '74957654321',
    extensions: ['101', '102'],
    line: '74957654321',
    at: '2026-11-20T10:00:00+03:00',
  };
  const answered = { type: 'call.answered', call_id: 'c1', extension: '101', at: '2026-11-20T10:00:05+03:00' };

  it('turns call.ringing into a ringing moment of the conversation call_id names', () => {
    expect(parse(ringing)).toEqual([
      {
        kind: 'live',
        callKey: 'c1',
        state: 'ringing',
        direction: 'inbound',
        from: '+7 (495) 123-45-67',
        to: '74957654321',
        extensions: ['101', '102'],
        line: '74957654321',
        at: new Date('2026-11-20T07:00:00Z'),
      },
    ]);
  });

  it('turns call.answered into an answered moment of the extension', () => {
    expect(parse(answered)).toEqual([
      {
        kind: 'live',
        callKey: 'c1',
        state: 'answered',
        direction: null,
        from: null,
        to: null,
        extensions: ['101'],
        line: null,
        at: new Date('2026-11-20T07:00:05Z'),
      },
    ]);
  });

  it('reads started_at / answered_at when at is absent, numbers as numbers, and a queue with no extension yet', () => {
    const { at: _at, ...noAt } = ringing;
    expect(parse({ ...noAt, started_at: 1795158000, extensions: [101, '101'] })[0]).toMatchObject({ extensions: ['101'], at: new Date(1795158000 * 1000) });
    expect(parse({ ...noAt, started_at: '2026-11-20 10:00:00', extensions: undefined })[0]).toMatchObject({
      extensions: [],
      at: new Date('2026-11-20T07:00:00Z'),
    });
    expect(parse({ type: 'call.answered', call_id: 'c1', extension: 101, answered_at: 1795158005 })[0]).toMatchObject({ extensions: ['101'] });
  });

  it('comes in one batch with the records of the call, and a whole call keys one conversation', () => {
    const events = parse([ringing, answered, ended]);
    expect(events.map((e) => e.kind)).toEqual(['live', 'live', 'leg']);
    expect(new Set(events.map((e) => (e.kind === 'dropped' ? null : e.callKey)))).toEqual(new Set(['c1']));
  });

  it('names each problem with its path', () => {
    const { at: _at, ...noAt } = ringing;
    expect(problems(noAt)).toEqual(['at: is required (when it started ringing; or give started_at)']);
    expect(problems([answered, { ...answered, at: undefined }])).toEqual(['[1].at: is required (when it was answered; or give answered_at)']);
    expect(problems({ ...ringing, at: 'soon' })[0]).toMatch(/^at: expected an ISO 8601 time/);
    expect(problems({ ...ringing, extensions: '101' })).toEqual(['extensions: expected extensions as an array of strings']);
    expect(problems({ ...ringing, extensions: Array.from({ length: 201 }, (_, i) => String(100 + i)) })).toEqual([
      'extensions: expected at most 200 extensions',
    ]);
    expect(problems({ ...ringing, call_id: '' })).toEqual(['call_id: expected call_id, got an empty string']);
  });
});
