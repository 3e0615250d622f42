import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionProblems, eventProblems, MAX_KEY_LENGTH } from './admit';
import type { CallEvent, LegEnded } from './events';

const now = new Date('2026-11-20T08:00:00Z');
const rules = { maxCallSeconds: 86_400, now };

const leg = (over: Partial<LegEnded> = {}): LegEnded => ({
  kind: 'leg',
  callKey: 'c-1',
  legKey: 'c-1',
  direction: 'inbound',
  from: '+74951234567',
  to: '101',
  extension: '101',
  startedAt: new Date('2026-11-20T07:00:00Z'),
  answeredAt: new Date('2026-11-20T07:00:05Z'),
  endedAt: new Date('2026-11-20T07:03:05Z'),
  disposition: 'answered',
  talkSeconds: null,
  final: true,
  recorded: null,
  recording: null,
  ...over,
});

describe('admission of call events', () => {
  it('takes an ordinary leg and recording', () => {
    const recording: CallEvent = { kind: 'recording', callKey: 'c-1', legKey: 'a', recording: { key: 'r1', url: 'https://pbx/r1.wav', status: 'referenced' } };
    expect(eventProblems([leg(), recording], rules)).toEqual([]);
  });

  it.each<[string, Partial<LegEnded>, string]>([
    ['NUL in from', { from: '+7\u0000495' }, 'from: contains a NUL character (call "c-1")'],
    ['a lone high surrogate in to', { to: '10\ud8001' }, 'to: contains a lone UTF-16 surrogate (not valid Unicode) (call "c-1")'],
    ['a lone low surrogate in extension', { extension: '\udc00' }, 'extension: contains a lone UTF-16 surrogate (not valid Unicode) (call "c-1")'],
    [
      'a NUL in the recording url',
      { recording: { key: 'r', url: '/var/\u0000', status: 'referenced' } },
      'recording.url: contains a NUL character (call "c-1")',
    ],
    ['an invalid time', { startedAt: new Date(Number.NaN) }, 'started_at: is not a valid time (call "c-1")'],
    ['a time before 2000', { startedAt: new Date('1970-01-01T00:00:00Z') }, 'started_at: is before 2000-01-01: not the time of a real call (call "c-1")'],
    [
      'an end more than a day ahead',
      { endedAt: new Date('2026-11-21T08:00:01Z') },
      'ended_at: 2026-11-21T08:00:01.000Z is more than a day in the future (call "c-1")',
    ],
    [
      'a leg longer than the maximum',
      { endedAt: new Date('2026-11-21T07:00:01Z') },
      'ended_at: the leg lasts 86401 s from started_at, more than max_call_seconds (86400) (call "c-1")',
    ],
    ['talk time past the maximum (and int4)', { talkSeconds: 2 ** 31 }, 'talk_seconds: 2147483648 is more than max_call_seconds (86400) (call "c-1")'],
    ['talk time that is not a number', { talkSeconds: Number.NaN }, 'talk_seconds: is not a number (call "c-1")'],
    [
      'a direction the ledger does not know',
      { direction: 'sideways' as LegEnded['direction'] },
      'direction: is not one of inbound, outbound, internal (call "c-1")',
    ],
  ])('refuses %s, naming the field', (_name, over, problem) => {
    expect(eventProblems([leg(over)], rules)).toEqual([problem]);
  });

  it('names the call and the leg, readable whatever their keys hold', () => {
    expect(eventProblems([leg({ legKey: 'b\u0000', from: '\u0000' })], rules)).toEqual([
      'from: contains a NUL character (call "c-1", leg "b?")',
      'leg_id: contains a NUL character',
    ]);
    expect(eventProblems([leg({ callKey: 'k'.repeat(MAX_KEY_LENGTH + 1), legKey: 'a' })], rules)).toEqual([
      `call_id: is longer than ${MAX_KEY_LENGTH} characters`,
    ]);
  });

  it('checks a closed conversation’s key and time, a dropped record’s reason and a leg’s joined keys', () => {
    expect(eventProblems([{ kind: 'closed', callKey: '\u0000', at: new Date(Number.NaN) }], rules)).toEqual([
      'call_id: contains a NUL character',
      'closed at: is not a valid time',
    ]);
    expect(
      eventProblems(
        [
          { kind: 'closed', callKey: 'c-1', at: null },
          { kind: 'dropped', at: 'line 3', reason: 'AppDial' },
        ],
        rules,
      ),
    ).toEqual([]);
    expect(eventProblems([{ kind: 'dropped', at: 'line 3', reason: 'x\u0000' }], rules)).toEqual(['dropped record: contains a NUL character']);
    expect(eventProblems([leg({ joins: ['ok', 'b\u0000'] })], rules)).toEqual(['joined leg "b?": contains a NUL character (call "c-1")']);
  });

  it('checks the body, its meta and its delivery id', () => {
    expect(admissionProblems({ raw: 'a\u0000', meta: { uuid: 'x\u0000', 'k\u0000': 'v' }, dedupeKey: 'leg:\ud800', events: [] }, rules)).toEqual([
      'body: contains a NUL character',
      'meta.uuid: contains a NUL character',
      'meta.k?: contains a NUL character',
      'delivery id: contains a lone UTF-16 surrogate (not valid Unicode)',
    ]);
  });

  it('property: a NUL or a lone surrogate anywhere in any text field is refused, naming that field', () => {
    const fields = ['from', 'to', 'extension', 'line'] as const;
    const bad = fc
      .tuple(fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', '\ud800', '\udfff'), fc.string({ unit: 'binary' }))
      .map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(fc.constantFrom(...fields), bad, (field, value) => {
        const problems = eventProblems([leg({ [field]: value })], rules);
        // A well-formed pair can form around an inserted surrogate; then nothing is wrong.
        if (!/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) return expect(problems).toEqual([]);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(new RegExp(`^${field}: contains a (NUL character|lone UTF-16 surrogate)`));
      }),
    );
  });

  it('property: any leg within the rules is taken', () => {
    const start = Date.UTC(2000, 0, 1);
    const legArb = fc.record({
      startedAt: fc.integer({ min: start, max: now.getTime() }),
      seconds: fc.integer({ min: 0, max: 86_400 }),
      talk: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: null }),
      from: fc.option(fc.string({ unit: 'grapheme', maxLength: 64 }), { nil: null }),
    });
    fc.assert(
      fc.property(legArb, ({ startedAt, seconds, talk, from }) => {
        const l = leg({ startedAt: new Date(startedAt), answeredAt: null, endedAt: new Date(startedAt + seconds * 1000), talkSeconds: talk, from });
        expect(eventProblems([l], rules)).toEqual([]);
      }),
    );
  });
});
