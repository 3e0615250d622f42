/**
 * Mango Office notifications → call events. The path a body came to (`meta.event`: call,
 * summary or recording) says what it is; a call notification also carries, in `meta.timeline`,
 * the other notifications of its call that were stored before it (see timeline.ts), so the parse
 * stays a pure function of what the inbox keeps. Call states and the summary also give live
 * moments (live.ts) beside the legs.
 * @module
 */
import { InvalidPayloadError, type PbxParser } from '../core/parse';
import type { CallEvent } from '../../domain/events';
import type { MangoConfig, MangoContext } from './config';
import { readJson, validate } from './body';
import { callLeg, summaryLegs } from './legs';
import { callStateMoment, summaryMoment } from './live';
import { recordingEvents } from './recording';
import { callEventSchema, recordingEventSchema, summarySchema, type MangoCallEvent } from './schema';
import { mangoClock } from './time';

export const MANGO_EVENTS = ['call', 'summary', 'recording'] as const;
export type MangoEventKind = (typeof MANGO_EVENTS)[number];

export const mangoParser: PbxParser<{ mango: MangoConfig }> = {
  name: 'mango',
  parse(raw, meta, ctx) {
    const events = conversationAndLive(raw, meta, ctx);
    // A notification rebuilt from the statistics (meta.origin) is an entry long over: nothing is live.
    return meta.origin ? events.filter((e) => e.kind !== 'live') : events;
  },
};

function conversationAndLive(raw: string, meta: Record<string, string>, ctx: MangoContext): CallEvent[] {
  const json = readJson(raw);
  const clock = mangoClock(ctx);
  switch (meta.event) {
    case 'call': {
      const event = validate(callEventSchema, json);
      const leg = callLeg([event, ...storedStates(meta.timeline, event)], clock, ctx.sources.mango);
      const moment = callStateMoment(event, clock);
      return [...(leg ? [leg] : []), ...(moment ? [moment] : [])];
    }
    case 'summary': {
      const summary = validate(summarySchema, json);
      return [...summaryLegs(summary, clock), summaryMoment(summary, clock)];
    }
    case 'recording':
      return recordingEvents(validate(recordingEventSchema, json));
    default:
      throw new InvalidPayloadError([
        `meta.event: expected one of ${MANGO_EVENTS.join(', ')} (the path the body was posted to), ` + `got ${JSON.stringify(meta.event ?? null)}`,
      ]);
  }
}

/** The other notifications of the same call, as the route found them stored. */
function storedStates(timeline: string | undefined, own: MangoCallEvent): MangoCallEvent[] {
  if (!timeline) return [];
  let bodies: unknown;
  try {
    bodies = JSON.parse(timeline);
  } catch {
    throw new InvalidPayloadError(['meta.timeline: is not valid JSON']);
  }
  if (!Array.isArray(bodies)) throw new InvalidPayloadError(['meta.timeline: expected an array of notifications']);
  const states: MangoCallEvent[] = [];
  for (const body of bodies) {
    const parsed = callEventSchema.safeParse(typeof body === 'string' ? safeJson(body) : body);
    // Only the same call of the same entry; anything else in there is not ours to use.
    if (parsed.success && parsed.data.call_id === own.call_id && parsed.data.entry_id === own.entry_id) states.push(parsed.data);
  }
  return states;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
