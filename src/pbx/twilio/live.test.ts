import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import * as captured from './fixtures/captured-ringing';
import * as api from './fixtures/outbound-api';
import * as inbound from './fixtures/inbound-transfer';
import { twilioParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const parse = (raw: string, meta: Record<string, string> = { callback: 'status' }, context: ParseContext = ctx) => twilioParser.parse(raw, meta, context);
const live = (params: Record<string, string>, context: ParseContext = ctx) =>
  parse(form(params), { callback: 'status' }, context).filter((e) => e.kind === 'live');

describe('Twilio status callbacks as the call happens → live moments', () => {
  it('reads a real ringing request: a browser client calling out, keyed by its CallSid', () => {
    expect(parse(captured.asStatusCallback)).toEqual([
      {
        kind: 'live',
        callKey: 'CA2d4f6f887f3d24b5fdb945ff88ef8e41',
        state: 'ringing',
        direction: 'outbound',
        from: null,
        to: null,
        extensions: ['joey_ramone'],
        line: null,
        at: new Date('2014-03-22T09:25:48Z'),
      },
    ]);
    // As published (the voice URL's request) it has no Timestamp: not a status callback.
    expect(problemsOf(() => parse(captured.requestVariables))).toEqual(['Timestamp: is required']);
  });

  it('an inbound call rings at Twilio (nobody yet), then the parent call ends it', () => {
    expect(live(inbound.parentRinging)).toEqual([
      {
        kind: 'live',
        callKey: inbound.PARENT_SID,
        state: 'ringing',
        direction: 'inbound',
        from: '+74951234567',
        to: '+74993334455',
        extensions: [],
        line: '+74993334455',
        at: new Date('2026-11-20T07:00:05Z'),
      },
    ]);
    expect(live(inbound.parentCompleted)).toEqual([expect.objectContaining({ callKey: inbound.PARENT_SID, state: 'ended', direction: 'inbound' })]);
  });

  it('a <Dial> leg rings and is answered under the parent CallSid; its own end is no end of the call', () => {
    const ringing = { ...inbound.aliceCompleted, CallStatus: 'ringing', CallDuration: '' };
    const answered = { ...inbound.aliceCompleted, CallStatus: 'in-progress', CallDuration: '' };
    expect(live(ringing)).toEqual([expect.objectContaining({ callKey: inbound.PARENT_SID, state: 'ringing', extensions: ['alice'] })]);
    expect(live(answered)).toEqual([expect.objectContaining({ callKey: inbound.PARENT_SID, state: 'answered', extensions: ['alice'] })]);
    expect(live(inbound.aliceCompleted)).toEqual([]);
    expect(live(inbound.bobNoAnswer)).toEqual([]);
  });

  it('a parent inbound call Twilio answers to run TwiML is nobody answering, unless parent_answer_counts says so', () => {
    const twiml = { ...inbound.parentRinging, CallStatus: 'in-progress' };
    expect(live(twiml)).toEqual([]);
    const counts: ParseContext = { timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({ twilio: { parent_answer_counts: true } }) };
    expect(live(twiml, counts)).toEqual([expect.objectContaining({ state: 'answered' })]);
  });

  it('a Calls API call being placed (initiated) rings out', () => {
    const initiated = { ...api.answered, CallStatus: 'initiated', CallDuration: '' };
    expect(live(initiated)).toEqual([expect.objectContaining({ callKey: api.CALL_SID, state: 'ringing', direction: 'outbound' })]);
    expect(live({ ...initiated, CallStatus: 'queued' })).toEqual([]);
  });

  it('gives nothing live for a call read back from the Calls list', () => {
    expect(parse(form(inbound.parentCompleted), { callback: 'status', origin: 'calls-list' }).map((e) => e.kind)).toEqual(['leg']);
  });
});
