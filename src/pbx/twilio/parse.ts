/**
 * Twilio callbacks → call events.
 *
 * Legs: a call Twilio answered and the <Dial> legs it placed share the parent's CallSid, so
 * callKey = ParentCallSid ?? CallSid and legKey = CallSid. Only terminal statuses make a leg; the
 * parent's end ends the conversation. A recording belongs to the parent call and covers the
 * whole conversation, so its legKey is WHOLE_CALL, which matches no leg. Progress statuses
 * (initiated, ringing, in-progress) and the parent's end are live moments (see liveMoment).
 * @module
 */
import { DateTime } from 'luxon';
import type * as z from 'zod';
import { describeIssues } from '../../config/errors';
import type { Direction } from '../../domain/call';
import type { Disposition } from '../../domain/call';
import type { CallEvent, LegEnded, LiveMoment, RecordingReady, RecordingRef } from '../../domain/events';
import { parseInstant } from '../../domain/time';
import { InvalidPayloadError, type ParseContext, type PbxParser } from '../core/parse';
import type { TwilioConfig } from './config';
import { legDirection, legExtension, partyNumber, twilioParty, type TwilioDirection, type TwilioParty } from './parties';
import { ANSWERED_BY_MACHINE, recordingCallbackSchema, statusCallbackSchema, TERMINAL_STATUSES, type RecordingCallback, type StatusCallback } from './schema';

/** The legKey of a recording that covers every leg of the call. */
export const WHOLE_CALL = '*';

export type TwilioCallback = 'status' | 'recording';

/** What the Twilio parser reads of the deployment. */
type TwilioContext = ParseContext<{ twilio: TwilioConfig }>;

export const twilioParser: PbxParser<{ twilio: TwilioConfig }> = {
  name: 'twilio',
  parse(raw, meta, ctx) {
    const params = Object.fromEntries(new URLSearchParams(raw));
    const callback = callbackOf(meta, params);
    if (callback === 'recording') return recordingEvents(validate(recordingCallbackSchema, params));
    const status = validate(statusCallbackSchema, params);
    const events = statusEvents(status, ctx);
    // A call read back from the Calls list (meta.origin) is long over: nothing is live.
    const moment = meta.origin ? null : liveMoment(status, ctx);
    return moment ? [...events, moment] : events;
  },
};

/** The route says which callback it is; a body replayed without meta says it by its fields. */
function callbackOf(meta: Record<string, string>, params: Record<string, string>): TwilioCallback {
  if (meta.callback === 'status' || meta.callback === 'recording') return meta.callback;
  return params.CallStatus === undefined && params.RecordingStatus !== undefined ? 'recording' : 'status';
}

function validate<T extends z.ZodType>(schema: T, params: Record<string, string>): z.output<T> {
  const result = schema.safeParse(params);
  if (!result.success) throw new InvalidPayloadError(describeIssues(result.error as z.ZodError, 'body'));
  return result.data;
}

function statusEvents(s: StatusCallback, ctx: TwilioContext): CallEvent[] {
  const events: CallEvent[] = [];
  if (TERMINAL_STATUSES.has(s.CallStatus)) events.push(legEnded(s, ctx));
  // A call created with Record=true reports its recording on the status callback too.
  if (s.RecordingSid && s.RecordingUrl) {
    events.push(recordingReady(s.ParentCallSid ?? s.CallSid, { key: s.RecordingSid, url: mp3(s.RecordingUrl), status: 'referenced' }));
  }
  return events;
}

function legEnded(s: StatusCallback, ctx: TwilioContext): LegEnded {
  const config = ctx.sources.twilio;
  const own = new Set(config.own_numbers);
  const from = twilioParty(s.From, own);
  const to = twilioParty(s.To, own);
  const endedAt = timestamp(s.Timestamp, config.time_zone ?? ctx.timeZone);
  const isParent = s.ParentCallSid === undefined;
  // CallDuration is Twilio's own measure of the time the leg was up: the talk time.
  const upSeconds = s.CallDuration === undefined ? 0 : Number(s.CallDuration);
  const upSince = new Date(endedAt.getTime() - upSeconds * 1000);
  const direction = legDirection(from, to, s.Direction);
  const outcome = legOutcome(s, to, isParent && !config.parent_answer_counts);
  const answered = outcome === 'answered';
  return {
    kind: 'leg',
    callKey: s.ParentCallSid ?? s.CallSid,
    legKey: s.CallSid,
    direction,
    from: partyNumber(from),
    to: partyNumber(to),
    extension: legExtension(from, to),
    line: ourLine(from, to, direction),
    // Twilio reports no ring time: a leg starts when it was answered, or ends where it starts.
    startedAt: upSince,
    answeredAt: answered ? upSince : null,
    endedAt,
    disposition: outcome === 'carrier' ? carrierDisposition(direction) : outcome,
    talkSeconds: answered ? upSeconds : null,
    final: isParent,
    recorded: config.expect_recordings ? null : false,
    recording: null,
  };
}

/**
 * The call as it happens, keyed as its legs are (ParentCallSid, else CallSid): `ringing` (and
 * `initiated`, an outgoing call being placed) rings — the agent being rung, or the agent calling;
 * none while Twilio runs your TwiML —, `in-progress` is answered, and the parent call's end ends
 * it (a <Dial> leg ending is one phone less, not the end). A parent `inbound` call Twilio answers
 * itself to run TwiML is no one answering (config parent_answer_counts): not shown as answered.
 */
function liveMoment(s: StatusCallback, ctx: TwilioContext): LiveMoment | null {
  const config = ctx.sources.twilio;
  const isParent = s.ParentCallSid === undefined;
  const state = liveState(s, isParent);
  if (!state) return null;
  const own = new Set(config.own_numbers);
  const from = twilioParty(s.From, own);
  const to = twilioParty(s.To, own);
  if (state === 'answered' && isParent && !config.parent_answer_counts && isCarrier(s.Direction, to)) return null;
  const direction = legDirection(from, to, s.Direction);
  const agent = legExtension(from, to);
  return {
    kind: 'live',
    callKey: s.ParentCallSid ?? s.CallSid,
    state,
    direction,
    from: partyNumber(from),
    to: partyNumber(to),
    extensions: agent ? [agent] : [],
    line: ourLine(from, to, direction),
    at: timestamp(s.Timestamp, config.time_zone ?? ctx.timeZone),
  };
}

function liveState(s: StatusCallback, isParent: boolean): LiveMoment['state'] | null {
  if (s.CallStatus === 'ringing') return 'ringing';
  if (s.CallStatus === 'initiated') return s.Direction === 'inbound' ? null : 'ringing';
  if (s.CallStatus === 'in-progress') return 'answered';
  return TERMINAL_STATUSES.has(s.CallStatus) && isParent ? 'ended' : null;
}

/** Our Twilio number on the leg: the one an inbound call dialled, the one an outbound call showed. */
function ourLine(from: TwilioParty, to: TwilioParty, direction: Direction | null): string | null {
  const ours = direction === 'outbound' ? from : to;
  return ours.kind === 'phone' ? ours.number : null;
}

const DISPOSITIONS: Partial<Record<StatusCallback['CallStatus'], Disposition>> = {
  busy: 'busy',
  failed: 'failed',
  'no-answer': 'no_answer',
  canceled: 'no_answer',
};

/**
 * What a terminal status says about the person on the leg. `completed` means Twilio connected the
 * leg and audio flowed (a person, a voicemail, an IVR): the person answered, unless answering
 * machine detection heard a machine or a fax — then the call reached no one — or the leg is a
 * carrier (see isCarrier). busy → busy; no-answer (or rejected) and canceled (hung up by the API
 * while ringing) → not answered; failed (could not be placed) → failed.
 */
function legOutcome(s: StatusCallback, to: TwilioParty, mayCarry: boolean): Disposition | 'carrier' {
  if (s.CallStatus !== 'completed') return DISPOSITIONS[s.CallStatus] ?? 'no_answer';
  if (mayCarry && isCarrier(s.Direction, to)) return 'carrier';
  if (s.AnsweredBy !== undefined && ANSWERED_BY_MACHINE.test(s.AnsweredBy)) return 'no_answer';
  return 'answered';
}

/**
 * A parent call that carries the conversation without being it (config parent_answer_counts:
 * false): an `inbound` call Twilio answered itself to run your TwiML, whose people are on its
 * <Dial> legs; and a Calls API call that rang your own agent first (click-to-call: the agent's
 * answer is not the customer's, who is on the <Dial> leg). A Calls API call to anyone else
 * (`outbound-api` to a phone number) is the conversation: its callee's answer counts. Trunking
 * calls never ran TwiML: the far end answered them.
 */
function isCarrier(direction: TwilioDirection, to: TwilioParty): boolean {
  if (direction === 'inbound') return true;
  return direction === 'outbound-api' && to.kind === 'agent';
}

/**
 * The outcome of a conversation is its best leg's (answered > no_answer > busy > failed). A carrier
 * leg must not outvote its <Dial> legs: an outside caller nobody answered is a missed call, but the
 * carrier of an agent's own outbound call says nothing, so the dialled customer's busy shows.
 */
function carrierDisposition(direction: Direction | null): Disposition {
  return direction === 'inbound' ? 'no_answer' : 'failed';
}

function recordingEvents(r: RecordingCallback): CallEvent[] {
  // Still recording: nothing to point at yet; the completed callback follows.
  if (r.RecordingStatus === 'in-progress') return [];
  if (r.RecordingStatus === 'completed' && r.RecordingUrl) {
    return [recordingReady(r.CallSid, { key: r.RecordingSid, url: mp3(r.RecordingUrl), status: 'referenced' })];
  }
  // absent (too short or silent) and failed are final answers: the call must not wait for them.
  return [recordingReady(r.CallSid, { key: r.RecordingSid, url: null, status: r.RecordingStatus === 'absent' ? 'absent' : 'failed' })];
}

function recordingReady(callKey: string, recording: RecordingRef): RecordingReady {
  return { kind: 'recording', callKey, legKey: WHOLE_CALL, recording };
}

/** RecordingUrl names the media without an extension; ".mp3" asks Twilio for the MP3 a CRM player plays. */
function mp3(url: string): string {
  return /\.(mp3|wav)(\?|$)/i.test(url) ? url : `${url}.mp3`;
}

/** RFC 2822 as Twilio sends it; ISO 8601 or unix seconds from a replay tool, read like any other source. */
function timestamp(value: string, timeZone: string): Date {
  const rfc = DateTime.fromRFC2822(value.trim());
  const parsed = rfc.isValid ? { ok: true as const, value: rfc.toJSDate() } : parseInstant(value, timeZone);
  if (!parsed.ok || parsed.value.getTime() < Date.UTC(2000, 0, 1) || parsed.value.getTime() > Date.UTC(2100, 0, 1)) {
    throw new InvalidPayloadError([`Timestamp: expected an RFC 2822 time such as "Tue, 24 Nov 2026 10:03:05 +0000", got "${value}"`]);
  }
  return parsed.value;
}
