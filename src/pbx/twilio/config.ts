/**
 * The twilio section of the integrator config (`sources.twilio`).
 * @module
 */
import { z } from 'zod';
import { timeZoneSchema } from '../../config/common';

const e164 = z.string().regex(/^\+[1-9]\d{5,14}$/, 'expected an E.164 number such as "+14155550100"');

export const twilioConfigSchema = z
  .strictObject({
    time_zone: timeZoneSchema.optional().describe('for times without an offset; default: the top-level time_zone'),
    own_numbers: z
      .array(e164)
      .default([])
      .describe(
        'Your Twilio numbers and verified caller IDs. A leg placed from one of them is outbound and a leg to one is ' +
          'inbound, so these numbers are never taken for the customer. Without them, a <Dial> leg between two phone ' +
          'numbers has no declared direction and the parent call decides.',
      ),
    parent_answer_counts: z
      .boolean()
      .default(false)
      .describe(
        'false (default): a parent call that Twilio answered is the carrier between the outside party and your TwiML; ' +
          'the conversation is on its <Dial> legs, so an inbound call nobody picked up is missed. true: the parent ' +
          "call's own answer counts (TwiML apps that never <Dial>, autodialers).",
      ),
    expect_recordings: z
      .boolean()
      .default(true)
      .describe('false: this account never records calls, so answered calls settle without waiting for a recording'),
  })
  .describe('twilio source');

export type TwilioConfig = z.output<typeof twilioConfigSchema>;
