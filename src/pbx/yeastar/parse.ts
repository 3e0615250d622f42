/**
 * Yeastar end-of-call reports → call events.
 *
 * Yeastar writes one CDR per call segment: a transferred call gives several reports sharing the
 * call id (callid / call_id), one per party the caller talked to. So callKey = the call id and
 * each report is a leg, keyed by P-Series' uid, else by what tells S-Series segments apart
 * (start, caller, callee). No report says "this was the last one": every leg is marked final and
 * the conversation can only settle after SETTLE_SECONDS of quiet (see README, "What it cannot do").
 * The recording, when there is one, is named in the same report and covers that segment.
 * Call-state reports (P-Series 30011, S-Series RING/ANSWER/BYE…) are live moments (live.ts).
 * @module
 */
import type * as z from 'zod';
import { describeIssues } from '../../config/errors';
import type { CallEvent, LegEnded } from '../../domain/events';
import { parseInstant } from '../../domain/time';
import { sha256Hex } from '../../lib/crypto';
import { InvalidPayloadError, type ParseContext, type PbxParser } from '../core/parse';
import type { YeastarConfig } from './config';
import { callStateMoment, isCallStateEvent, P_SERIES_CALL_STATE, readCallState, reportTime } from './live';
import { isRecordingFileName, recordingLocation } from './recording';
import { callDetailsSchema, newCdrSchema, P_SERIES_NEW_CDR, type YeastarCdr } from './schema';

export const yeastarParser: PbxParser<{ yeastar: YeastarConfig }> = {
  name: 'yeastar',
  parse(raw, _meta, ctx) {
    const body = json(raw, 'body');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidPayloadError(['body: expected a JSON object (a NewCdr report or a P-Series event)']);
    }
    const report = body as Record<string, unknown>;
    const event = report.event ?? report.action;
    if (typeof event === 'string') {
      if (event === 'NewCdr') return [legEnded(validate(newCdrSchema, report, ''), ctx, S_SERIES)];
      // Ringing, answer, hang-up: the call live. Other reports may share the URL: kept, nothing to record.
      return isCallStateEvent(event) ? liveOf(report, event) : [];
    }
    const type = Number(report.type);
    if (Number.isInteger(type) && 'msg' in report) {
      if (type !== P_SERIES_NEW_CDR && type !== P_SERIES_CALL_STATE) return [];
      // P-Series sends the call details as a JSON string inside the JSON ("parse twice").
      const details = typeof report.msg === 'string' ? json(report.msg, 'msg') : report.msg;
      if (type === P_SERIES_CALL_STATE) return liveOf(typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {}, null);
      return [legEnded(validate(callDetailsSchema, details, 'msg.'), ctx, P_SERIES)];
    }
    throw new InvalidPayloadError(['body: expected "event": "NewCdr" (S-Series, Cloud PBX) or "type": 30012 with "msg" (P-Series)']);
  },
};

/**
 * A call-state report → its live moment; none when it says no state calltrail shows, or cannot be
 * tied to a call (no call id) or dated (see reportTime): kept, like the reports calltrail does not read.
 */
function liveOf(report: Record<string, unknown>, event: string | null): CallEvent[] {
  const state = readCallState(report, event);
  const at = state ? reportTime(report, state.callId) : null;
  if (!state || !at) return [];
  const moment = callStateMoment(state, at);
  return moment ? [moment] : [];
}

function json(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidPayloadError([`${where}: is not valid JSON: ${(error as Error).message}`]);
  }
}

function validate<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidPayloadError(describeIssues(result.error as z.ZodError, 'body').map((p) => prefix + p));
  return result.data;
}

/** Field names for messages, in each dialect's spelling. */
const S_SERIES = { start: 'timestart', talk: 'talkduraction', call: 'callduraction', recording: 'recording' };
const P_SERIES = { start: 'msg.time_start', talk: 'msg.talk_duration', call: 'msg.call_duration', recording: 'msg.recording' };

function legEnded(cdr: YeastarCdr, ctx: ParseContext<{ yeastar: YeastarConfig }>, field: typeof S_SERIES): CallEvent {
  const config = ctx.sources.yeastar;
  const start = parseInstant(cdr.timeStart, config.time_zone ?? ctx.timeZone);
  const problems: string[] = [];
  if (!start.ok) problems.push(`${field.start}: ${start.message}`);
  if (cdr.talkDuration > cdr.callDuration) problems.push(`${field.talk}: is longer than ${field.call}`);
  if (cdr.recording !== null && !isRecordingFileName(cdr.recording)) problems.push(`${field.recording}: expected a file name`);
  if (!start.ok || problems.length) throw new InvalidPayloadError(problems);

  const startedAt = start.value;
  const endedAt = new Date(startedAt.getTime() + cdr.callDuration * 1000);
  const answered = cdr.disposition === 'answered';
  const leg: LegEnded = {
    kind: 'leg',
    callKey: cdr.callId,
    legKey: cdr.uid ?? `cdr-${sha256Hex(JSON.stringify([cdr.timeStart, cdr.from, cdr.to])).slice(0, 16)}`,
    // Yeastar says which way the call went: its type decides, whatever the numbers look like.
    direction: cdr.type,
    directionRule: cdr.type ? `Yeastar type ${cdr.type[0]?.toUpperCase()}${cdr.type.slice(1)}` : null,
    from: cdr.from,
    to: cdr.to,
    // Left to the numbers: Yeastar's callee may be a ring group or queue, not the agent.
    extension: null,
    line: cdr.did,
    startedAt,
    answeredAt: answered ? new Date(endedAt.getTime() - cdr.talkDuration * 1000) : null,
    endedAt,
    disposition: cdr.disposition,
    talkSeconds: answered ? cdr.talkDuration : null,
    final: true,
    // The report names its recording or has none: nothing is to be waited for.
    recorded: cdr.recording !== null,
    recording: cdr.recording === null ? null : recordingRef(cdr.recording, cdr.callId, config.recording_url),
  };
  return leg;
}

function recordingRef(file: string, callId: string, template: string | undefined): LegEnded['recording'] {
  if (template) return { key: file, url: recordingLocation(template, file, callId), status: 'referenced' };
  // No location configured: the file is known by name only, for a resolver that asks the PBX's API.
  return { key: file, url: null, status: 'referenced', vendorRef: file };
}
