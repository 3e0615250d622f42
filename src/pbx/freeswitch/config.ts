/**
 * The freeswitch section of the integrator config (`sources.freeswitch`).
 * @module
 */
import { z } from 'zod';
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
  })
  .describe('freeswitch source');

export type FreeswitchConfig = z.output<typeof freeswitchConfigSchema>;
