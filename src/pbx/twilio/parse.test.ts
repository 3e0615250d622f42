import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import * as browser from './fixtures/outbound-from-browser';
import * as inbound from './fixtures/inbound-transfer';
import * as api from './fixtures/outbound-api';
import { twilioParser, WHOLE_CALL } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const parseAll = (params: Record<string, string>, callback?: 'status' | 'recording', context: ParseContext = ctx) =>
  twilioParser.parse(form(params), callback ? { callback } : {}, context);
/** The events that make the conversation (live moments aside: live.test.ts). */
const parse = (params: Record<string, string>, callback?: 'status' | 'recording', context: ParseContext = ctx) =>
  parseAll(params, callback, context).filter((e) => e.kind !== 'live');
const problems = (params: Record<string, string>, callback: 'status' | 'recording' = 'status') => problemsOf(() => parse(params, callback));
const withSources = (twilio: Record<string, unknown>): ParseContext => ({ ...ctx, sources: sourcesConfigSchema.parse({ twilio }) });

describe('twilio status callbacks', () => {
  it('turns an answered <Dial> leg into a leg of the parent call, the agent as its extension', () => {
    expect(parse(inbound.aliceCompleted, 'status')).toEqual([
      {
        kind: 'leg',
        callKey: inbound.PARENT_SID,
        legKey: inbound.ALICE_SID,
        direction: 'inbound',
        from: '+74951234567',
        to: null,
        extension: 'alice',
        line: null,
        startedAt: new Date('2026-11-20T07:00:10Z'),
        answeredAt: new Date('2026-11-20T07:00:10Z'),
        endedAt: new Date('2026-11-20T07:01:10Z'),
        disposition: 'answered',
        talkSeconds: 60,
        final: false,
        recorded: null,
        recording: null,
      },
    ]);
  });

  it('reads a SIP user as the extension and an unanswered leg as not answered', () => {
    expect(parse(inbound.sipCompleted)[0]).toMatchObject({ extension: '102', to: null, direction: 'inbound', talkSeconds: 120 });
    expect(parse(inbound.bobNoAnswer)[0]).toMatchObject({
      extension: 'bob',
      disposition: 'no_answer',
      answeredAt: null,
      talkSeconds: null,
      startedAt: new Date('2026-11-20T07:00:10Z'),
      endedAt: new Date('2026-11-20T07:00:10Z'),
    });
  });

  it('ends the conversation with the parent leg, which by default is the carrier, not the conversation', () => {
    const [parent] = parse(inbound.parentCompleted);
    expect(parent).toMatchObject({
      callKey: inbound.PARENT_SID,
      legKey: inbound.PARENT_SID,
      final: true,
      direction: 'inbound',
      from: '+74951234567',
      to: '+74993334455',
      extension: null,
      startedAt: new Date('2026-11-20T07:00:05Z'),
      answeredAt: null,
      disposition: 'no_answer',
      talkSeconds: null,
    });
    expect(parse(inbound.parentCompleted, 'status', withSources({ parent_answer_counts: true }))[0]).toMatchObject({
      disposition: 'answered',
      answeredAt: new Date('2026-11-20T07:00:05Z'),
      talkSeconds: 190,
    });
  });

  it('maps every terminal status and ignores progress reports', () => {
    const status = (CallStatus: string) => parse({ ...inbound.aliceCompleted, CallStatus })[0];
    expect(status('busy')).toMatchObject({ disposition: 'busy', answeredAt: null });
    expect(status('failed')).toMatchObject({ disposition: 'failed' });
    expect(status('no-answer')).toMatchObject({ disposition: 'no_answer' });
    expect(status('canceled')).toMatchObject({ disposition: 'no_answer' });
    for (const progress of ['queued', 'initiated', 'ringing', 'in-progress']) expect(parse({ ...inbound.parentRinging, CallStatus: progress })).toEqual([]);
  });

  it('says recorded: false when the account never records', () => {
    expect(parse(inbound.aliceCompleted, 'status', withSources({ expect_recordings: false }))[0]).toMatchObject({ recorded: false });
  });

  it('takes an outbound call from the browser: the agent calls, the customer is on the <Dial> leg', () => {
    const own = withSources({ own_numbers: ['+74993334455'] });
    expect(parse(browser.parentCompleted, 'status', own)[0]).toMatchObject({
      direction: 'outbound',
      from: null,
      to: null, // the TwiML app sid in To names nobody
      extension: 'alice',
      final: true,
      // The carrier of the agent's own call must not make a busy callee look missed.
      disposition: 'failed',
    });
    expect(parse(browser.dialBusy, 'status', own)[0]).toMatchObject({
      direction: 'outbound',
      from: '+74993334455',
      to: '+14155550100',
      disposition: 'busy',
      final: false,
    });
    // Without own_numbers a <Dial> leg between two numbers leaves the direction to the parent.
    expect(parse(browser.dialBusy)[0]).toMatchObject({ direction: null });
  });

  it('a call recorded with Record=true reports its recording on the status callback', () => {
    const events = parse({ ...inbound.parentCompleted, RecordingSid: inbound.RECORDING_SID, RecordingUrl: inbound.recordingCompleted.RecordingUrl });
    expect(events[1]).toEqual({
      kind: 'recording',
      callKey: inbound.PARENT_SID,
      legKey: WHOLE_CALL,
      recording: { key: inbound.RECORDING_SID, url: `${inbound.recordingCompleted.RecordingUrl}.mp3`, status: 'referenced' },
    });
  });

  it('withheld caller IDs become "anonymous", never a foreign number', () => {
    expect(parse({ ...inbound.parentCompleted, From: '+266696687' })[0]).toMatchObject({ from: 'anonymous' });
    expect(parse({ ...inbound.parentCompleted, From: 'Anonymous' })[0]).toMatchObject({ from: 'anonymous' });
  });
});

describe('twilio outcomes as Twilio meant them', () => {
  it('an outbound-api call answered by a person is answered, with CallDuration as its talk time', () => {
    for (const context of [ctx, withSources({ own_numbers: ['+74993334455'] })]) {
      expect(parse(api.answered, 'status', context)).toEqual([
        {
          kind: 'leg',
          callKey: api.CALL_SID,
          legKey: api.CALL_SID,
          direction: 'outbound',
          from: '+74993334455',
          to: '+79161234567',
          extension: null,
          // The number the call showed: our line.
          line: '+74993334455',
          startedAt: new Date('2026-11-20T10:00:00Z'),
          answeredAt: new Date('2026-11-20T10:00:00Z'),
          endedAt: new Date('2026-11-20T10:00:42Z'),
          disposition: 'answered',
          talkSeconds: 42,
          final: true,
          recorded: null,
          recording: null,
        },
      ]);
    }
  });

  it('reads AnsweredBy: a machine or a fax reached no one; a person, or no verdict, answered', () => {
    const by = (AnsweredBy: string) => parse({ ...api.answered, AnsweredBy })[0];
    for (const machine of ['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'machine', 'fax']) {
      expect(by(machine), machine).toMatchObject({ disposition: 'no_answer', answeredAt: null, talkSeconds: null });
    }
    for (const person of ['human', 'unknown']) expect(by(person), person).toMatchObject({ disposition: 'answered', talkSeconds: 42 });
    expect(parse(api.voicemail)[0]).toMatchObject({ disposition: 'no_answer', direction: 'outbound', to: '+79161234567' });
    // On a <Dial><Number machineDetection> leg as well.
    expect(parse({ ...inbound.aliceCompleted, AnsweredBy: 'machine_start' })[0]).toMatchObject({ disposition: 'no_answer' });
  });

  it('a click-to-call that rings the agent first carries the call; the customer leg decides', () => {
    expect(parse(api.clickToCallAgent)[0]).toMatchObject({ extension: 'alice', direction: 'outbound', disposition: 'failed', talkSeconds: null, final: true });
    // Between two numbers the <Dial> leg leaves the direction to its parent, unless own_numbers say it.
    expect(parse(api.clickToCallCustomer)[0]).toMatchObject({ direction: null, to: '+79161234567', disposition: 'answered', talkSeconds: 60, final: false });
    const own = withSources({ own_numbers: ['+74993334455'] });
    expect(parse(api.clickToCallCustomer, 'status', own)[0]).toMatchObject({ direction: 'outbound', from: '+74993334455' });
    expect(parse(api.clickToCallAgent, 'status', withSources({ parent_answer_counts: true }))[0]).toMatchObject({ disposition: 'answered', talkSeconds: 70 });
  });

  it('reads Elastic SIP Trunking as Twilio defines it: originating comes in, terminating goes out', () => {
    expect(parse(api.trunkInbound)[0]).toMatchObject({ direction: 'inbound', from: '+79161234567', disposition: 'answered', talkSeconds: 42 });
    expect(parse(api.trunkOutbound)[0]).toMatchObject({ direction: 'outbound', to: '+79161234567', disposition: 'answered', talkSeconds: 42 });
  });

  it('maps every Direction and CallStatus of a parent call', () => {
    const expected: Record<string, Record<string, string | null>> = {
      // Twilio answered an inbound parent itself (TwiML): a carrier, never "answered" on its own.
      inbound: { completed: 'no_answer', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' },
      'outbound-api': { completed: 'answered', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' },
      'trunking-originating': { completed: 'answered', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' },
      'trunking-terminating': { completed: 'answered', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' },
    };
    for (const [Direction, statuses] of Object.entries(expected)) {
      for (const [CallStatus, disposition] of Object.entries(statuses)) {
        const CallDuration = CallStatus === 'completed' ? '42' : '0';
        const [leg] = parse({ ...api.answered, Direction, CallStatus, CallDuration });
        expect(leg, `${Direction} ${CallStatus}`).toMatchObject({ disposition, talkSeconds: disposition === 'answered' ? 42 : null });
      }
      for (const CallStatus of ['queued', 'initiated', 'ringing', 'in-progress']) expect(parse({ ...api.answered, Direction, CallStatus })).toEqual([]);
    }
  });
});

describe('twilio recording callbacks', () => {
  it('links a completed recording as MP3, covering the whole call', () => {
    expect(parse(inbound.recordingCompleted, 'recording')).toEqual([
      {
        kind: 'recording',
        callKey: inbound.PARENT_SID,
        legKey: WHOLE_CALL,
        recording: { key: inbound.RECORDING_SID, url: `${inbound.recordingCompleted.RecordingUrl}.mp3`, status: 'referenced' },
      },
    ]);
  });

  it('records absent and failed recordings so the call is not waited for, and skips in-progress', () => {
    expect(parse(browser.recordingAbsent, 'recording')[0]).toMatchObject({ recording: { url: null, status: 'absent' } });
    expect(parse({ ...browser.recordingAbsent, RecordingStatus: 'failed' }, 'recording')[0]).toMatchObject({ recording: { status: 'failed' } });
    expect(parse(inbound.recordingInProgress, 'recording')).toEqual([]);
  });

  it('tells the callbacks apart by their fields when replayed without meta', () => {
    expect(parse(inbound.recordingCompleted)[0]).toMatchObject({ kind: 'recording' });
    expect(parse(inbound.aliceCompleted)[0]).toMatchObject({ kind: 'leg' });
  });
});

describe('twilio bodies that are not Twilio callbacks', () => {
  it('names each problem with its parameter', () => {
    expect(problems({})).toEqual([
      'AccountSid: is required',
      'CallSid: is required',
      'CallStatus: is required',
      'Direction: is required',
      'Timestamp: is required',
    ]);
    expect(problems({ ...inbound.aliceCompleted, CallSid: 'CA123', CallStatus: 'hung-up' })).toEqual([
      'CallSid: expected a call sid (CA and 32 hex digits)',
      'CallStatus: expected one of queued, initiated, ringing, in-progress, completed, busy, failed, no-answer, canceled',
    ]);
    expect(problems({ ...inbound.aliceCompleted, CallDuration: '1.5' })).toEqual(['CallDuration: expected whole seconds']);
    expect(problems({ ...inbound.aliceCompleted, Timestamp: 'yesterday' })).toEqual([
      'Timestamp: expected an RFC 2822 time such as "Tue, 24 Nov 2026 10:03:05 +0000", got "yesterday"',
    ]);
    const { RecordingUrl: _url, ...withoutUrl } = inbound.recordingCompleted;
    expect(problems(withoutUrl, 'recording')).toEqual(['RecordingUrl: a completed recording needs its RecordingUrl']);
    expect(problems({ ...inbound.recordingCompleted, RecordingUrl: 'http://api.twilio.com/x' }, 'recording')).toEqual(['RecordingUrl: expected an https URL']);
  });
});
