import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { parseIntegratorConfig } from '../settings/integrator';

const problems = (config: unknown): string[] => {
  try {
    parseIntegratorConfig(JSON.stringify(config), 'c.json');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

describe('unknown keys in the integrator config', () => {
  it('are named one by one on their own path, with the closest key the object knows', () => {
    expect(problems({ default_contry: 'DE', crm: { batchsize: 10, fieldz: {}, zzz: 1 }, extensions: { '101': { usr: 5 } } })).toEqual([
      'extensions.101.usr: unknown key — did you mean "user"?',
      'crm.batchsize: unknown key — did you mean "batch_size"?',
      'crm.fieldz: unknown key — did you mean "fields"?',
      'crm.zzz: unknown key',
      'default_contry: unknown key — did you mean "default_country"?',
    ]);
  });

  it('are found inside defaulted sections, arrays and per-source sections', () => {
    expect(problems({ missed_call_tasks: { enabeld: true }, crm: { fields: { contact: [{ field_id: 1, value: 'x', enumcode: 'WORK' }] } } })).toEqual([
      'missed_call_tasks.enabeld: unknown key — did you mean "enabled"?',
      'crm.fields.contact[0].enumcode: unknown key — did you mean "enum_code"?',
    ]);
  });
});
