/**
 * The zadarma section of the integrator config (`sources.zadarma`).
 * @module
 */
import * as z from 'zod';
import { commonSectionFields, flag } from '../core/config';

/** Zadarma's bounds for the `lifetime` of a recording link (seconds). */
export const LINK_LIFETIME_MIN = 180;
export const LINK_LIFETIME_MAX = 5_184_000;

export const zadarmaConfigSchema = z
  .strictObject({
    ...commonSectionFields(
      'the zone of call_start (Zadarma sends local times without an offset, in the zone set in your Zadarma account); ' + 'default: the top-level time_zone',
    ),
    recording_link_lifetime_seconds: z
      .number()
      .int()
      .min(LINK_LIFETIME_MIN)
      .max(LINK_LIFETIME_MAX)
      .default(LINK_LIFETIME_MAX)
      .describe(
        'how long the recording link asked from Zadarma stays valid; it is the link put into the CRM note, so the default ' + "is Zadarma's maximum (60 days)",
      ),
    click_to_call: z
      .strictObject({
        enabled: flag(true, 'false: calltrail never asks Zadarma to call (POST /v1/originate refuses for this source)'),
        sip: z
          .string()
          .regex(/^\d{1,20}$/, 'expected a SIP number or PBX extension, digits only')
          .optional()
          .describe('"sip" of the callback request: the SIP number or PBX extension whose caller ID the customer sees; unset: Zadarma\'s default'),
        predicted: flag(false, 'true: Zadarma calls the customer first and connects the rep only once the customer answers ("predicted")'),
      })
      .prefault({})
      .describe("click-to-call through Zadarma's callback API (ZADARMA_API_KEY and ZADARMA_API_SECRET)"),
  })
  .describe('zadarma source');

export type ZadarmaConfig = z.output<typeof zadarmaConfigSchema>;
