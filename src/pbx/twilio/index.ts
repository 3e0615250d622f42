/**
 * The Twilio source: the call status and recording status callbacks, and the Calls list for
 * reconciliation. Per-leg callbacks arrive in any order, so calls settle after quiet.
 * @module
 */
import { pbxSource } from '../core/source';
import { twilioConfigSchema } from './config';
import { twilioParser } from './parse';
import { twilioPull } from './pull';
import { twilioWebhooks } from './webhook';
import { twilioOriginator } from './originate';

export const twilio = pbxSource({
  name: 'twilio',
  config: twilioConfigSchema,
  parser: twilioParser,
  webhooks: twilioWebhooks,
  pull: twilioPull(),
  originate: twilioOriginator,
  settlesAfterQuiet: true,
});
