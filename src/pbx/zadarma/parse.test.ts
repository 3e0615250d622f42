import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import { formBody, type Notification } from './fixtures/form';
import * as missed from './fixtures/inbound-missed';
import * as transfer from './fixtures/inbound-transfer';
import * as answeredOut from './fixtures/outbound-answered';
import * as cancelled from './fixtures/outbound-cancelled';
import { dispositionOf, zadarmaParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const parseAll = (n: Notification, context: ParseContext = ctx) => zadarmaParser.parse(formBody(n), {}, context);
/** The events that make the conversation (live moments aside: they are tested below). */
const parse = (n: Notification, context: ParseContext = ctx) => parseAll(n, context).filter((e) => e.kind !== 'live');
const problems = (n: Notification | string) => problemsOf(() => zadarmaParser.parse(typeof n === 'string' ? n : formBody(n), {}, ctx));

const ID = transfer.PBX_CALL_ID;
const at = (iso: string) => new Date(iso);

describe('Zadarma notifications → call events', () => {
  it('records nothing for the start of a call, an outgoing start, or the IVR', () => {
    expect(parse(transfer.start)).toEqual([]);
    expect(parse(cancelled.outStart)).toEqual([]);
    expect(parse({ ...transfer.start, event: 'NOTIFY_IVR' })).toEqual([]);
  });

  it('turns NOTIFY_INTERNAL into an unanswered moment for the extension that rang', () => {
    expect(parse(transfer.rings100)).toEqual([
      {
        kind: 'leg',
        callKey: ID,
        legKey: `${ID}:rang:100`,
        direction: null,
        from: '74951234567',
        to: '100',
        extension: '100',
        startedAt: at('2026-11-20T07:00:00Z'),
        answeredAt: null,
        endedAt: at('2026-11-20T07:00:00Z'),
        disposition: 'no_answer',
        talkSeconds: null,
        final: false,
        recorded: false,
        recording: null,
      },
    ]);
  });

  it('turns NOTIFY_ANSWER into an answered moment with no talk of its own', () => {
    expect(parse(transfer.answer205)).toEqual([
      expect.objectContaining({
        legKey: `${ID}:answered:205`,
        from: '74951234567',
        to: '205',
        extension: '205',
        answeredAt: at('2026-11-20T07:00:00Z'),
        endedAt: at('2026-11-20T07:00:00Z'),
        disposition: 'answered',
        talkSeconds: 0,
        final: false,
        recorded: false,
      }),
    ]);
    // Without `internal` the destination may be a forwarded-to phone: no party is taken from it.
    const { internal: _internal, ...noInternal } = transfer.answer100;
    expect(parse({ ...noInternal, destination: '79161234567' })[0]).toMatchObject({
      legKey: `${ID}:answered:79161234567`,
      from: '74951234567',
      to: null,
      extension: null,
    });
  });

  it('turns NOTIFY_END into the final leg, talk time credited to its extension, with the named recording', () => {
    expect(parse(transfer.end)).toEqual([
      {
        kind: 'leg',
        callKey: ID,
        legKey: ID,
        direction: 'inbound',
        from: '74951234567',
        to: '205',
        extension: '205',
        line: '74957654321',
        startedAt: at('2026-11-20T07:00:00Z'),
        answeredAt: at('2026-11-20T07:00:00Z'),
        endedAt: at('2026-11-20T07:03:30Z'),
        disposition: 'answered',
        talkSeconds: 210,
        final: true,
        recorded: null,
        recording: { key: '1795158000.2051', url: null, status: 'referenced', vendorRef: '1795158000.2051' },
      },
    ]);
  });

  it('expects a recording announced without its id, and none when Zadarma says there is none', () => {
    expect(parse({ ...transfer.end, call_id_with_rec: '' })[0]).toMatchObject({ recorded: null, recording: null });
    expect(parse({ ...transfer.end, is_recorded: '0' })[0]).toMatchObject({ recorded: false, recording: null });
  });

  it('turns NOTIFY_OUT_END into an outbound final leg from the extension', () => {
    expect(parse(answeredOut.outEnd)).toEqual([
      expect.objectContaining({
        legKey: 'out_0a1b2c3d4e5f60718293a4b5c6d7e8f901234567',
        direction: 'outbound',
        from: '101',
        to: '79161234567',
        extension: '101',
        startedAt: at('2026-11-20T08:15:00Z'),
        endedAt: at('2026-11-20T08:16:35Z'),
        disposition: 'answered',
        talkSeconds: 95,
        final: true,
        recorded: false,
        recording: null,
      }),
    ]);
  });

  it('reads the documented cancelled outgoing call as unanswered and expects no recording of it', () => {
    expect(parse(cancelled.outEnd)).toEqual([
      expect.objectContaining({
        direction: 'outbound',
        from: '100',
        to: '+380989897908',
        startedAt: at('2020-04-03T11:26:47Z'),
        answeredAt: null,
        endedAt: at('2020-04-03T11:26:47Z'),
        disposition: 'no_answer',
        talkSeconds: null,
        recorded: false,
        recording: null,
      }),
    ]);
  });

  it('reads a missed call with no extension on its end', () => {
    expect(parse(missed.end)[0]).toMatchObject({ to: null, extension: null, disposition: 'no_answer', recorded: false, final: true });
    // A withheld caller: nothing on the leg could pass for the outside party.
    expect(parse({ ...missed.end, caller_id: '' })[0]).toMatchObject({ from: null, to: null });
    expect(parse(missed.rings101)[0]).toMatchObject({ extension: '101', disposition: 'no_answer' });
  });

  it('turns NOTIFY_RECORD into a recording of the call, its link to be asked for', () => {
    expect(parse(transfer.record100)).toEqual([
      {
        kind: 'recording',
        callKey: ID,
        legKey: ID,
        recording: { key: '1795158000.1001', url: null, status: 'referenced', vendorRef: '1795158000.1001' },
      },
    ]);
  });

  it('reads call_start in the source time zone when one is configured', () => {
    const london: ParseContext = { timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({ zadarma: { time_zone: 'Europe/London' } }) };
    expect(parse(transfer.end, london)[0]).toMatchObject({ startedAt: at('2026-11-20T10:00:00Z') });
  });

  it('maps every documented disposition', () => {
    expect(
      [
        'answered',
        'busy',
        'cancel',
        'no answer',
        'failed',
        'no money',
        'unallocated number',
        'no limit',
        'no day limit',
        'line limit',
        'no money, no limit',
        'something new',
      ].map(dispositionOf),
    ).toEqual(['answered', 'busy', 'no_answer', 'no_answer', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed']);
    expect(dispositionOf(' ANSWERED ')).toBe('answered');
  });

  it('is the same on every replay', () => {
    expect(parse(transfer.end)).toEqual(parse(transfer.end));
  });
});

describe('Zadarma ring-time notifications → live moments', () => {
  const live = (n: Notification) => parseAll(n).filter((e) => e.kind === 'live');
  const moment = { kind: 'live', callKey: ID, at: at('2026-11-20T07:00:00Z') };

  it('NOTIFY_START: an incoming call rings, nobody yet, on the number it came in on', () => {
    expect(parseAll(transfer.start)).toEqual([
      { ...moment, state: 'ringing', direction: 'inbound', from: '74951234567', to: null, extensions: [], line: '74957654321' },
    ]);
  });

  it('NOTIFY_INTERNAL: the extension rings, beside the moment the timeline keeps', () => {
    expect(live(transfer.rings100)).toEqual([
      { ...moment, state: 'ringing', direction: 'inbound', from: '74951234567', to: '100', extensions: ['100'], line: '74957654321' },
    ]);
    expect(parseAll(transfer.rings100).map((e) => e.kind)).toEqual(['leg', 'live']);
  });

  it('NOTIFY_ANSWER: the extension answered', () => {
    expect(live(transfer.answer205)).toEqual([
      { ...moment, state: 'answered', direction: null, from: '74951234567', to: '205', extensions: ['205'], line: null },
    ]);
    const { internal: _internal, ...forwarded } = transfer.answer100;
    expect(live({ ...forwarded, destination: '79161234567' })[0]).toMatchObject({ state: 'answered', to: null, extensions: [] });
  });

  it("NOTIFY_OUT_START (Zadarma's documented example): an extension calls out", () => {
    expect(parseAll(cancelled.outStart)).toEqual([
      {
        kind: 'live',
        callKey: 'out_dcb22bcd4e78fa4b627aa2e0c67d0191cd0a5068',
        state: 'ringing',
        direction: 'outbound',
        from: '100',
        to: '+380989897908',
        extensions: ['100'],
        line: null,
        at: at('2020-04-03T11:26:47Z'),
      },
    ]);
    expect(live({ ...cancelled.outStart, caller_id: '74957654321' })[0]).toMatchObject({ line: '74957654321' });
  });

  it('NOTIFY_END / NOTIFY_OUT_END: the call is over, under the key of its end leg', () => {
    expect(live(transfer.end)).toEqual([
      {
        kind: 'live',
        callKey: ID,
        state: 'ended',
        direction: 'inbound',
        from: '74951234567',
        to: '205',
        extensions: ['205'],
        line: '74957654321',
        at: at('2026-11-20T07:03:30Z'),
      },
    ]);
    expect(live(cancelled.outEnd)[0]).toMatchObject({
      state: 'ended',
      direction: 'outbound',
      callKey: (parse(cancelled.outEnd)[0] as { callKey: string }).callKey,
    });
    expect(live(missed.end)[0]).toMatchObject({ state: 'ended', extensions: [] });
  });

  it('keys every live moment of a call as its records are keyed', () => {
    const keys = new Set(transfer.inOrder.flatMap((n) => parseAll(n).map((e) => (e.kind === 'dropped' ? null : e.callKey))));
    expect([...keys]).toEqual([ID]);
    expect(live(transfer.record205)).toEqual([]);
    expect(parseAll({ ...transfer.start, event: 'NOTIFY_IVR' })).toEqual([]);
  });
});

describe('Zadarma bodies calltrail refuses (400)', () => {
  it('names each problem with its field', () => {
    expect(problems('')).toEqual([
      'event: expected event to be one of NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_ANSWER, NOTIFY_END, NOTIFY_OUT_START, NOTIFY_OUT_END, NOTIFY_RECORD, NOTIFY_IVR',
    ]);
    expect(problems({ event: 'NOTIFY_SMS' })[0]).toMatch(/^event: expected event to be one of/);
    const { pbx_call_id: _id, ...noId } = transfer.end;
    expect(problems(noId)).toEqual(['pbx_call_id: is required']);
    expect(problems({ ...transfer.end, duration: 'long', is_recorded: 'yes' })).toEqual([
      'duration: expected whole seconds',
      'is_recorded: expected 1 (recorded) or 0 (not recorded)',
    ]);
    expect(problems({ ...transfer.end, disposition: '' })).toEqual(['disposition: expected disposition, got an empty value']);
    expect(problems({ ...transfer.rings100, internal: '' })).toEqual(['internal: expected internal, got an empty value']);
    expect(problems({ ...transfer.record100, call_id_with_rec: '' })).toEqual(['call_id_with_rec: expected call_id_with_rec, got an empty value']);
    expect(problems({ ...transfer.end, call_start: 'soon' })).toEqual(['call_start: expected an ISO 8601 time or unix seconds, got "soon"']);
    expect(problems({ ...cancelled.outEnd, destination: 'x'.repeat(201) })).toEqual(['destination: destination is longer than 200 characters']);
  });
});
