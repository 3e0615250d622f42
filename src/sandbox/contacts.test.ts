import { describe, expect, it } from 'vitest';
import { call, callItem, testSandbox } from './testing';

describe('GET /api/v4/contacts', () => {
  it('finds by name, case-insensitively, with the PHONE field in amoCRM shape', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const res = await call(sb, 'GET', '/api/v4/contacts?query=ivan');
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/hal+json');
    const contacts = res.json._embedded.contacts;
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({
      name: 'Ivan Petrov',
      responsible_user_id: 1000,
      custom_fields_values: [
        {
          field_id: 1,
          field_name: 'Телефон',
          field_code: 'PHONE',
          field_type: 'multitext',
          values: [{ value: '+7 495 123-45-67', enum_id: 1, enum_code: 'WORK' }],
        },
      ],
      _embedded: { companies: [] },
    });
    expect(contacts[0]._embedded.leads).toBeUndefined();
  });

  it('finds by phone digits as a substring of the number as typed (at least 5 digits)', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const names = async (q: string) => {
      const res = await call(sb, 'GET', `/api/v4/contacts?query=${encodeURIComponent(q)}`);
      return res.status === 204 ? [] : res.json._embedded.contacts.map((c: { name: string }) => c.name);
    };
    expect(await names('916 555')).toEqual(['Olga Smirnova']);
    expect(await names('74951234567')).toEqual(['Ivan Petrov']);
    // Typed as "8 (916) …": its digits do not contain "7916…" — amoCRM's search is that literal.
    expect(await names('+79165551234')).toEqual([]);
    expect(await names('4951')).toEqual([]);
  });

  it('answers 204 when nothing matches', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const res = await call(sb, 'GET', '/api/v4/contacts?query=nobody');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('embeds leads with with=leads, pages, and reads one contact by id', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const olga = sb.store.contacts().find((c) => c.name === 'Olga Smirnova');
    const res = await call(sb, 'GET', '/api/v4/contacts?query=olga&with=leads');
    expect(res.json._embedded.contacts[0]._embedded.leads).toEqual([expect.objectContaining({ id: olga?.lead_ids[0] })]);
    const paged = await call(sb, 'GET', '/api/v4/contacts?limit=2');
    expect(paged.json._embedded.contacts).toHaveLength(2);
    expect(paged.json._links.next.href).toContain('page=2');
    const one = await call(sb, 'GET', `/api/v4/contacts/${olga?.id}`);
    expect(one.json).toMatchObject({ id: olga?.id, name: 'Olga Smirnova' });
    expect((await call(sb, 'GET', '/api/v4/contacts/42')).status).toBe(204);
  });
});

describe('POST /api/v4/contacts', () => {
  it('creates contacts whose numbers /calls matches at once, without deduplicating', async () => {
    const { sb } = testSandbox();
    const body = [
      { name: 'New caller', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+7 999 111-22-33', enum_code: 'MOB' }] }], request_id: 'n1' },
      { first_name: 'Same', last_name: 'Number', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '89991112233' }] }] },
    ];
    const res = await call(sb, 'POST', '/api/v4/contacts', body);
    expect(res.status).toBe(200);
    const [first, second] = res.json._embedded.contacts;
    expect(first).toMatchObject({ request_id: 'n1' });
    expect(second).toMatchObject({ request_id: '1' });
    expect(first.id).not.toBe(second.id);
    expect(sb.store.contacts().map((c) => c.name)).toEqual(['New caller', 'Same Number']);
    expect(sb.store.contacts()[0]?.phones).toEqual([{ value: '+7 999 111-22-33', enum_code: 'MOB' }]);

    const posted = await call(sb, 'POST', '/api/v4/calls', [callItem('+79991112233')]);
    expect(posted.status).toBe(200);
    expect(posted.json._embedded.calls[0]).toMatchObject({ entity_type: 'contact', entity_id: first.id });
  });

  it('validates users and fields', async () => {
    const { sb } = testSandbox();
    const res = await call(sb, 'POST', '/api/v4/contacts', [
      { name: 'x', responsible_user_id: 5 },
      { name: 'y', custom_fields_values: [{ field_code: 'EMAIL', values: [{ value: 'a@b.c' }] }] },
    ]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toEqual([
      { request_id: '0', errors: [expect.objectContaining({ path: 'responsible_user_id' })] },
      { request_id: '1', errors: [expect.objectContaining({ path: 'custom_fields_values.0.field_code' })] },
    ]);
    expect(sb.store.contacts()).toHaveLength(0);
  });
});
