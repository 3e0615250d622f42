/**
 * The yeastar section of the integrator config (`sources.yeastar`).
 * @module
 */
import * as z from 'zod';
import { commonSectionFields, flag } from '../core/config';
import { yeastarApiSchema } from './api-config';
import { recordingUrlTemplateSchema } from './recording';

export const yeastarConfigSchema = z
  .strictObject({
    ...commonSectionFields("the PBX's time zone: Yeastar sends local times without an offset; default: the top-level time_zone"),
    recording_url: recordingUrlTemplateSchema
      .optional()
      .describe(
        'Where a recording file can be fetched: an http(s) URL or an absolute path with {file} (the file name from ' +
          'the CDR) and optionally {call_id}, e.g. "https://pbx.example/recordings/{file}". Unset: the file is ' +
          "downloaded through the PBX's API (api), else kept by name only and no link goes to the CRM.",
      ),
    api: yeastarApiSchema.optional(),
    accept_token_in_url: flag(
      false,
      'For PBXs that cannot sign (S-Series and Cloud PBX API pushes): also accept an unsigned request whose URL ' +
        'carries ?token=<YEASTAR_WEBHOOK_SECRET>. The secret then appears in URLs; prefer X-Signature.',
    ),
    click_to_call: z
      .strictObject({
        enabled: flag(true, 'false: calltrail never asks the PBX to call (POST /v1/originate refuses for this source)'),
        auto_answer: flag(false, "true: the rep's phone answers the PBX's call by itself (IP phones that support it)"),
        dial_permission: z
          .string()
          .regex(/^\d{1,16}$/, 'expected an extension number')
          .optional()
          .describe("P-Series: the extension whose outbound permission the call uses (dial_permission); unset: the rep's own"),
      })
      .prefault({})
      .describe("click-to-call through the PBX's API (sources.yeastar.api): the rep's extension rings, then the customer"),
  })
  .describe('yeastar source');

export type YeastarConfig = z.output<typeof yeastarConfigSchema>;
