/**
 * Zadarma's PBX notifications, field names exactly as sent (form fields, all text). Documented in
 * Zadarma's API reference ("Notifications about calls to the PBX") and typed the same way in
 * their official clients. Unknown fields are ignored: Zadarma adds fields over time.
 * @module
 */
import * as z from 'zod';

const MAX = 200;

/** A field that must be present and non-empty. */
const required = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what} as text`) })
    .trim()
    .min(1, `expected ${what}, got an empty value`)
    .max(MAX, `${what} is longer than ${MAX} characters`);

/** Present or not; an empty value (a withheld caller id, no extension) counts as absent. */
const optional = (what: string) =>
  z
    .string({ error: `expected ${what} as text` })
    .trim()
    .max(MAX, `${what} is longer than ${MAX} characters`)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const seconds = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected whole seconds') })
  .trim()
  .regex(/^\d{1,7}$/, 'expected whole seconds')
  .transform(Number);

const recordedFlag = z
  .enum(['0', '1', ''], { error: 'expected 1 (recorded) or 0 (not recorded)' })
  .optional()
  .transform((v) => (v === '1' ? true : v === '0' ? false : undefined));

const call = {
  call_start: required('call_start'),
  pbx_call_id: required('pbx_call_id'),
};

/** End of a call: the same fields for incoming (NOTIFY_END) and outgoing (NOTIFY_OUT_END) calls. */
const ending = {
  ...call,
  internal: optional('internal'),
  duration: seconds,
  disposition: required('disposition'),
  status_code: optional('status_code'),
  is_recorded: recordedFlag,
  call_id_with_rec: optional('call_id_with_rec'),
};

export const notifyStartSchema = z.object({
  event: z.literal('NOTIFY_START'),
  ...call,
  caller_id: optional('caller_id'),
  called_did: optional('called_did'),
});

/** The IVR reports digits pressed; nothing calltrail records, but it is signed and accepted. */
export const notifyIvrSchema = notifyStartSchema.extend({ event: z.literal('NOTIFY_IVR') });

export const notifyInternalSchema = z.object({
  event: z.literal('NOTIFY_INTERNAL'),
  ...call,
  caller_id: optional('caller_id'),
  called_did: optional('called_did'),
  internal: required('internal'),
});

export const notifyAnswerSchema = z.object({
  event: z.literal('NOTIFY_ANSWER'),
  ...call,
  caller_id: optional('caller_id'),
  destination: optional('destination'),
  internal: optional('internal'),
});

export const notifyEndSchema = z.object({
  event: z.literal('NOTIFY_END'),
  ...ending,
  caller_id: optional('caller_id'),
  called_did: optional('called_did'),
});

export const notifyOutStartSchema = z.object({
  event: z.literal('NOTIFY_OUT_START'),
  ...call,
  /** The caller ID the outgoing call shows: our number it goes out from. */
  caller_id: optional('caller_id'),
  internal: optional('internal'),
  destination: required('destination'),
});

export const notifyOutEndSchema = z.object({
  event: z.literal('NOTIFY_OUT_END'),
  ...ending,
  caller_id: optional('caller_id'),
  destination: required('destination'),
});

export const notifyRecordSchema = z.object({
  event: z.literal('NOTIFY_RECORD'),
  pbx_call_id: required('pbx_call_id'),
  call_id_with_rec: required('call_id_with_rec'),
});

export const EVENTS = [
  'NOTIFY_START',
  'NOTIFY_INTERNAL',
  'NOTIFY_ANSWER',
  'NOTIFY_END',
  'NOTIFY_OUT_START',
  'NOTIFY_OUT_END',
  'NOTIFY_RECORD',
  'NOTIFY_IVR',
] as const;
export type ZadarmaEventName = (typeof EVENTS)[number];

export const notificationSchema = z.discriminatedUnion(
  'event',
  [notifyStartSchema, notifyInternalSchema, notifyAnswerSchema, notifyEndSchema, notifyOutStartSchema, notifyOutEndSchema, notifyRecordSchema, notifyIvrSchema],
  {
    error: (issue) => (issue.code === 'invalid_union' ? `expected event to be one of ${EVENTS.join(', ')}` : undefined),
  },
);

export type ZadarmaNotification = z.output<typeof notificationSchema>;
export type NotifyEnd = z.output<typeof notifyEndSchema>;
export type NotifyOutEnd = z.output<typeof notifyOutEndSchema>;
