/**
 * The twilio section of the integrator config (`sources.twilio`).
 * @module
 */
import * as z from 'zod';
import { commonSectionFields, flag } from '../core/config';

const e164 = z.string().regex(/^\+[1-9]\d{5,14}$/, 'expected an E.164 number such as "+14155550100"');

/** What Twilio rings first for a rep: a Voice SDK client, a SIP URI, or a phone number. */
const device = z
  .string()
  .regex(
    /^(client:[\w.@-]{1,121}|sip:[^\s<>"]{3,250}|\+[1-9]\d{5,14})$/,
    'expected "client:<identity>", "sip:<user>@<host>" or an E.164 number such as "+14155550100"',
  );

const twilioClickToCallSchema = z
  .strictObject({
    enabled: flag(true, 'false: calltrail never asks Twilio to call (POST /v1/originate refuses for this source)'),
    account_sid: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits')
      .optional()
      .describe('the account (AC…) whose Calls API places the call, authenticated with TWILIO_AUTH_TOKEN; required for click-to-call'),
    caller_id: e164
      .optional()
      .describe('the Twilio number (or verified caller ID) the customer sees, unless the request names one; required for click-to-call'),
    devices: z
      .record(z.string().regex(/^[\w.@+-]{1,64}$/, 'expected an extension such as "101"'), device)
      .default({})
      .describe('each rep\'s extension → what Twilio rings first: "client:alice" (Voice SDK), "sip:101@pbx.example.com" or "+14155550100"'),
    status_callback_url: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe("calltrail's public /v1/pbx/twilio/status URL: asked of both legs so the call reaches the ledger like any other"),
  })
  .prefault({})
  .describe("click-to-call through the Calls API: Twilio rings the rep's device, then <Dial>s the customer");

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
    click_to_call: twilioClickToCallSchema,
  })
  .describe('twilio source');

export type TwilioConfig = z.output<typeof twilioConfigSchema>;
