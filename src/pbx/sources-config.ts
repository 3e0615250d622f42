/**
 * `sources:` in the integrator config — one section per PBX source that has one, each defined
 * beside its source and named by it, gathered from the registry. A source is enabled by its
 * secret (environment) or, for the FreePBX poller, by its database URL here; these sections say
 * how to read what it sends.
 * @module
 */
import * as z from 'zod';
import type { PbxSource } from './core/source';
import { pbxSources } from './registry';

type Listed = (typeof pbxSources)[number];

/** Each source with a section: its name → its schema, a missing section being its defaults. */
type SectionsShape = {
  [S in Listed as S extends PbxSource<infer Name, infer Section> ? ([Section] extends [z.ZodType] ? Name : never) : never]: S extends PbxSource<
    string,
    infer Section extends z.ZodType
  >
    ? z.ZodPrefault<Section>
    : never;
};

function sectionsShape(): SectionsShape {
  const sources: readonly PbxSource[] = pbxSources;
  return Object.fromEntries(sources.flatMap((s) => (s.config ? [[s.name, s.config.prefault({})]] : []))) as SectionsShape;
}

export const sourcesConfigSchema = z.strictObject(sectionsShape()).prefault({}).describe('How each PBX source is read');

export type SourcesConfig = z.output<typeof sourcesConfigSchema>;
