/**
 * Parsing over the whole deployment: the parse context of an integrator config (every `sources:`
 * section), the parsers typed with it, and number rules per conversation family. What each
 * source's own files share is in pbx/core; this is what the rest of calltrail reads.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { NumberRules } from '../domain/phone';
import {
  DEFAULT_NUMBER_RULES,
  parseContext as contextOf,
  type ParseConfig,
  type ParseContext as SourcesParseContext,
  type PbxParser as SourcesParser,
} from './core/parse';
import { sourcesSharing } from './registry';
import { sourcesConfigSchema, type SourcesConfig } from './sources-config';

export { DEFAULT_NUMBER_RULES, InvalidPayloadError, numberRules, numbersOf } from './core/parse';

/** A parse context carrying every source's section. */
export type ParseContext = SourcesParseContext<SourcesConfig>;
export type PbxParser = SourcesParser<SourcesConfig>;

/** A parse context with every source at its defaults (tests, tools). */
export function defaultParseContext(timeZone = 'Europe/Moscow'): ParseContext {
  return { timeZone, sources: sourcesConfigSchema.parse({}), numbers: DEFAULT_NUMBER_RULES };
}

/** The parse context of a deployment's config. */
export const parseContext = (config: ParseConfig<SourcesConfig>): ParseContext => contextOf(config);

/**
 * A conversation family's rules: its sources' own `default_country` (sources.<name>.default_country;
 * for Asterisk CDRs, set on asterisk or on freepbx) over the deployment's.
 */
export function sourceNumberRules(rules: NumberRules, config: { sources: SourcesConfig }, family: string): NumberRules {
  const sections = config.sources as Record<string, { default_country?: CountryCode } | undefined>;
  const country = sourcesSharing(family)
    .map((s) => sections[s]?.default_country)
    .find((c) => c !== undefined);
  return country ? { ...rules, defaultCountry: country } : rules;
}
