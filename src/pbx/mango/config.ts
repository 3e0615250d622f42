/**
 * The mango section of the integrator config (`sources.mango`).
 * @module
 */
import { z } from 'zod';
import { charsetSchema } from '../../lib/charset';
import { countryCodeSchema, timeZoneSchema } from '../../config/common';

export const mangoConfigSchema = z
  .strictObject({
    charset: charsetSchema,
    default_country: countryCodeSchema.optional().describe('National numbers from this PBX belong to this country; default: the top-level default_country'),
    time_zone: timeZoneSchema
      .optional()
      .describe('used only with timestamps_in_local_time; default: the top-level time_zone'),
    timestamps_in_local_time: z
      .boolean()
      .default(false)
      .describe(
        'Mango sends unix timestamps, labelled "UTC+3" in its documentation. calltrail reads them as ordinary unix ' +
          'seconds; if your calls show up shifted by your zone\'s offset, set true to read each as a wall-clock time in time_zone',
      ),
    expect_recordings: z
      .boolean()
      .default(true)
      .describe(
        'answered extension legs wait up to SETTLE_SECONDS for their recording (events/recording); ' +
          'set false when Mango does not record calls',
      ),
  })
  .describe('mango source');

export type MangoConfig = z.output<typeof mangoConfigSchema>;
