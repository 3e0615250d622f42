/**
 * The two Twilio callbacks calltrail takes, as Twilio form-posts them: the call status callback
 * and the RecordingStatusCallback. Twilio adds parameters over time (geographic fields,
 * CallbackSource, SequenceNumber, …), so unknown ones pass; the ones read here are checked.
 * @module
 */
import * as z from 'zod';

/** Twilio leaves optional parameters out, but some setups post them empty. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const sid = (prefix: string, what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected ${what}`) })
    .regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `expected ${what} (${prefix} and 32 hex digits)`);

const seconds = z.string().regex(/^\d{1,7}$/, 'expected whole seconds');

const recordingUrl = z
  .string()
  .max(2048, 'is longer than 2048 characters')
  .refine((v) => /^https:\/\/[^\s]+$/i.test(v), 'expected an https URL');

export const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** A call in one of these has ended; the others are progress reports. */
export const TERMINAL_STATUSES: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/**
 * Twilio's Direction: `inbound` a call to your number, client or SIP domain; `outbound-api` placed
 * through the Calls API; `outbound-dial` placed by <Dial>; with Elastic SIP Trunking
 * `trunking-terminating` goes out from your PBX to the phone network, `trunking-originating` comes
 * in from the phone network to your PBX.
 */
export const DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial', 'trunking-originating', 'trunking-terminating'] as const;

/**
 * AnsweredBy, present when the call was placed with answering machine detection (MachineDetection
 * on the Calls API or on <Dial><Number>/<Sip>): `human`; `machine_start`, `machine_end_beep`,
 * `machine_end_silence`, `machine_end_other` (a voicemail greeting); `fax`; `unknown` (no verdict
 * in time). Old accounts (IfMachine) say `machine`. Kept as text: a value Twilio adds later must
 * not turn a stored call into a refused one.
 */
export const ANSWERED_BY_MACHINE = /^(machine|fax)/i;

export const statusCallbackSchema = z.object({
  AccountSid: sid('AC', 'an account sid'),
  CallSid: sid('CA', 'a call sid'),
  ParentCallSid: optional(sid('CA', 'a call sid')),
  From: z.string().max(256).default(''),
  To: z.string().max(256).default(''),
  CallStatus: z.enum(CALL_STATUSES, {
    error: (issue) => (issue.input === undefined ? 'is required' : `expected one of ${CALL_STATUSES.join(', ')}`),
  }),
  Direction: z.enum(DIRECTIONS, {
    error: (issue) => (issue.input === undefined ? 'is required' : `expected one of ${DIRECTIONS.join(', ')}`),
  }),
  /** Seconds the call was up: the talk time on `completed` (0 or absent on the other terminal statuses). */
  CallDuration: optional(seconds),
  /** Who answered, when answering machine detection ran (see ANSWERED_BY_MACHINE). */
  AnsweredBy: optional(z.string().max(64, 'is longer than 64 characters')),
  /** When the event happened, RFC 2822 ("Tue, 24 Nov 2026 10:03:05 +0000"). */
  Timestamp: z.string({ error: 'is required' }).min(1, 'is required').max(64),
  /** Present when the call itself was recorded (Record=true on the Calls API). */
  RecordingSid: optional(sid('RE', 'a recording sid')),
  RecordingUrl: optional(recordingUrl),
});

export type StatusCallback = z.output<typeof statusCallbackSchema>;

export const RECORDING_STATUSES = ['in-progress', 'completed', 'absent', 'failed'] as const;

export const recordingCallbackSchema = z
  .object({
    AccountSid: sid('AC', 'an account sid'),
    /** Always the parent leg of a two-leg call. */
    CallSid: sid('CA', 'a call sid'),
    RecordingSid: sid('RE', 'a recording sid'),
    RecordingUrl: optional(recordingUrl),
    RecordingStatus: z.enum(RECORDING_STATUSES, {
      error: (issue) => (issue.input === undefined ? 'is required' : `expected one of ${RECORDING_STATUSES.join(', ')}`),
    }),
    RecordingDuration: optional(seconds),
    RecordingChannels: optional(z.enum(['1', '2'], { error: 'expected 1 or 2' })),
  })
  .refine((r) => r.RecordingStatus !== 'completed' || r.RecordingUrl !== undefined, {
    message: 'a completed recording needs its RecordingUrl',
    path: ['RecordingUrl'],
  });

export type RecordingCallback = z.output<typeof recordingCallbackSchema>;
