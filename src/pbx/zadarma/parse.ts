/**
 * Zadarma notifications → call events. Legs of one call share `pbx_call_id`.
 *
 * Zadarma reports the end of a call once (NOTIFY_END, NOTIFY_OUT_END): start time, talk seconds,
 * result and the extension that ended it. It says which extensions rang (NOTIFY_INTERNAL) and
 * answered (NOTIFY_ANSWER), but not when nor for how long. So the end is the one final leg and
 * carries the talk time, credited to its `internal`; each extension that rang or answered gets a
 * leg of its own with no talk time, so the call's timeline shows everyone involved, and a missed
 * call is attributed to an extension that rang. Times: call_start is local time without an
 * offset, read in the source's time zone; nothing else is timed. The number dialled
 * (called_did) is the company's own and is kept off the legs.
 *
 * Live moments (the screen pop, the live view) come beside them under the same pbx_call_id:
 * NOTIFY_START rings (nobody yet: the IVR or the routing decides), NOTIFY_INTERNAL rings an
 * extension, NOTIFY_ANSWER answers, NOTIFY_OUT_START rings out from an extension, and the end
 * notifications end the call. They never make or change the conversation.
 * @module
 */
import { describeIssues } from '../../config/errors';
import type { CallEvent, LegEnded, LiveMoment, RecordingRef } from '../../domain/events';
import type { Disposition } from '../../domain/call';
import { parseInstant } from '../../domain/time';
import { InvalidPayloadError, type PbxParser } from '../core/parse';
import type { ZadarmaConfig } from './config';
import { decodeForm } from './form';
import { notificationSchema, type NotifyEnd, type NotifyOutEnd, type ZadarmaNotification } from './schema';

export const zadarmaParser: PbxParser<{ zadarma: ZadarmaConfig }> = {
  name: 'zadarma',
  parse(raw, meta, ctx) {
    const result = notificationSchema.safeParse(Object.fromEntries(decodeForm(raw)));
    if (!result.success) throw new InvalidPayloadError(describeIssues(result.error, 'body'));
    const events = toEvents(result.data, ctx.sources.zadarma.time_zone ?? ctx.timeZone);
    // A notification rebuilt from the statistics (meta.origin) is a call long over: nothing is live.
    return meta.origin ? events.filter((e) => e.kind !== 'live') : events;
  },
};

function toEvents(n: ZadarmaNotification, timeZone: string): CallEvent[] {
  switch (n.event) {
    case 'NOTIFY_IVR':
      // Digits pressed in the IVR: nothing calltrail records.
      return [];
    case 'NOTIFY_START':
      // An incoming call has begun: live only (its end says everything else).
      return [live(n.pbx_call_id, 'ringing', 'inbound', { from: n.caller_id, to: undefined, line: n.called_did }, [], callStart(n.call_start, timeZone))];
    case 'NOTIFY_OUT_START': {
      const parties = { from: n.internal, to: n.destination, line: n.caller_id };
      return [live(n.pbx_call_id, 'ringing', 'outbound', parties, n.internal ? [n.internal] : [], callStart(n.call_start, timeZone))];
    }
    case 'NOTIFY_RECORD':
      return [{ kind: 'recording', callKey: n.pbx_call_id, legKey: n.pbx_call_id, recording: recordingRef(n.call_id_with_rec) }];
    case 'NOTIFY_INTERNAL': {
      const at = callStart(n.call_start, timeZone);
      return [
        extensionLeg(n.pbx_call_id, { key: `rang:${n.internal}`, caller: n.caller_id, extension: n.internal, at, answered: false }),
        live(n.pbx_call_id, 'ringing', 'inbound', { from: n.caller_id, to: n.internal, line: n.called_did }, [n.internal], at),
      ];
    }
    case 'NOTIFY_ANSWER': {
      const at = callStart(n.call_start, timeZone);
      // Without `internal` the destination may be a phone the call was forwarded to: no party.
      const key = `answered:${n.internal ?? n.destination ?? ''}`;
      return [
        extensionLeg(n.pbx_call_id, { key, caller: n.caller_id, extension: n.internal, at, answered: true }),
        live(n.pbx_call_id, 'answered', null, { from: n.caller_id, to: n.internal, line: undefined }, n.internal ? [n.internal] : [], at),
      ];
    }
    case 'NOTIFY_END':
    case 'NOTIFY_OUT_END': {
      const leg = endLeg(n, timeZone);
      return [leg, live(n.pbx_call_id, 'ended', leg.direction, { from: leg.from, to: leg.to, line: leg.line }, n.internal ? [n.internal] : [], leg.endedAt)];
    }
  }
}

/**
 * A moment of the call as it happens (the screen pop, the live view), keyed like its end
 * (pbx_call_id). Zadarma times only the call's start: a ringing or answer moment carries
 * call_start, the end moment call_start + duration.
 */
function live(
  callKey: string,
  state: LiveMoment['state'],
  direction: LiveMoment['direction'],
  parties: { from: string | null | undefined; to: string | null | undefined; line: string | null | undefined },
  extensions: string[],
  at: Date,
): LiveMoment {
  return { kind: 'live', callKey, state, direction, from: parties.from ?? null, to: parties.to ?? null, extensions, line: parties.line ?? null, at };
}

function callStart(value: string, timeZone: string): Date {
  const parsed = parseInstant(value, timeZone);
  if (!parsed.ok) throw new InvalidPayloadError([`call_start: ${parsed.message}`]);
  return parsed.value;
}

interface ExtensionMoment {
  /** Unique within the call: what happened, to whom. */
  key: string;
  caller: string | undefined;
  extension: string | undefined;
  at: Date;
  answered: boolean;
}

/** An extension that rang or answered: a moment on the timeline, no talk of its own. */
function extensionLeg(callKey: string, { key, caller, extension, at, answered }: ExtensionMoment): LegEnded {
  return {
    kind: 'leg',
    callKey,
    legKey: `${callKey}:${key}`,
    direction: null,
    from: caller ?? null,
    to: extension ?? null,
    extension: extension ?? null,
    startedAt: at,
    answeredAt: answered ? at : null,
    endedAt: at,
    disposition: answered ? 'answered' : 'no_answer',
    talkSeconds: answered ? 0 : null,
    final: false,
    // The call's recording belongs to its end leg.
    recorded: false,
    recording: null,
  };
}

/**
 * The end of the call. `duration` is the talk time (a cancelled call reports 0), so the leg is
 * answered at call_start and ends `duration` seconds later: the ringing before the answer is
 * not reported and not counted.
 */
function endLeg(n: NotifyEnd | NotifyOutEnd, timeZone: string): LegEnded {
  const startedAt = callStart(n.call_start, timeZone);
  const disposition = dispositionOf(n.disposition);
  const answered = disposition === 'answered';
  const inbound = n.event === 'NOTIFY_END';
  const recording = answered && n.is_recorded !== false && n.call_id_with_rec ? recordingRef(n.call_id_with_rec) : null;
  return {
    kind: 'leg',
    callKey: n.pbx_call_id,
    legKey: n.pbx_call_id,
    direction: inbound ? 'inbound' : 'outbound',
    from: (inbound ? n.caller_id : (n.internal ?? n.caller_id)) ?? null,
    // Never the company's own number (called_did): for a withheld caller it would pass for the
    // outside party.
    to: (inbound ? n.internal : n.destination) ?? null,
    extension: n.internal ?? null,
    // Our number the call came in on (called_did), or the caller ID an outgoing call showed.
    line: (inbound ? (n as NotifyEnd).called_did : n.caller_id) ?? null,
    startedAt,
    answeredAt: answered ? startedAt : null,
    endedAt: new Date(startedAt.getTime() + n.duration * 1000),
    disposition,
    talkSeconds: answered ? n.duration : null,
    final: true,
    recorded: answered && n.is_recorded !== false ? null : false,
    recording,
  };
}

/**
 * Zadarma's results: answered, busy, cancel, no answer, failed, no money, unallocated number,
 * no limit, no day limit, line limit, no money no limit. Anything else is a failure too.
 */
export function dispositionOf(value: string): Disposition {
  const v = value.trim().toLowerCase();
  if (v === 'answered') return 'answered';
  if (v === 'busy') return 'busy';
  if (v === 'no answer' || v === 'noanswer' || v === 'cancel') return 'no_answer';
  return 'failed';
}

/** Zadarma names the file by call_id_with_rec; its link is asked for later (recordings.ts). */
function recordingRef(callIdWithRec: string): RecordingRef {
  return { key: callIdWithRec, url: null, status: 'referenced', vendorRef: callIdWithRec };
}
