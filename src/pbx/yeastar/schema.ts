/**
 * Yeastar's end-of-call reports, both dialects, read into one shape:
 * - S-Series / Cloud PBX API: `{"event":"NewCdr", "callid", "timestart", "callfrom", "callto",
 *   "callduraction", "talkduraction", …}` (older firmware: `"action":"NewCdr"`; the "duraction"
 *   spelling is the vendor's);
 * - P-Series event 30012 "New CDR": `{"type":30012, "sn", "msg":"<the call details as a JSON
 *   string>"}` with call_id, time_start, call_from, call_to, call_duration, talk_duration, …, uid.
 * Numbers and durations arrive as strings or as numbers depending on the firmware; empty fields
 * as "" or " ".
 * @module
 */
import * as z from 'zod';

/** "", " " and absent all mean "not given". */
const text = z
  .union([z.string().max(512), z.number()], { error: 'expected a string or a number' })
  .nullish()
  .transform((v) => (v === null || v === undefined ? null : String(v).trim() || null));

const required = (what: string) =>
  z
    .union([z.string(), z.number()], { error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what}`) })
    .transform((v) => String(v).trim())
    .pipe(z.string().min(1, 'is required').max(200, `${what} is longer than 200 characters`));

const seconds = z
  .union(
    [
      z.number().int().nonnegative(),
      z
        .string()
        .trim()
        .regex(/^\d{1,7}$/, 'expected whole seconds'),
    ],
    {
      error: (issue) => (issue.input === undefined ? 'is required' : 'expected whole seconds'),
    },
  )
  .transform(Number);

/** Documented: ANSWERED (P-Series docs also spell it ANSWERD), NO ANSWER (also NO ANSWERED), BUSY, VOICEMAIL. */
const STATUSES = {
  ANSWERED: 'answered',
  ANSWERD: 'answered',
  'NO ANSWER': 'no_answer',
  'NO ANSWERED': 'no_answer',
  BUSY: 'busy',
  // The callee did not answer and the caller left a message: a missed call for the CRM.
  VOICEMAIL: 'no_answer',
  FAILED: 'failed',
} as const;

const status = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected a string') })
  .transform((v) => v.trim().toUpperCase().replace(/\s+/g, ' '))
  .refine((v): v is keyof typeof STATUSES => v in STATUSES, { message: 'expected ANSWERED, NO ANSWER, BUSY or VOICEMAIL' })
  .transform((v) => STATUSES[v as keyof typeof STATUSES]);

/** Inbound / Outbound / Internal; anything else leaves the direction to the numbers. */
const callType = z
  .string()
  .nullish()
  .transform((v) => {
    const t = v?.trim().toLowerCase();
    return t === 'inbound' || t === 'outbound' || t === 'internal' ? t : null;
  });

export interface YeastarCdr {
  callId: string;
  /** P-Series' id of this record; S-Series has none. */
  uid: string | null;
  timeStart: string;
  from: string | null;
  to: string | null;
  callDuration: number;
  talkDuration: number;
  disposition: z.output<typeof status>;
  type: z.output<typeof callType>;
  recording: string | null;
  did: string | null;
}

/** API v1 firmware names the id cdrid. */
const withCallId = (v: unknown) => {
  if (typeof v !== 'object' || v === null) return v;
  const r = v as Record<string, unknown>;
  return r.callid === undefined || r.callid === '' ? { ...r, callid: r.cdrid } : r;
};

const newCdrObject = z
  .object({
    callid: required('the call id'),
    timestart: required('a time such as "2019-10-23 22:18:50"'),
    callfrom: text,
    callto: text,
    callduraction: seconds,
    talkduraction: seconds,
    status,
    type: callType,
    recording: text,
    didnumber: text,
  })
  .transform(
    (c): YeastarCdr => ({
      callId: c.callid,
      uid: null,
      timeStart: c.timestart,
      from: c.callfrom,
      to: c.callto,
      callDuration: c.callduraction,
      talkDuration: c.talkduraction,
      disposition: c.status,
      type: c.type,
      recording: c.recording,
      did: c.didnumber,
    }),
  );

export const newCdrSchema = z.preprocess(withCallId, newCdrObject);

export const callDetailsSchema = z
  .object({
    call_id: required('the call id'),
    uid: text,
    time_start: required('a time such as "2022-04-27 19:04:36"'),
    call_from: text,
    call_to: text,
    /** Newer firmware splits "Name<2005>" into a number and a name. */
    call_from_number: text,
    call_to_number: text,
    call_duration: seconds,
    talk_duration: seconds,
    status,
    type: callType,
    recording: text,
    did_number: text,
  })
  .transform(
    (c): YeastarCdr => ({
      callId: c.call_id,
      uid: c.uid,
      timeStart: c.time_start,
      from: c.call_from_number ?? number(c.call_from),
      to: c.call_to_number ?? number(c.call_to),
      callDuration: c.call_duration,
      talkDuration: c.talk_duration,
      disposition: c.status,
      type: c.type,
      recording: c.recording,
      did: c.did_number,
    }),
  );

/** "Leo Ray<2005>" → "2005"; a bare number stays. */
function number(value: string | null): string | null {
  if (value === null) return null;
  const inBrackets = /<([^<>]+)>\s*$/.exec(value);
  return inBrackets?.[1]?.trim() || value;
}

export const P_SERIES_NEW_CDR = 30012;
