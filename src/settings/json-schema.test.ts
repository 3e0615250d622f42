import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, integratorJsonSchema, integratorJsonSchemaText } from './json-schema';

const REGENERATE = `${CONFIG_SCHEMA_FILE} is stale: regenerate it with \`npx calltrail config schema --out ${CONFIG_SCHEMA_FILE}\` and commit it`;

describe('the published JSON Schema', () => {
  it('is the committed config.schema.json, byte for byte', () => {
    const path = join(import.meta.dirname, '../..', CONFIG_SCHEMA_FILE);
    const committed = existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
    expect(committed, REGENERATE).toBe(integratorJsonSchemaText());
  });

  it('describes what people write: closed objects, defaults optional, descriptions kept', () => {
    const schema = integratorJsonSchema() as any;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required ?? []).toEqual([]);
    const crm = schema.properties.crm;
    expect(crm.additionalProperties).toBe(false);
    expect(crm.properties.batch_size).toMatchObject({ type: 'integer', default: 50, maximum: 250 });
    const contactField = crm.properties.fields.properties.contact.items;
    expect(contactField.required).toEqual(['field_id', 'value']);
    expect(contactField.properties.value.description).toMatch(/template over the call/);
    expect(schema.properties.unknown_callers.properties.inbound.enum).toEqual(['contact', 'unsorted', 'skip']);
  });
});
