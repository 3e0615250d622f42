/**
 * The yeastar section of the integrator config (`sources.yeastar`).
 * @module
 */
import { z } from 'zod';
import { charsetSchema } from '../../lib/charset';
import { countryCodeSchema, timeZoneSchema } from '../../config/common';
import { yeastarApiSchema } from './api-config';
import { recordingUrlTemplateSchema } from './recording';

export const yeastarConfigSchema = z
  .strictObject({
    charset: charsetSchema,
    default_country: countryCodeSchema.optional().describe('National numbers from this PBX belong to this country; default: the top-level default_country'),
    time_zone: timeZoneSchema
      .optional()
      .describe("the PBX's time zone: Yeastar sends local times without an offset; default: the top-level time_zone"),
    recording_url: recordingUrlTemplateSchema
      .optional()
      .describe(
        'Where a recording file can be fetched: an http(s) URL or an absolute path with {file} (the file name from ' +
          'the CDR) and optionally {call_id}, e.g. "https://pbx.example/recordings/{file}". Unset: the file is ' +
          'downloaded through the PBX\'s API (api), else kept by name only and no link goes to the CRM.',
      ),
    api: yeastarApiSchema.optional(),
    accept_token_in_url: z
      .boolean()
      .default(false)
      .describe(
        'For PBXs that cannot sign (S-Series and Cloud PBX API pushes): also accept an unsigned request whose URL ' +
          'carries ?token=<YEASTAR_WEBHOOK_SECRET>. The secret then appears in URLs; prefer X-Signature.',
      ),
  })
  .describe('yeastar source');

export type YeastarConfig = z.output<typeof yeastarConfigSchema>;
