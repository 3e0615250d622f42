/**
 * Schema pieces shared by the integrator config and the PBX sources' sections of it.
 * @module
 */
import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import * as z from 'zod';

const countries = new Set<string>(getCountries());

/** A country for national phone numbers: ISO 3166-1 alpha-2, as libphonenumber knows them. */
export const countryCodeSchema = z
  .string()
  .refine((v) => countries.has(v), {
    message: 'expected an ISO 3166-1 alpha-2 country code in upper case, such as "RU" or "DE"',
  })
  .transform((v) => v as CountryCode);

export const timeZoneSchema = z.string().refine((v) => IANAZone.isValidZone(v), {
  message: 'expected an IANA time zone name, such as "Europe/Moscow" or "UTC"',
});
