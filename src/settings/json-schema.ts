/**
 * The integrator config as JSON Schema, generated from the zod schema so the two never disagree.
 * It is committed as config.schema.json (a config may say `$schema: ./config.schema.json` and
 * editors then complete and check keys) and printed by `calltrail config schema`; a unit test
 * fails when the committed file is stale.
 *
 * The input side (`io: 'input'`): what people write, where every key with a default is optional.
 * Checks zod cannot express in JSON Schema (templates, time zones, country codes) stay zod's:
 * `calltrail config validate` runs them.
 * @module
 */
import * as z from 'zod';
import { integratorConfigSchema } from './integrator';

export const CONFIG_SCHEMA_FILE = 'config.schema.json';

export function integratorJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(integratorConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return { $schema, title: 'calltrail integrator config', ...rest };
}

/** The file's exact text: two-space indent and a final newline, as editors save it. */
export function integratorJsonSchemaText(): string {
  return `${JSON.stringify(integratorJsonSchema(), null, 2)}\n`;
}
