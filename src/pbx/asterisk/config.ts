/**
 * The asterisk section of the integrator config (`sources.asterisk`): how to read the CDRs the
 * push endpoint and `calltrail import asterisk-csv` receive. The endpoint itself is enabled by
 * ASTERISK_WEBHOOK_SECRET.
 * @module
 */
import * as z from 'zod';
import { flag } from '../core/config';
import { charsetSchema } from '../../lib/charset';
import { countryCodeSchema, timeZoneSchema } from '../../config/common';
import type { ParseContext } from '../core/parse';
import { csvColumnsSchema } from './columns';
import { dialplanConfigShape } from './dialplan';
import { EMPTY_WAV_BYTES, recordingUrlSchema } from './recording';

export const asteriskConfigSchema = z
  .strictObject({
    charset: charsetSchema,
    time_zone: timeZoneSchema.optional().describe('CDR dates are local time (unless cdr_csv usegmtime=yes: then "UTC"); default: the top-level time_zone'),
    csv_columns: csvColumnsSchema.default('full'),
    recording_field: z
      .enum(['auto', 'recordingfile', 'userfield', 'none'])
      .default('auto')
      .describe('Which CDR field names the recording; auto: recordingfile when the row has one, else userfield when it looks like an audio file'),
    recording_url: recordingUrlSchema.optional(),
    ...dialplanConfigShape,
    default_country: countryCodeSchema.optional().describe('National numbers in these CDRs belong to this country; default: the top-level default_country'),
    empty_recording_bytes: z
      .number()
      .int()
      .min(0)
      .default(EMPTY_WAV_BYTES)
      .describe('A recording file of at most this many bytes is an empty WAV header: no recording (checked where the file is visible)'),
    click_to_call: z
      .strictObject({
        enabled: flag(true, 'false: calltrail never sends Originate (POST /v1/originate refuses for this source)'),
        channel: z
          .string()
          .regex(/^[A-Za-z0-9_]+\/\S*\{extension\}\S*$/, 'expected a channel such as "PJSIP/{extension}" or "Local/{extension}@from-internal"')
          .default('PJSIP/{extension}')
          .describe("the channel rung first, the rep's phone: {extension} is the rep's extension"),
        context: z
          .string()
          .regex(/^[\w-]{1,80}$/, 'expected a dialplan context')
          .default('from-internal')
          .describe('the context the customer is dialled in'),
        exten: z
          .string()
          .regex(/^\S*\{(phone|digits)\}\S*$/, 'expected a template with {digits} or {phone}')
          .default('{digits}')
          .describe('the extension dialled in context: {digits} is the customer\'s number without "+", {phone} with it; add a prefix your routes need'),
        caller_id: z
          .string()
          .max(80)
          .optional()
          .describe('CallerID of the call, e.g. "Sales <74951234567>", unless the request names one; unset: the dialplan\'s'),
        timeout_seconds: z.number().int().min(5).max(120).default(30).describe("how long the rep's phone rings"),
      })
      .prefault({})
      .describe('click-to-call through the manager interface (ASTERISK_AMI_URL, Node only)'),
  })
  .describe('asterisk source');

export type AsteriskConfig = z.output<typeof asteriskConfigSchema>;

/** What the Asterisk parser reads of the deployment. */
export type AsteriskContext = ParseContext<{ asterisk: AsteriskConfig }>;
