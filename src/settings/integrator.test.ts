import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { defaultIntegratorConfig, parseIntegratorConfig } from './integrator';

const problems = (text: string, name = 'calltrail.json') => {
  try {
    parseIntegratorConfig(text, name);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('integrator config', () => {
  it('has defaults for a Russian call centre', () => {
    expect(defaultIntegratorConfig()).toMatchObject({ default_country: 'RU', time_zone: 'Europe/Moscow', extension_pattern: '^\\d{2,5}$' });
  });

  it('puts every call on the CRM by default: unknown callers get a contact, tasks are opt-in', () => {
    const config = defaultIntegratorConfig();
    expect(config.unknown_callers).toEqual({ inbound: 'contact', outbound: 'contact' });
    expect(config.missed_call_tasks.enabled).toBe(false);
    expect(config.call_results.answered).toEqual({ status: 4, text: 'Conversation' });
    expect(config.crm).toMatchObject({ source: 'calltrail', batch_size: 50 });
  });

  it('fills the defaults of a partly given section', () => {
    const config = parseIntegratorConfig('{"unknown_callers":{"outbound":"skip"},"call_results":{"busy":{"text":"Занято"}}}', 'c.json');
    expect(config.unknown_callers).toEqual({ inbound: 'contact', outbound: 'skip' });
    expect(config.call_results.busy).toEqual({ status: 7, text: 'Занято' });
  });

  it('checks templates and extension maps at load', () => {
    expect(problems('{"missed_call_tasks":{"text":"Call {{ phonee }}"},"extensions":{"101":"anna"}}')).toEqual([
      'extensions.101: expected a CRM user id (a positive integer) or {"user": id, "department": name}',
      'missed_call_tasks.text: unknown variable {{phonee}} — did you mean {{phone}}?',
    ]);
  });

  it('reads JSON and YAML', () => {
    expect(parseIntegratorConfig('{"default_country":"DE","time_zone":"Europe/Berlin"}', 'c.json')).toMatchObject({
      default_country: 'DE',
      time_zone: 'Europe/Berlin',
    });
    expect(parseIntegratorConfig('default_country: GB\nextension_pattern: "^1\\\\d{3}$"\n', 'c.yaml')).toMatchObject({
      default_country: 'GB',
      extension_pattern: '^1\\d{3}$',
    });
    expect(parseIntegratorConfig('', 'empty.yml')).toEqual(defaultIntegratorConfig());
  });

  it('points at each wrong value by its path', () => {
    expect(problems('{"default_country":"Russia","time_zone":"Moscow","extension_pattern":"(["}')).toEqual([
      'default_country: expected an ISO 3166-1 alpha-2 country code in upper case, such as "RU" or "DE"',
      'time_zone: expected an IANA time zone name, such as "Europe/Moscow" or "UTC"',
      'extension_pattern: expected a regular expression matching internal extensions',
    ]);
  });

  it('rejects unknown keys, so a typo is not silently ignored', () => {
    expect(problems('{"default_contry":"DE"}')[0]).toMatch(/default_contry/);
  });

  it('says when the file is not JSON or YAML', () => {
    expect(problems('{nope', 'c.json')[0]).toMatch(/^cannot be read as JSON: /);
    expect(problems('a: [', 'c.yaml')[0]).toMatch(/cannot be read as YAML/);
  });
});
