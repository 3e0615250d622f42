/**
 * The shape every PBX source has: verify the request, parse its body into call events.
 * Parsing is pure and repeatable, so a stored inbox body can be replayed at any time.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { IntegratorConfig } from '../config/integrator';
import type { CallEvent } from '../domain/events';
import { numberDigits, toE164, type NumberRules } from '../domain/phone';
import { sourcesConfigSchema, type SourcesConfig } from './sources-config';

export interface ParseContext {
  /** Times without an offset are read in this zone (a source's own time_zone wins). */
  timeZone: string;
  /** Every source's section of the integrator config. */
  sources: SourcesConfig;
  /**
   * Which numbers are our extensions (extension_pattern) and the default country: sources that
   * work the direction out of their records (Asterisk channels) need them. Default: `^\d{2,5}$`, RU.
   */
  numbers?: NumberRules;
  /** `max_call_seconds` of the integrator config, for admission (domain/admit.ts); default a day. */
  maxCallSeconds?: number;
}

export const DEFAULT_NUMBER_RULES: NumberRules = { defaultCountry: 'RU', extensionPattern: /^\d{2,5}$/ };

/** A parse context with every source at its defaults (tests, tools). */
export function defaultParseContext(timeZone = 'Europe/Moscow'): ParseContext {
  return { timeZone, sources: sourcesConfigSchema.parse({}), numbers: DEFAULT_NUMBER_RULES };
}

/** The parse context of a deployment's config. */
export function parseContext(config: IntegratorConfig): ParseContext {
  return { timeZone: config.time_zone, sources: config.sources, numbers: numberRules(config), maxCallSeconds: config.max_call_seconds };
}

/** The number rules of a config: extension pattern, default country, and the countries of its lines. */
export function numberRules(config: Pick<IntegratorConfig, 'default_country' | 'extension_pattern' | 'lines'>): NumberRules {
  const lineCountries = new Map<string, CountryCode>();
  for (const [line, { default_country }] of Object.entries(config.lines)) {
    const digits = numberDigits(line).replace(/^\+/, '');
    lineCountries.set(digits, default_country);
    const e164 = /^\d+$/.test(digits) ? toE164(digits, config.default_country) : undefined;
    if (e164) lineCountries.set(e164.slice(1), default_country);
  }
  return { defaultCountry: config.default_country, extensionPattern: new RegExp(config.extension_pattern), lineCountries };
}

/**
 * The key space each source's conversations live in. FreePBX's cdr rows are Asterisk CDRs with
 * the same uniqueid/linkedid: a call read from Master.csv, pushed, relayed from AMI and polled
 * from the cdr table is one conversation, whichever paths it took.
 */
const CONVERSATION_SOURCE: Readonly<Record<string, string>> = { freepbx: 'asterisk' };

export const conversationSource = (source: string): string => CONVERSATION_SOURCE[source] ?? source;

/** Every source whose conversations live in this key space (itself first). */
export const sourcesSharing = (family: string): string[] => [family, ...Object.keys(CONVERSATION_SOURCE).filter((s) => CONVERSATION_SOURCE[s] === family)];

/**
 * A conversation family's rules: its sources' own `default_country` (sources.<name>.default_country;
 * for Asterisk CDRs, set on asterisk or on freepbx) over the deployment's.
 */
export function sourceNumberRules(rules: NumberRules, config: Pick<IntegratorConfig, 'sources'>, family: string): NumberRules {
  const sections = config.sources as Record<string, { default_country?: CountryCode } | undefined>;
  const country = sourcesSharing(family)
    .map((s) => sections[s]?.default_country)
    .find((c) => c !== undefined);
  return country ? { ...rules, defaultCountry: country } : rules;
}

/** The rules a parser works with: the context's, or the defaults. */
export const numbersOf = (ctx: ParseContext): NumberRules => ctx.numbers ?? DEFAULT_NUMBER_RULES;

/** The body is not what the source sends: a 400 for the sender, nothing stored. */
export class InvalidPayloadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'InvalidPayloadError';
  }
}

export interface PbxParser {
  /** Stable name, stored with every inbox event ("generic", "zadarma", …). */
  readonly name: string;
  /** Throws InvalidPayloadError for malformed input. */
  parse(raw: string, meta: Record<string, string>, ctx: ParseContext): CallEvent[];
}
