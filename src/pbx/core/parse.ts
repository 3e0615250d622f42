/**
 * What every PBX parser is: a pure function from a stored body (and the meta kept with it) to
 * call events, so a stored inbox body can be replayed at any time. A parser reads the deployment
 * through a ParseContext typed with only the `sources:` sections it needs (`ParseContext<{ mango:
 * MangoConfig }>`); pbx/source.ts gives the context over the whole config.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { CallEvent } from '../../domain/events';
import { numberDigits, toE164, type NumberRules } from '../../domain/phone';

export interface ParseContext<Sources = unknown> {
  /** Times without an offset are read in this zone (a source's own time_zone wins). */
  timeZone: string;
  /** The `sources:` sections of the integrator config (each parser reads its own). */
  sources: Sources;
  /**
   * Which numbers are our extensions (extension_pattern) and the default country: sources that
   * work the direction out of their records (Asterisk channels) need them. Default: `^\d{2,5}$`, RU.
   */
  numbers?: NumberRules;
  /** `max_call_seconds` of the integrator config, for admission (domain/admit.ts); default a day. */
  maxCallSeconds?: number;
}

export interface PbxParser<Sources = unknown> {
  /** Stable name, stored with every inbox event ("generic", "zadarma", …). */
  readonly name: string;
  /** Throws InvalidPayloadError for malformed input. */
  parse(raw: string, meta: Record<string, string>, ctx: ParseContext<Sources>): CallEvent[];
}

/** The body is not what the source sends: a 400 for the sender, nothing stored. */
export class InvalidPayloadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'InvalidPayloadError';
  }
}

/** The part of the integrator config parsing reads; IntegratorConfig satisfies it. */
export interface ParseConfig<Sources = unknown> {
  time_zone: string;
  default_country: CountryCode;
  extension_pattern: string;
  lines: Readonly<Record<string, { default_country?: CountryCode | undefined }>>;
  max_call_seconds?: number;
  sources: Sources;
}

export const DEFAULT_NUMBER_RULES: NumberRules = { defaultCountry: 'RU', extensionPattern: /^\d{2,5}$/ };

/** The rules a parser works with: the context's, or the defaults. */
export const numbersOf = (ctx: Pick<ParseContext, 'numbers'>): NumberRules => ctx.numbers ?? DEFAULT_NUMBER_RULES;

/** The number rules of a config: extension pattern, default country, and the countries of its lines. */
export function numberRules(config: Pick<ParseConfig, 'default_country' | 'extension_pattern' | 'lines'>): NumberRules {
  const lineCountries = new Map<string, CountryCode>();
  for (const [line, rules] of Object.entries(config.lines)) {
    const default_country = rules.default_country ?? config.default_country;
    const digits = numberDigits(line).replace(/^\+/, '');
    lineCountries.set(digits, default_country);
    const e164 = /^\d+$/.test(digits) ? toE164(digits, config.default_country) : undefined;
    if (e164) lineCountries.set(e164.slice(1), default_country);
  }
  return { defaultCountry: config.default_country, extensionPattern: new RegExp(config.extension_pattern), lineCountries };
}

/** The parse context of a deployment's config. */
export function parseContext<Sources>(config: ParseConfig<Sources>): ParseContext<Sources> {
  return { timeZone: config.time_zone, sources: config.sources, numbers: numberRules(config), maxCallSeconds: config.max_call_seconds };
}

/** A body's JSON, or the 400 saying why it is none. */
export function readJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new InvalidPayloadError([`body is not valid JSON: ${(error as Error).message}`]);
  }
}
