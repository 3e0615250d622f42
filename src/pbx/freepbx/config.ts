/**
 * The freepbx section of the integrator config (`sources.freepbx`). Setting `database_url`
 * turns the poller on (`calltrail serve` reads FreePBX's CDR table every `poll_seconds`).
 * @module
 */
import * as z from 'zod';
import { countryCodeSchema, timeZoneSchema } from '../../config/common';
import type { ParseContext } from '../core/parse';
import { dialplanConfigShape } from '../asterisk/dialplan';
import { EMPTY_WAV_BYTES, recordingUrlSchema } from '../asterisk/recording';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,63}(\.[A-Za-z_][A-Za-z0-9_$]{0,63})?$/;

export const freepbxConfigSchema = z
  .strictObject({
    // The value is never echoed in a message: it holds a password.
    database_url: z
      .string()
      .refine((v) => /^(mysql|mariadb):\/\/[^\s/]+\/[^\s/?]+/.test(v), {
        message: 'expected mysql://user:password@host:3306/asteriskcdrdb',
      })
      .optional()
      .describe('FreePBX CDR database (a user with SELECT on asteriskcdrdb.cdr); set: the poller runs'),
    table: z.string().regex(IDENTIFIER, 'expected a table name such as "cdr"').default('cdr'),
    poll_seconds: z.number().int().min(1).max(3600).default(30),
    batch_size: z.number().int().min(1).max(5000).default(500).describe('CDR rows per ledger transaction'),
    lookback_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(360)
      .describe('A CDR row is written when its channel hangs up but dated when it started: rows this far behind the newest are still looked for'),
    start_from: z.enum(['now', 'beginning']).default('now').describe('First run only: read calls from now on, or the whole table'),
    time_zone: timeZoneSchema.optional().describe('calldate is the PBX’s local time; default: the top-level time_zone'),
    recording_url: recordingUrlSchema.optional().describe('Default: /var/spool/asterisk/monitor/{{year}}/{{month}}/{{day}}/{{file}}'),
    ...dialplanConfigShape,
    default_country: countryCodeSchema.optional().describe('National numbers in these CDRs belong to this country; default: the top-level default_country'),
    empty_recording_bytes: z.number().int().min(0).default(EMPTY_WAV_BYTES),
  })
  .describe('freepbx source');

export type FreepbxConfig = z.output<typeof freepbxConfigSchema>;

/** What the FreePBX parser reads of the deployment. */
export type FreepbxContext = ParseContext<{ freepbx: FreepbxConfig }>;
