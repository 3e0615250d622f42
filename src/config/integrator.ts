/**
 * The integrator's config file (CONFIG_FILE, JSON or YAML; on Workers the CONFIG var).
 * Unknown keys are errors, so a typo never silently falls back to a default.
 * @module
 */
import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssues } from './errors';

const countries = new Set<string>(getCountries());

export const integratorConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    default_country: z
      .string()
      .default('RU')
      .refine((v) => countries.has(v), {
        message: 'expected an ISO 3166-1 alpha-2 country code in upper case, such as "RU" or "DE"',
      })
      .transform((v) => v as CountryCode),
    time_zone: z
      .string()
      .default('Europe/Moscow')
      .refine((v) => IANAZone.isValidZone(v), {
        message: 'expected an IANA time zone name, such as "Europe/Moscow" or "UTC"',
      }),
    extension_pattern: z
      .string()
      .default('^\\d{2,5}$')
      .refine(isRegExp, { message: 'expected a regular expression matching internal extensions' })
      .describe('Numbers matching this are internal extensions, never matched to CRM contacts'),
  })
  .describe('calltrail integrator configuration');

export type IntegratorConfig = z.output<typeof integratorConfigSchema>;

function isRegExp(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

/** Defaults for everything: what runs when no config file is given. */
export function defaultIntegratorConfig(): IntegratorConfig {
  return integratorConfigSchema.parse({});
}

/**
 * Parse config text. `name` decides the syntax (.yaml/.yml → YAML, else JSON) and labels errors.
 */
export function parseIntegratorConfig(text: string, name: string): IntegratorConfig {
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(name) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(name, [`cannot be read as ${/\.ya?ml$/i.test(name) ? 'YAML' : 'JSON'}: ${(error as Error).message}`]);
  }
  const result = integratorConfigSchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(name, describeIssues(result.error));
  return result.data;
}
