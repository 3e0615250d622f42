/**
 * The shape every PBX source has: verify the request, parse its body into call events.
 * Parsing is pure and repeatable, so a stored inbox body can be replayed at any time.
 * @module
 */
import type { CallEvent } from '../domain/events';
import { sourcesConfigSchema, type SourcesConfig } from './sources-config';

export interface ParseContext {
  /** Times without an offset are read in this zone (a source's own time_zone wins). */
  timeZone: string;
  /** Every source's section of the integrator config. */
  sources: SourcesConfig;
}

/** A parse context with every source at its defaults (tests, tools). */
export function defaultParseContext(timeZone = 'Europe/Moscow'): ParseContext {
  return { timeZone, sources: sourcesConfigSchema.parse({}) };
}

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
