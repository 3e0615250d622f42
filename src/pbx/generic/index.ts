/**
 * The generic source: calltrail's own JSON events, for any PBX a script can speak for. It has no
 * `sources:` section and no API to ask; its events say themselves when a call is over.
 * @module
 */
import { pbxSource } from '../core/source';
import { genericParser } from './parse';
import { genericWebhook } from './webhook';

export const generic = pbxSource({
  name: 'generic',
  parser: genericParser,
  webhooks: [genericWebhook],
});
