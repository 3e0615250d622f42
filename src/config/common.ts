/**
 * Schema pieces shared by the integrator config and the PBX sources' sections of it.
 * @module
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';

export const timeZoneSchema = z.string().refine((v) => IANAZone.isValidZone(v), {
  message: 'expected an IANA time zone name, such as "Europe/Moscow" or "UTC"',
});
