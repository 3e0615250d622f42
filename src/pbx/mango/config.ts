/**
 * The mango section of the integrator config (`sources.mango`).
 * @module
 */
import * as z from 'zod';
import type { ParseContext } from '../core/parse';
import { commonSectionFields, flag } from '../core/config';

export const mangoConfigSchema = z
  .strictObject({
    ...commonSectionFields('used only with timestamps_in_local_time; default: the top-level time_zone'),
    timestamps_in_local_time: flag(
      false,
      'Mango sends unix timestamps, labelled "UTC+3" in its documentation. calltrail reads them as ordinary unix ' +
        "seconds; if your calls show up shifted by your zone's offset, set true to read each as a wall-clock time in time_zone",
    ),
    expect_recordings: flag(
      true,
      'answered extension legs wait up to SETTLE_SECONDS for their recording (events/recording); ' + 'set false when Mango does not record calls',
    ),
    click_to_call: z
      .strictObject({
        enabled: flag(true, 'false: calltrail never asks Mango to call (POST /v1/originate refuses for this source)'),
        line_number: z
          .string()
          .regex(/^\+?\d{5,15}$/, 'expected one of your Mango lines, digits, such as "74951234567"')
          .optional()
          .describe("the line the customer is called from (line_number), unless the request names one; unset: the line Mango's settings choose"),
      })
      .prefault({})
      .describe("click-to-call through Mango's commands/callback (MANGO_API_KEY and MANGO_API_SALT)"),
  })
  .describe('mango source');

export type MangoConfig = z.output<typeof mangoConfigSchema>;

/** What the Mango parser reads of the deployment. */
export type MangoContext = ParseContext<{ mango: MangoConfig }>;
