/**
 * Fields most `sources:` sections share: the charset a PBX writes in, the country of its
 * national numbers, the zone of its local times. Spread into a section's schema where they go.
 * @module
 */
import * as z from 'zod';
import { countryCodeSchema, timeZoneSchema } from '../../config/common';
import { charsetSchema } from '../../lib/charset';

/** charset, default_country and time_zone; `timeZone` says how this PBX's times use the zone. */
export function commonSectionFields(timeZone: string) {
  return {
    charset: charsetSchema,
    default_country: countryCodeSchema.optional().describe('National numbers from this PBX belong to this country; default: the top-level default_country'),
    time_zone: timeZoneSchema.optional().describe(timeZone),
  };
}

/** A yes/no setting with its default, described for the integrator. */
export const flag = (defaultValue: boolean, description: string) => z.boolean().default(defaultValue).describe(description);
