import { describe, expect, it } from 'vitest';
import { call, testSandbox } from './testing';

describe('companies and leads for a caller lookup', () => {
  it('a contact embeds its company (id only) and, with=leads, its leads (id only)', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const olga = sb.store.contacts().find((c) => c.name === 'Olga Smirnova');
    const vector = sb.store.companies().find((c) => c.name === 'ООО Вектор');
    const res = await call(sb, 'GET', '/api/v4/contacts?query=9165551234&with=leads,companies');
    const contact = res.json._embedded.contacts[0];
    expect(contact).toMatchObject({ id: olga?.id, responsible_user_id: 1001 });
    expect(contact._embedded.companies).toEqual([{ id: vector?.id, _links: expect.any(Object) }]);
    expect(contact._embedded.leads).toEqual([{ id: olga?.lead_ids[0], _links: expect.any(Object) }]);
  });

  it('GET /api/v4/companies: query by phone digits or name, with=leads,contacts; one by id; 204 when none', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const vector = sb.store.companies().find((c) => c.name === 'ООО Вектор');
    const res = await call(sb, 'GET', '/api/v4/companies?query=4957000000&with=leads,contacts');
    expect(res.status).toBe(200);
    const company = res.json._embedded.companies[0];
    expect(company).toMatchObject({
      id: vector?.id,
      name: 'ООО Вектор',
      responsible_user_id: 1002,
      custom_fields_values: [expect.objectContaining({ field_code: 'PHONE', values: [expect.objectContaining({ value: '+7 (495) 700-00-00' })] })],
    });
    expect(company._embedded.leads).toHaveLength(2);
    expect(company._embedded.contacts).toEqual([expect.objectContaining({ id: sb.store.contacts().find((c) => c.name === 'Olga Smirnova')?.id })]);
    expect((await call(sb, 'GET', `/api/v4/companies/${vector?.id}`)).json).toMatchObject({ name: 'ООО Вектор' });
    expect((await call(sb, 'GET', '/api/v4/companies?query=nobody')).status).toBe(204);
    expect((await call(sb, 'GET', '/api/v4/companies/42')).status).toBe(204);
  });

  it('GET /api/v4/leads: filter[id][] with status_id and pipeline_id (142 won closes), filter by status, order, 204', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const vector = sb.store.companies().find((c) => c.name === 'ООО Вектор');
    const ids = vector?.lead_ids ?? [];
    const query = ids.map((id) => `filter[id][]=${id}`).join('&');
    const res = await call(sb, 'GET', `/api/v4/leads?${query}`);
    expect(res.json._embedded.leads.map((l: { id: number; status_id: number; closed_at: unknown }) => [l.id, l.status_id, l.closed_at === null])).toEqual([
      [ids[0], 142, false],
      [ids[1], 61000001, true],
    ]);
    expect(res.json._embedded.leads[0]).toMatchObject({ pipeline_id: 7000001, responsible_user_id: 1002, _embedded: { companies: [{ id: vector?.id }] } });
    const open = await call(sb, 'GET', `/api/v4/leads?${query}&filter[statuses][0][pipeline_id]=7000001&filter[statuses][0][status_id]=61000001`);
    expect(open.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([ids[1]]);
    const desc = await call(sb, 'GET', `/api/v4/leads?${query}&order[id]=desc`);
    expect(desc.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([ids[1], ids[0]]);
    expect((await call(sb, 'GET', '/api/v4/leads?filter[id][]=1')).status).toBe(204);
    expect((await call(sb, 'GET', `/api/v4/leads/${ids[1]}`)).json).toMatchObject({ id: ids[1], status_id: 61000001 });
    expect((await call(sb, 'GET', '/api/v4/leads?filter[id][]=x')).status).toBe(400);
  });
});
