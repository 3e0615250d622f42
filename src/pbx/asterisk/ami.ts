/**
 * AMI events as JSON — one event or an array — as the AMI listener forwards them or a relay
 * script posts them: `Cdr` events (cdr_manager) → CDR fields, and `CEL` events, of which
 * LINKEDID_END (the conversation is over) is read and the others are kept and ignored. A forwarding
 * script relays the event's headers as they are: `{"Event":"Cdr","Source":"…","StartTime":"…",…}`.
 * The standard event has no LinkedID or Sequence; cdr_manager.conf `[mappings]` can add them
 * (`linkedid => LinkedID`, `sequence => Sequence`, `recordingfile => RecordingFile`), and without
 * them each event is a conversation of its own. Keys are matched without regard to case; the
 * plain CDR names (src, dst, start, …) are accepted too. Other keys are ignored.
 * The call events the listener forwards for live moments (Newchannel, DialBegin, DialEnd,
 * BridgeEnter, Hangup: ami-live.ts) are read here too, as the listener stored them.
 * @module
 */
import * as z from 'zod';
import { describeIssues } from '../../config/errors';
import { InvalidPayloadError, readJsonBody } from '../core/parse';
import { AMI_CEL_EVENTS } from './ami-forward';
import { AMI_LIVE_EVENTS, amiLiveEvent, type AmiFieldReader } from './ami-live';
import { CDR_FIELDS, type CdrField } from './columns';
import type { CdrFields } from './fields';
import type { LocatedFields } from './csv';

/** AMI header (lower case) → CDR field. */
const AMI_NAMES: Readonly<Record<string, CdrField>> = {
  source: 'src',
  destination: 'dst',
  destinationcontext: 'dcontext',
  callerid: 'clid',
  destinationchannel: 'dstchannel',
  lastapplication: 'lastapp',
  starttime: 'start',
  answertime: 'answer',
  endtime: 'end',
  billableseconds: 'billsec',
  ...Object.fromEntries(CDR_FIELDS.map((f) => [f, f])),
};

/** How a missing field is named in a message: as the AMI event would have it. */
const AMI_HEADERS: Partial<Record<CdrField, string>> = { start: 'StartTime', end: 'EndTime', disposition: 'Disposition' };

export const MAX_AMI_EVENTS = 1000;

const value = z.union([z.string().max(4096), z.number(), z.null()]);
const event = z.record(z.string(), value, { error: 'expected an AMI Cdr, CEL or call event as a JSON object' });
const batch = z.array(event).min(1, 'expected at least one event').max(MAX_AMI_EVENTS, `expected at most ${MAX_AMI_EVENTS} events per request`);

/** An AMI event calltrail reads: a CDR, or CEL saying a whole conversation is over. */
export type AmiMessage =
  | { type: 'cdr'; record: LocatedFields }
  | { type: 'closed'; linkedid: string; eventTime: string; at: string }
  /** A call event (ami-live.ts reads its moment): its headers, and where it is for messages ("[2]." or ""). */
  | { type: 'live'; get: AmiFieldReader; at: string }
  /** Other CEL events: accepted and kept, nothing to apply. */
  | { type: 'other' };

export function amiMessages(raw: string): AmiMessage[] {
  const json = readJsonBody(raw);
  const isBatch = Array.isArray(json);
  const parsed = isBatch ? batch.safeParse(json) : event.safeParse(json);
  if (!parsed.success) throw new InvalidPayloadError(describeIssues(parsed.error, 'body'));
  const events = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const problems: string[] = [];
  const messages = events.map((e, i) => amiMessage(e, isBatch ? `[${i}]` : '', problems));
  if (problems.length) throw new InvalidPayloadError(problems);
  return messages;
}

type AmiEvent = Record<string, string | number | null>;

function amiMessage(e: AmiEvent, index: string, problems: string[]): AmiMessage {
  const at = index ? `${index}.` : '';
  const header = (name: string) => {
    const key = Object.keys(e).find((k) => k.toLowerCase() === name);
    const v = key === undefined ? null : e[key];
    return { key: key ?? name, value: v === null || v === undefined ? '' : String(v).trim() };
  };
  const kind = header('event');
  if (kind.value.toLowerCase() === 'cel') return celMessage(header, at, index, problems);
  if (amiLiveEvent(kind.value)) return { type: 'live', get: (name) => header(name).value, at };
  if (kind.value !== '' && kind.value.toLowerCase() !== 'cdr')
    problems.push(`${at}${kind.key}: expected "Cdr", "CEL" or a call event (${AMI_LIVE_EVENTS.join(', ')}), got ${JSON.stringify(kind.value)}`);
  return { type: 'cdr', record: cdrRecord(e, at, index) };
}

/** CEL LINKEDID_END: the last channel of the conversation is gone — it is over. */
function celMessage(header: (name: string) => { key: string; value: string }, at: string, index: string, problems: string[]): AmiMessage {
  if (!AMI_CEL_EVENTS.includes(header('eventname').value.toUpperCase())) return { type: 'other' };
  const linkedid = header('linkedid').value || header('uniqueid').value;
  if (!linkedid) {
    problems.push(`${at}LinkedID: is empty`);
    return { type: 'other' };
  }
  return { type: 'closed', linkedid, eventTime: header('eventtime').value, at: index || 'event' };
}

function cdrRecord(e: AmiEvent, at: string, index: string): LocatedFields {
  const fields: CdrFields = {};
  const keyOf = new Map<CdrField, string>();
  for (const [key, v] of Object.entries(e)) {
    const field = AMI_NAMES[key.toLowerCase()];
    if (!field || v === null) continue;
    fields[field] = String(v);
    keyOf.set(field, key);
  }
  return { fields, at: index || 'event', locate: (field: CdrField) => `${at}${keyOf.get(field) ?? AMI_HEADERS[field] ?? field}` };
}
