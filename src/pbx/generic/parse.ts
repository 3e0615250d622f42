/**
 * Generic webhook body → call events: `call.ended` and `recording.ready` make the conversation;
 * `call.ringing` and `call.answered` are live moments (the screen pop, the live view) under the
 * same call_id, which never make or change it.
 * @module
 */
import type * as z from 'zod';
import { describeIssues } from '../../config/errors';
import type { CallEvent, LiveMoment, RecordingRef } from '../../domain/events';
import { parseInstant } from '../../domain/time';
import { InvalidPayloadError, readJsonBody, type ParseContext, type PbxParser } from '../core/parse';
import { genericBatchSchema, genericEventSchema, type GenericEvent } from './schema';

export const genericParser: PbxParser = {
  name: 'generic',
  parse(raw, _meta, ctx) {
    const json = readJsonBody(raw);
    const batch = Array.isArray(json);
    const result = batch ? genericBatchSchema.safeParse(json) : genericEventSchema.safeParse(json);
    if (!result.success) throw new InvalidPayloadError(describeIssues(result.error as z.ZodError, 'body'));
    const events = (batch ? result.data : [result.data]) as GenericEvent[];
    const problems: string[] = [];
    const out = events.map((event, i) => toCallEvent(event, batch ? `[${i}].` : '', ctx, problems));
    if (problems.length) throw new InvalidPayloadError(problems);
    return out.filter((e): e is CallEvent => e !== null);
  },
};

function toCallEvent(event: GenericEvent, at: string, ctx: ParseContext, problems: string[]): CallEvent | null {
  if (event.type === 'call.ringing' || event.type === 'call.answered') return liveMoment(event, at, ctx, problems);
  const legKey = event.leg_id ?? event.call_id;
  if (event.type === 'recording.ready') {
    return { kind: 'recording', callKey: event.call_id, legKey, recording: recordingRef(event.recording, legKey) };
  }
  const time = (field: 'started_at' | 'answered_at' | 'ended_at', value: unknown): Date | null => {
    if (value === null || value === undefined) return null;
    const parsed = parseInstant(value, ctx.timeZone);
    if (!parsed.ok) problems.push(`${at}${field}: ${parsed.message}`);
    return parsed.ok ? parsed.value : null;
  };
  const startedAt = time('started_at', event.started_at);
  const answeredAt = time('answered_at', event.answered_at);
  const endedAt = time('ended_at', event.ended_at);
  if (!startedAt || !endedAt) return null;
  if (endedAt < startedAt) problems.push(`${at}ended_at: is before started_at`);
  if (answeredAt && (answeredAt < startedAt || answeredAt > endedAt)) {
    problems.push(`${at}answered_at: is outside started_at…ended_at`);
  }
  const disposition = event.disposition ?? (answeredAt ? 'answered' : 'no_answer');
  // An answered call needs its answer time, or the talk time the PBX measured instead.
  if (disposition === 'answered' && event.answered_at == null && event.talk_seconds == null) {
    problems.push(`${at}answered_at: is required when disposition is "answered" (or give talk_seconds)`);
  }
  return {
    kind: 'leg',
    callKey: event.call_id,
    legKey,
    direction: event.direction ?? null,
    from: event.from ?? null,
    to: event.to ?? null,
    extension: event.extension ?? null,
    line: event.line ?? null,
    startedAt,
    answeredAt: disposition === 'answered' ? answeredAt : null,
    endedAt,
    disposition,
    talkSeconds: event.talk_seconds ?? null,
    // The leg that carries the conversation's own id ends the conversation, unless told otherwise.
    final: event.final ?? legKey === event.call_id,
    recorded: event.recorded ?? null,
    recording: event.recording ? recordingRef(event.recording, legKey) : null,
  };
}

type LiveEvent = Extract<GenericEvent, { type: 'call.ringing' | 'call.answered' }>;

/** call.ringing / call.answered → a live moment: shown live, never a leg of the conversation. */
function liveMoment(event: LiveEvent, at: string, ctx: ParseContext, problems: string[]): LiveMoment | null {
  const ringing = event.type === 'call.ringing';
  const [field, value] = event.at !== undefined ? ['at', event.at] : ringing ? ['started_at', event.started_at] : ['answered_at', event.answered_at];
  if (value === undefined) {
    problems.push(`${at}at: is required (when it ${ringing ? 'started ringing' : 'was answered'}; or give ${ringing ? 'started_at' : 'answered_at'})`);
    return null;
  }
  const parsed = parseInstant(value, ctx.timeZone);
  if (!parsed.ok) {
    problems.push(`${at}${field}: ${parsed.message}`);
    return null;
  }
  const extensions = ringing ? [...new Set(event.extensions)] : event.extension ? [event.extension] : [];
  return {
    kind: 'live',
    callKey: event.call_id,
    state: ringing ? 'ringing' : 'answered',
    direction: event.direction ?? null,
    from: event.from ?? null,
    to: event.to ?? null,
    extensions,
    line: event.line ?? null,
    at: parsed.value,
  };
}

function recordingRef(r: NonNullable<Extract<GenericEvent, { type: 'call.ended' }>['recording']>, legKey: string): RecordingRef {
  return {
    key: r.id ?? r.url ?? `${legKey}:${r.status}`,
    url: r.url ?? null,
    status: r.status === 'ready' ? 'referenced' : r.status,
  };
}
