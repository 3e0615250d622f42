import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors';
import { parseIntegratorConfig } from '../../settings/integrator';
import { fakeCrmConfig } from '#test/fake-rest-crm';

const base = fakeCrmConfig('https://crm.example/api/v1');

function load(generic: unknown, rest: Record<string, unknown> = {}) {
  return parseIntegratorConfig(JSON.stringify({ crm: { adapter: 'generic', generic }, ...rest }), 'calltrail.json');
}

function problems(generic: unknown, rest: Record<string, unknown> = {}): string[] {
  try {
    load(generic, rest);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('crm.generic in the config', () => {
  it('loads a complete section with its defaults', () => {
    const config = load(base);
    expect(config.crm.adapter).toBe('generic');
    const generic = config.crm.generic!;
    expect(generic.retry_statuses).toEqual([429, 500, 502, 503, 504]);
    expect(generic.attach_recording).toEqual({ mode: 'link' });
    expect(generic.log_call.request.method).toBe('POST');
    expect(generic.find_contact.request.method).toBe('GET');
  });

  it('keeps amoCRM the default adapter, and needs no generic section for it', () => {
    expect(parseIntegratorConfig('{}', 'c.json').crm.adapter).toBe('amocrm');
  });

  it('requires the section when the adapter is generic', () => {
    expect(problems(undefined)).toEqual(['crm.generic: is required with crm.adapter: generic']);
  });

  it('names an unknown template variable by its path, with a suggestion', () => {
    const bad = { ...base, log_call: { ...base.log_call, request: { path: '/calls', body: { contact: { id: '{{ contat_id }}' } } } } };
    expect(problems(bad)).toEqual([
      expect.stringMatching(/^crm\.generic\.log_call\.request\.body\.contact\.id: unknown variable \{\{contat_id\}\} — did you mean \{\{contact_id\}\}\?/),
    ]);
  });

  it('refuses a variable that belongs to another request', () => {
    const bad = { ...base, find_contact: { ...base.find_contact, request: { path: '/contacts', query: { q: '{{ uniq }}' } } } };
    expect(problems(bad)[0]).toMatch(/^crm\.generic\.find_contact\.request\.query\.q: unknown variable \{\{uniq\}\}/);
  });

  it('refuses an unknown filter and a selector that does not parse', () => {
    const bad = { ...base, log_call: { request: { path: '/calls', body: { d: '{{ duration | secs }}' } }, id: 'data.[' } };
    const found = problems(bad);
    expect(found).toContainEqual(expect.stringMatching(/^crm\.generic\.log_call\.request\.body\.d: unknown filter "secs"/));
    expect(found).toContainEqual(expect.stringMatching(/^crm\.generic\.log_call\.id: not a JMESPath expression/));
  });

  it('explains a wrong auth type and a bad secret reference', () => {
    expect(problems({ ...base, auth: { type: 'digest' } })[0]).toMatch(
      /^crm\.generic\.auth\.type: expected type: none, bearer, basic, header or oauth2_client_credentials/,
    );
    expect(problems({ ...base, auth: { type: 'bearer', token: { env: 'not a name' } } })[0]).toMatch(/^crm\.generic\.auth\.token/);
  });

  it('refuses unsorted unknown callers, and contact creation without create_contact', () => {
    expect(problems(base, { unknown_callers: { inbound: 'unsorted' } })).toEqual([
      'unknown_callers.inbound: unsorted is amoCRM only; with crm.adapter: generic use contact or skip',
    ]);
    const { create_contact: _, ...withoutCreate } = base;
    expect(problems(withoutCreate)[0]).toMatch(/^crm\.generic\.create_contact: is required: unknown_callers\.inbound is contact/);
    expect(problems(withoutCreate, { unknown_callers: { inbound: 'skip', outbound: 'skip' } })).toEqual([]);
  });

  it('requires create_task when missed-call tasks are on', () => {
    expect(problems(base, { missed_call_tasks: { enabled: true } })).toEqual(['crm.generic.create_task: is required when missed_call_tasks.enabled is true']);
  });

  it('accepts the complete example of docs/generic-crm.md', () => {
    const doc = readFileSync(new URL('../../../docs/generic-crm.md', import.meta.url), 'utf8');
    const example = /## A complete example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = parseIntegratorConfig(example!, 'example.yaml');
    expect(config.crm.generic?.auth).toMatchObject({ type: 'oauth2_client_credentials', client_secret: { env: 'LEDGERLY_CLIENT_SECRET' } });
    expect(config.crm.generic?.list_calls?.pagination).toEqual({ type: 'cursor', param: 'cursor', next: 'paging.next_cursor' });
  });
});
