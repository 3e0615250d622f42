/**
 * Twilio callbacks → call events.
 *
 * Legs: a call Twilio answered and the <Dial> legs it placed share the parent's CallSid, so
 * callKey = ParentCallSid ?? CallSid and legKey = CallSid. Only terminal statuses make a leg; the
 * parent's end ends the conversation. A recording belongs to the parent call and covers the
 * whole conversation, so its legKey is WHOLE_CALL, which matches no leg.
 * @module
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { describeIssues } from '../../config/errors';
import type { Direction } from '../../db/schema/conversations';
import type { Disposition } from '../../db/schema/legs';
import type { CallEvent, LegEnded, RecordingReady, RecordingRef } from '../../domain/events';
import { parseInstant } from '../../domain/time';
import { InvalidPayloadError, type ParseContext, type PbxParser } from '../source';
import { legDirection, legExtension, partyNumber, twilioParty } from './parties';
import {
  recordingCallbackSchema,
  statusCallbackSchema,
  TERMINAL_STATUSES,
  type RecordingCallback,
  type StatusCallback,
} from './schema';

/** The legKey of a recording that covers every leg of the call. */
export const WHOLE_CALL = '*';

export type TwilioCallback = 'status' | 'recording';

export const twilioParser: PbxParser = {
  name: 'twilio',
  parse(raw, meta, ctx) {
    const params = Object.fromEntries(new URLSearchParams(raw));
    const callback = callbackOf(meta, params);
    if (callback === 'recording') return recordingEvents(validate(recordingCallbackSchema, params));
    return statusEvents(validate(statusCallbackSchema, params), ctx);
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

function statusEvents(s: StatusCallback, ctx: ParseContext): CallEvent[] {
  const events: CallEvent[] = [];
  if (TERMINAL_STATUSES.has(s.CallStatus)) events.push(legEnded(s, ctx));
  // A call created with Record=true reports its recording on the status callback too.
  if (s.RecordingSid && s.RecordingUrl) {
    events.push(recordingReady(s.ParentCallSid ?? s.CallSid, { key: s.RecordingSid, url: mp3(s.RecordingUrl), status: 'referenced' }));
  }
  return events;
}

function legEnded(s: StatusCallback, ctx: ParseContext): LegEnded {
  const config = ctx.sources.twilio;
  const own = new Set(config.own_numbers);
  const from = twilioParty(s.From, own);
  const to = twilioParty(s.To, own);
  const endedAt = timestamp(s.Timestamp, config.time_zone ?? ctx.timeZone);
  const isParent = s.ParentCallSid === undefined;
  const upSeconds = s.CallDuration === undefined ? 0 : Number(s.CallDuration);
  const upSince = new Date(endedAt.getTime() - upSeconds * 1000);
  const direction = legDirection(from, to, s.Direction);
  // A parent Twilio answered itself is the carrier of the call, not a conversation (see config).
  const carrier = isParent && !config.parent_answer_counts && s.CallStatus === 'completed';
  const answered = s.CallStatus === 'completed' && !carrier;
  return {
    kind: 'leg',
    callKey: s.ParentCallSid ?? s.CallSid,
    legKey: s.CallSid,
    direction,
    from: partyNumber(from),
    to: partyNumber(to),
    extension: legExtension(from, to),
    // Twilio reports no ring time: a leg starts when it was answered, or ends where it starts.
    startedAt: upSince,
    answeredAt: answered ? upSince : null,
    endedAt,
    disposition: carrier ? carrierDisposition(direction) : answered ? 'answered' : DISPOSITIONS[s.CallStatus] ?? 'no_answer',
    talkSeconds: answered ? upSeconds : null,
    final: isParent,
    recorded: config.expect_recordings ? null : false,
    recording: null,
  };
}

const DISPOSITIONS: Partial<Record<StatusCallback['CallStatus'], Disposition>> = { busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' };

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
