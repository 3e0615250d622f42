/**
 * AMI `Cdr` events (cdr_manager) as JSON — one event or an array — → CDR fields. A forwarding
 * script relays the event's headers as they are: `{"Event":"Cdr","Source":"…","StartTime":"…",…}`.
 * The standard event has no LinkedID or Sequence; cdr_manager.conf `[mappings]` can add them
 * (`linkedid => LinkedID`, `sequence => Sequence`, `recordingfile => RecordingFile`), and without
 * them each event is a conversation of its own. Keys are matched without regard to case; the
 * plain CDR names (src, dst, start, …) are accepted too. Other keys are ignored.
 * @module
 */
import { z } from 'zod';
import { describeIssues } from '../../config/errors';
import { InvalidPayloadError } from '../source';
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
const event = z.record(z.string(), value, { error: 'expected an AMI Cdr event as a JSON object' });
const batch = z.array(event).min(1, 'expected at least one event').max(MAX_AMI_EVENTS, `expected at most ${MAX_AMI_EVENTS} events per request`);

export function amiRecords(raw: string): LocatedFields[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new InvalidPayloadError([`body is not valid JSON: ${(error as Error).message}`]);
  }
  const isBatch = Array.isArray(json);
  const parsed = isBatch ? batch.safeParse(json) : event.safeParse(json);
  if (!parsed.success) throw new InvalidPayloadError(describeIssues(parsed.error, 'body'));
  const events = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const problems: string[] = [];
  const records = events.map((e, i) => {
    const at = isBatch ? `[${i}].` : '';
    const fields: CdrFields = {};
    const keyOf = new Map<CdrField, string>();
    for (const [key, v] of Object.entries(e)) {
      if (key.toLowerCase() === 'event' && String(v).toLowerCase() !== 'cdr') problems.push(`${at}${key}: expected "Cdr", got ${JSON.stringify(v)}`);
      const field = AMI_NAMES[key.toLowerCase()];
      if (!field || v === null) continue;
      fields[field] = String(v);
      keyOf.set(field, key);
    }
    return { fields, locate: (field: CdrField) => `${at}${keyOf.get(field) ?? AMI_HEADERS[field] ?? field}` };
  });
  if (problems.length) throw new InvalidPayloadError(problems);
  return records;
}
