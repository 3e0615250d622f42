/**
 * The FreeSWITCH source: mod_json_cdr's one CDR per leg. Legs arrive in any order, so calls
 * settle after quiet.
 * @module
 */
import { pbxSource } from '../core/source';
import { freeswitchConfigSchema } from './config';
import { freeswitchParser } from './parse';
import { freeswitchWebhook } from './webhook';

export const freeswitch = pbxSource({
  name: 'freeswitch',
  config: freeswitchConfigSchema,
  parser: freeswitchParser,
  webhooks: [freeswitchWebhook],
  settlesAfterQuiet: true,
});
