/**
 * The asterisk section of the integrator config (`sources.asterisk`): how to read the CDRs the
 * push endpoint and `calltrail import asterisk-csv` receive. The endpoint itself is enabled by
 * ASTERISK_WEBHOOK_SECRET.
 * @module
 */
import { z } from 'zod';
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
  })
  .describe('asterisk source');

export type AsteriskConfig = z.output<typeof asteriskConfigSchema>;

/** What the Asterisk parser reads of the deployment. */
export type AsteriskContext = ParseContext<{ asterisk: AsteriskConfig }>;
