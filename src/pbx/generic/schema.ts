/**
 * The generic webhook body (DESIGN.md › Contract): one event or an array of them.
 * Optional extensions beyond the contract: `final`, `recorded`, `recording.status`.
 * @module
 */
import * as z from 'zod';

const id = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what} as a string`) })
    .trim()
    .min(1, `expected ${what}, got an empty string`)
    .max(200, `${what} is longer than 200 characters`);

const number = z
  .union([z.string().max(64, 'phone number is longer than 64 characters'), z.number().int().nonnegative()])
  .transform((v) => String(v))
  .nullish();

/** Times are checked by the parser (it knows the time zone); here only their shape. */
const time = z.union([z.string().max(64), z.number()], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'expected an ISO 8601 time or unix seconds'),
});

const recording = z
  .strictObject({
    id: id('recording.id').optional(),
    url: z
      .string({ error: 'expected recording.url as a string' })
      .max(2048, 'recording.url is longer than 2048 characters')
      .refine((v) => /^https?:\/\/[^\s]+$/i.test(v) || /^\/[^\0]*$/.test(v), {
        message: 'expected recording.url to be an http(s) URL or an absolute path on the PBX',
      })
      .nullish(),
    status: z.enum(['ready', 'absent', 'failed']).default('ready'),
  })
  .refine((r) => r.status !== 'ready' || Boolean(r.url), {
    message: 'a ready recording needs a url',
    path: ['url'],
  });

const common = {
  call_id: id('call_id'),
  leg_id: id('leg_id').optional(),
};

export const callEndedSchema = z.object({
  type: z.literal('call.ended'),
  ...common,
  direction: z.enum(['inbound', 'outbound', 'internal']).nullish(),
  from: number,
  to: number,
  extension: number,
  /** Our number the call came in on or went out from (the DID): picks the line's rules. */
  line: number,
  started_at: time,
  answered_at: time.nullish(),
  ended_at: time,
  disposition: z.enum(['answered', 'no_answer', 'busy', 'failed']).nullish(),
  /** Talk seconds measured by the PBX (billsec), when answered_at is not known. */
  talk_seconds: z.number().int().nonnegative().nullish(),
  final: z.boolean().optional(),
  recorded: z.boolean().optional(),
  recording: recording.nullish(),
});

export const recordingReadySchema = z.object({
  type: z.literal('recording.ready'),
  ...common,
  recording,
});

const direction = z.enum(['inbound', 'outbound', 'internal']).nullish();

/** A ring group larger than this is not a ring group. */
export const MAX_RINGING_EXTENSIONS = 200;

/**
 * Live: the call is ringing (`extensions`: the ones ringing now; empty while it waits in a queue or
 * an IVR). It feeds the screen pop and the live view and never replaces `call.ended`.
 */
export const callRingingSchema = z.object({
  type: z.literal('call.ringing'),
  call_id: id('call_id'),
  direction,
  from: number,
  to: number,
  extensions: z
    .array(z.union([id('an extension'), z.number().int().nonnegative().transform(String)]), { error: 'expected extensions as an array of strings' })
    .max(MAX_RINGING_EXTENSIONS, `expected at most ${MAX_RINGING_EXTENSIONS} extensions`)
    .default([]),
  /** Our number the call came in on (the DID) or goes out from. */
  line: number,
  /** When it started ringing; `started_at` is read when `at` is absent. One of them is required. */
  at: time.optional(),
  started_at: time.optional(),
});

/** Live: an extension picked the call up. */
export const callAnsweredSchema = z.object({
  type: z.literal('call.answered'),
  call_id: id('call_id'),
  extension: number,
  direction,
  from: number,
  to: number,
  line: number,
  /** When it was answered; `answered_at` is read when `at` is absent. One of them is required. */
  at: time.optional(),
  answered_at: time.optional(),
});

export const GENERIC_EVENT_TYPES = ['call.ended', 'recording.ready', 'call.ringing', 'call.answered'] as const;

export const genericEventSchema = z.discriminatedUnion('type', [callEndedSchema, recordingReadySchema, callRingingSchema, callAnsweredSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? `expected type to be one of ${GENERIC_EVENT_TYPES.map((t) => `"${t}"`).join(', ')}` : undefined),
});

export const MAX_EVENTS_PER_REQUEST = 500;

export const genericBatchSchema = z
  .array(genericEventSchema)
  .min(1, 'expected at least one event')
  .max(MAX_EVENTS_PER_REQUEST, `expected at most ${MAX_EVENTS_PER_REQUEST} events per request`);

export type GenericEvent = z.output<typeof genericEventSchema>;
