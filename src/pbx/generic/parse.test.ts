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
    expect(problems({ type: 'call.started', call_id: 'c1' })).toEqual(['type: expected type "call.ended" or "recording.ready"']);
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
