/**
 * The presets in presets/*.yaml are complete `crm:` sections an integrator copies: each must load
 * through the same parser as a real config file, with the requests calltrail needs. What each
 * preset does against its CRM is tested by driving the generic adapter built from it against msw
 * fakes of the vendor: presets.hubspot.test.ts and presets.pipedrive.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIntegratorConfig } from '../settings/integrator';

const load = (name: string) => parseIntegratorConfig(readFileSync(join(import.meta.dirname, '../../presets', `${name}.yaml`), 'utf8'), `${name}.yaml`);

describe('presets', () => {
  it('hubspot: calls object with duration in ms, contact association 194, uniq property, cursor listing', () => {
    const generic = load('hubspot').crm.generic;
    expect(generic?.log_call.request).toMatchObject({ method: 'POST', path: '/crm/v3/objects/calls' });
    const body = JSON.stringify(generic?.log_call.request.body);
    expect(body).toContain('"hs_call_duration":"{{ duration_ms }}"');
    expect(body).toContain('"associationTypeId":194');
    expect(generic?.list_calls).toMatchObject({ uniq: 'properties.calltrail_uniq', pagination: { type: 'cursor', next: 'paging.next.after' } });
    expect(generic?.auth).toEqual({ type: 'bearer', token: { env: 'HUBSPOT_TOKEN' } });
  });

  it('pipedrive: callLogs, multipart recording upload, persons search by phone, uniq in the note', () => {
    const generic = load('pipedrive').crm.generic;
    expect(generic?.log_call.request).toMatchObject({ method: 'POST', path: '/v1/callLogs' });
    expect(generic?.attach_recording).toMatchObject({ mode: 'multipart', field: 'file', request: { path: '/v1/callLogs/{{ crm_call_id }}/recordings' } });
    expect(generic?.find_contact.request).toMatchObject({ path: '/api/v2/persons/search', query: { fields: 'phone' } });
    expect(generic?.list_calls).toMatchObject({ uniq: 'note', pagination: { type: 'offset', param: 'start', size_param: 'limit' } });
  });
});
