/**
 * The freeswitch section of the integrator config (`sources.freeswitch`).
 * @module
 */
import * as z from 'zod';
import { commonSectionFields, flag } from '../core/config';
import { recordingUrlTemplateSchema, recordingVariablesSchema } from './recording';

export const freeswitchConfigSchema = z
  .strictObject({
    ...commonSectionFields('unused: times are read from the *_epoch variables, which carry no zone; kept for symmetry'),
    encode_values: flag(true, 'mod_json_cdr "encode-values": every variable value is URL-encoded inside the JSON (its default, true)'),
    recording_variables: recordingVariablesSchema
      .default(['record_path', 'record_name'])
      .describe('channel variables whose values, joined with "/", give the recording\'s path on the PBX (FusionPBX: record_path, record_name)'),
    recording_url: recordingUrlTemplateSchema
      .optional()
      .describe(
        'turns that path into a URL: {path} is the whole path, {file} its last part, e.g. "https://pbx.example/recordings{path}"; unset: the path itself is kept',
      ),
    answered_requires_bridge: flag(
      true,
      'true (default): the A-leg counts as answered only once it was bridged to someone, so a caller answered by ' +
        'an IVR or voicemail and never connected is a missed call. false: any answered leg counts (conference-based setups).',
    ),
    click_to_call: z
      .strictObject({
        enabled: flag(true, 'false: calltrail never originates (POST /v1/originate refuses for this source)'),
        dial_string: z
          .string()
          .regex(/\{extension\}/, 'expected a template with {extension}')
          .regex(/\{(digits|phone)\}/, 'expected a template with {digits} or {phone}')
          .refine((v) => !/[\r\n]/.test(v), 'must be one line')
          .default('{origination_caller_id_number={caller_id}}user/{extension} {digits} XML default')
          .describe(
            'the originate arguments: {extension} the rep, {digits}/{phone} the customer without/with "+", {caller_id} the number shown ' +
              "(the request's or caller_id); the rep's leg is answered, then the customer dialled in the given dialplan and context",
          ),
        caller_id: z
          .string()
          .regex(/^\+?\d{1,20}$/, 'expected digits')
          .optional()
          .describe('the caller ID number when the request names none'),
      })
      .prefault({})
      .describe('click-to-call through the event socket (FREESWITCH_ESL, Node only)'),
  })
  .describe('freeswitch source');

export type FreeswitchConfig = z.output<typeof freeswitchConfigSchema>;
