/**
 * Mango Office's Realtime API notifications (VPBX API v1.9, §3.1), the `json` form field of each.
 * Field names exactly as sent. Numbers arrive as JSON numbers or as numeric strings (both appear
 * in Mango's own examples); extensions likewise. Unknown fields are ignored.
 * @module
 */
import * as z from 'zod';

const MAX = 128;

const id = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what} as a string`) })
    .trim()
    .min(1, `expected ${what}, got an empty string`)
    .max(MAX, `${what} is longer than ${MAX} characters`);

const integer = (what: string) =>
  z
    .union(
      [
        z.number().int(`expected ${what} as a whole number`),
        z
          .string()
          .trim()
          .regex(/^-?\d{1,12}$/, `expected ${what} as a whole number`),
      ],
      { error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what} as a whole number`) },
    )
    .transform(Number);

/** Unix seconds; 0 means "did not happen" where Mango says so (forward_time, talk_time). */
const unixTime = (what: string) => integer(what).refine((v) => v >= 0, { message: `expected ${what} as unix seconds, got a negative number` });

/** An extension or phone number: a string or a number in Mango's examples; empty counts as absent. */
const text = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `expected ${what} as a string` })
    .transform((v) => String(v).trim())
    .refine((v) => v.length <= MAX, { message: `${what} is longer than ${MAX} characters` })
    .optional()
    .transform((v) => (v === '' ? undefined : v));

const party = z
  .object({
    extension: text('extension'),
    number: text('number'),
    line_number: text('line_number'),
    acd_group: text('acd_group'),
    taken_from_call_id: text('taken_from_call_id'),
  })
  .prefault({});

export type Party = z.output<typeof party>;

export const CALL_STATES = ['Appeared', 'Connected', 'OnHold', 'Disconnected'] as const;

/** events/call: one state change of one call (a leg) of the entry. */
export const callEventSchema = z.object({
  entry_id: id('entry_id'),
  call_id: id('call_id'),
  timestamp: unixTime('timestamp'),
  seq: integer('seq').refine((v) => v >= 1 && v <= 1_000_000, { message: 'expected seq to count from 1 (at most 1000000)' }),
  call_state: z.enum(CALL_STATES, { error: `expected call_state to be one of ${CALL_STATES.join(', ')}` }),
  location: text('location'),
  from: party,
  to: party,
  disconnect_reason: integer('disconnect_reason').optional(),
});

/** events/summary: the end of the whole entry, sent last. */
export const summarySchema = z.object({
  entry_id: id('entry_id'),
  call_direction: integer('call_direction').refine((v) => v === 0 || v === 1 || v === 2, {
    message: 'expected call_direction 0 (internal), 1 (incoming) or 2 (outgoing)',
  }),
  from: party,
  to: party,
  line_number: text('line_number'),
  create_time: unixTime('create_time'),
  forward_time: unixTime('forward_time').optional(),
  talk_time: unixTime('talk_time').default(0),
  end_time: unixTime('end_time'),
  entry_result: integer('entry_result').optional(),
  disconnect_reason: integer('disconnect_reason').optional(),
});

export const RECORDING_STATES = ['Started', 'Continued', 'Completed'] as const;

/** events/recording: a recording of an employee's part of the entry. */
export const recordingEventSchema = z.object({
  entry_id: id('entry_id'),
  recording_id: id('recording_id'),
  recording_state: z.enum(RECORDING_STATES, { error: `expected recording_state to be one of ${RECORDING_STATES.join(', ')}` }),
  seq: integer('seq').optional(),
  call_id: text('call_id'),
  extension: text('extension'),
  timestamp: unixTime('timestamp').optional(),
  completion_code: integer('completion_code').optional(),
  recipient: text('recipient'),
});

export type MangoCallEvent = z.output<typeof callEventSchema>;
export type MangoSummary = z.output<typeof summarySchema>;
export type MangoRecordingEvent = z.output<typeof recordingEventSchema>;
