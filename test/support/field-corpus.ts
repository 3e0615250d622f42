/**
 * The field corpus (test/fixtures/field): its samples, each with its expected reading, the config
 * its installation needs, and its files turned into the bodies the PBX sent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { bodiesFromFile } from '../../src/entry/node/check-files';

export const CORPUS_ROOT = join(import.meta.dirname, '../fixtures/field');

export interface ExpectedCall {
  key: string;
  direction: string;
  external: string | null;
  extension: string | null;
  outcome: string;
  talk_seconds: number;
  started_at?: string;
  legs?: number;
  deliver: boolean;
  skip_reason?: string;
  recordings?: string[];
}

export interface Expected {
  origin: string;
  synthetic: boolean;
  input: { kind: 'asterisk-csv' | 'freepbx-csv' | 'freepbx-rows' | 'bodies'; files: string[] };
  config?: Record<string, unknown>;
  calls: ExpectedCall[];
  dropped?: { at?: string; reason: string }[];
}

/** Every sample folder: <source>/<sample>/expected.yaml. */
export function corpusSamples(): { source: string; name: string; dir: string }[] {
  return readdirSync(CORPUS_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((s) =>
      readdirSync(join(CORPUS_ROOT, s.name), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(CORPUS_ROOT, s.name, d.name, 'expected.yaml')))
        .map((d) => ({ source: s.name, name: d.name, dir: join(CORPUS_ROOT, s.name, d.name) })),
    );
}

export function readSample(sample: { source: string; dir: string }) {
  const expected = parseYaml(readFileSync(join(sample.dir, 'expected.yaml'), 'utf8')) as Expected;
  const config = parseIntegratorConfig(stringify(expected.config ?? {}), 'expected.yaml');
  const bodies = expected.input.files.flatMap((f) => bodiesFromFile(sample.source, join(sample.dir, f)));
  return { expected, config, bodies };
}
