/**
 * The Asterisk source: CDRs pushed by a script on the PBX (Master.csv lines or AMI Cdr events),
 * also read by `calltrail import asterisk-csv` and the Node service's AMI listener. One record per
 * bridge segment, none saying it was the last: calls settle after quiet.
 * @module
 */
import { pbxSource } from '../core/source';
import { asteriskConfigSchema } from './config';
import { asteriskParser } from './parse';
import { asteriskWebhook } from './webhook';

export const asterisk = pbxSource({
  name: 'asterisk',
  config: asteriskConfigSchema,
  parser: asteriskParser,
  webhooks: [asteriskWebhook],
  settlesAfterQuiet: true,
});
