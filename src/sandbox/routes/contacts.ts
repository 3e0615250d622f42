/**
 * Contacts: search, read one, create. `query` matches the name case-insensitively or — when it
 * holds at least 5 digits — a phone whose digits contain the query's digits. That is a substring
 * test on the phone **as typed**, so "+7 495…" is not found by "8495…": clients must try the
 * spellings and then verify the PHONE field themselves. Creating never deduplicates (the same
 * phone twice is two contacts), and the new numbers are matchable by /calls at once.
 * A contact without phones has `custom_fields_values: null`, as in amoCRM; an unknown id is a 204.
 * Other custom fields (by `field_id`; the sandbox account has every id above 1) and
 * `_embedded.tags` are kept and shown, so a test can see what crm.fields mapped.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { type Contact, type Party, PHONE_ENUMS } from '../core/model';
import { pageLinks, pageOf, paging, selfLink } from '../core/query';
import { type FieldError, hal, noContent } from '../core/responses';
import { readBatch, userError } from '../core/validation';

const contactSchema = z.object({
  name: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  responsible_user_id: z.number().int().optional(),
  created_by: z.number().int().optional(),
  custom_fields_values: z
    .array(
      z.object({
        field_id: z.number().int().optional(),
        field_code: z.string().optional(),
        values: z.array(z.object({ value: z.string().min(1), enum_code: z.string().optional() })),
      }),
    )
    .nullable()
    .optional(),
  _embedded: z.object({ tags: z.array(z.object({ name: z.string().min(1) })).optional() }).optional(),
  request_id: z.string().optional(),
});
type ContactInput = z.output<typeof contactSchema>;

const CHOICE = 'The value you selected is not a valid choice.';

function fieldErrors(input: ContactInput): FieldError[] {
  return (input.custom_fields_values ?? []).flatMap((field, i) => {
    const isPhone = field.field_code === 'PHONE' || (field.field_code === undefined && field.field_id === 1);
    // Any other field id stands for one of the account's custom fields (the sandbox has them all).
    if (!isPhone && field.field_code === undefined && field.field_id !== undefined && field.field_id > 1) return [];
    if (!isPhone) return [{ code: 'NotSupportedChoice', path: `custom_fields_values.${i}.field_code`, detail: CHOICE }];
    return field.values.flatMap((v, j) =>
      v.enum_code === undefined || v.enum_code in PHONE_ENUMS
        ? []
        : [{ code: 'NotSupportedChoice', path: `custom_fields_values.${i}.values.${j}.enum_code`, detail: CHOICE }],
    );
  });
}

/** The fields contacts and companies share, as amoCRM shows them (PHONE first among the custom fields). */
export function partyFields(contact: Party, accountId: number) {
  const phones = contact.phones.map((p) => ({ value: p.value, enum_id: PHONE_ENUMS[p.enum_code], enum_code: p.enum_code }));
  return {
    id: contact.id,
    name: contact.name,
    responsible_user_id: contact.responsible_user_id,
    group_id: 0,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    is_deleted: false,
    account_id: accountId,
    custom_fields_values:
      phones.length || contact.custom_fields.length
        ? [
            ...(phones.length ? [{ field_id: 1, field_name: 'Телефон', field_code: 'PHONE', field_type: 'multitext', values: phones }] : []),
            ...contact.custom_fields.map((f) => ({
              field_id: f.field_id,
              field_name: `Field ${f.field_id}`,
              field_code: null,
              field_type: 'text',
              values: f.values,
            })),
          ]
        : null,
  };
}

/**
 * A contact as amoCRM answers it: its company always embedded (id and link only, as amoCRM does —
 * the name takes GET /api/v4/companies/{id}), its leads with `with=leads` (id and link only, no status).
 */
export function contactView(contact: Contact, url: URL, withLeads: boolean, accountId: number) {
  return {
    ...partyFields(contact, accountId),
    _links: selfLink(url, `/api/v4/contacts/${contact.id}`),
    _embedded: {
      tags: contact.tags.map((name) => ({ name })),
      ...(withLeads ? { leads: contact.lead_ids.map((id) => ({ id, _links: selfLink(url, `/api/v4/leads/${id}`) })) } : {}),
      companies: contact.company_id === null ? [] : [{ id: contact.company_id, _links: selfLink(url, `/api/v4/companies/${contact.company_id}`) }],
    },
  };
}

export function matchesQuery(contact: Party, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  if (contact.name.toLowerCase().includes(q)) return true;
  const digits = q.replace(/\D/g, '');
  return digits.length >= 5 && contact.phones.some((p) => p.value.replace(/\D/g, '').includes(digits));
}

export function contactRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;
  const withs = (url: URL) => (url.searchParams.get('with') ?? '').split(',');

  app.get('/contacts', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    if (!page.ok) return page.response;
    const query = url.searchParams.get('query') ?? '';
    const { items, hasNext } = pageOf(
      store.contacts().filter((ct) => matchesQuery(ct, query)),
      page.value,
    );
    if (items.length === 0) return noContent();
    const withLeads = withs(url).includes('leads');
    return hal({
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { contacts: items.map((ct) => contactView(ct, url, withLeads, store.accountId)) },
    });
  });

  app.get('/contacts/:id{[0-9]+}', (c) => {
    const url = new URL(c.req.url);
    const contact = store.contact(Number(c.req.param('id')));
    return contact ? hal(contactView(contact, url, withs(url).includes('leads'), store.accountId)) : noContent();
  });

  app.post('/contacts', async (c) => {
    const batch = await readBatch(c, ctx, contactSchema, (input) => [
      ...userError(ctx, input.responsible_user_id, 'responsible_user_id'),
      ...userError(ctx, input.created_by, 'created_by', true),
      ...fieldErrors(input),
    ]);
    if (!batch.ok) return batch.response;
    const url = new URL(c.req.url);
    const contacts = batch.items.map((input, i) => {
      const name = input.name ?? [input.first_name, input.last_name].filter(Boolean).join(' ');
      const fields = input.custom_fields_values ?? [];
      const isPhone = (f: (typeof fields)[number]) => f.field_code === 'PHONE' || f.field_id === 1;
      const phones = fields.filter(isPhone).flatMap((f) => f.values);
      const custom_fields = fields.filter((f) => !isPhone(f)).map((f) => ({ field_id: f.field_id ?? 0, values: f.values }));
      const tags = (input._embedded?.tags ?? []).map((t) => t.name);
      const contact = store.addContact({ name, phones, responsible_user_id: input.responsible_user_id, custom_fields, tags });
      return { id: contact.id, request_id: batch.requestIds[i] ?? String(i), _links: selfLink(url, `/api/v4/contacts/${contact.id}`) };
    });
    return hal({ _links: selfLink(url, '/api/v4/contacts'), _embedded: { contacts } });
  });
  return app;
}
