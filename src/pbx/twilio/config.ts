/**
 * The twilio section of the integrator config (`sources.twilio`).
 * @module
 */
import { z } from 'zod';
import { commonSectionFields, flag } from '../core/config';

const e164 = z.string().regex(/^\+[1-9]\d{5,14}$/, 'expected an E.164 number such as "+14155550100"');

export const twilioConfigSchema = z
  .strictObject({
    ...commonSectionFields('for times without an offset; default: the top-level time_zone'),
    own_numbers: z
      .array(e164)
      .default([])
      .describe(
        'Your Twilio numbers and verified caller IDs. A leg placed from one of them is outbound and a leg to one is ' +
          'inbound, so these numbers are never taken for the customer. Without them, a <Dial> leg between two phone ' +
          'numbers has no declared direction and the parent call decides.',
      ),
    parent_answer_counts: flag(
      false,
      'false (default): an inbound parent call that Twilio answered to run your TwiML, and a Calls API call that rings ' +
        'your own agent first (click-to-call), are carriers: the conversation is on their <Dial> legs, so an inbound call ' +
        'nobody picked up is missed. A Calls API call to an outside number the person answered (AnsweredBy human or ' +
        "unknown) is answered with its CallDuration. true: every parent call's own answer counts (TwiML apps that never <Dial>).",
    ),
    expect_recordings: flag(true, 'false: this account never records calls, so answered calls settle without waiting for a recording'),
  })
  .describe('twilio source');

export type TwilioConfig = z.output<typeof twilioConfigSchema>;
