/**
 * Companies: search and read one, as contacts (routes/contacts.ts): `query` matches the name or —
 * with at least 5 digits — a phone as typed; `with=leads` and `with=contacts` embed ids and links
 * only; nothing found is a 204, an unknown id too.
 * @module
 */
import { Hono } from 'hono';
import type { SandboxContext } from '../core/context';
import type { Company } from '../core/model';
import { pageLinks, pageOf, paging, selfLink } from '../core/query';
import { hal, noContent } from '../core/responses';
import { matchesQuery, partyFields } from './contacts';

function companyView(ctx: SandboxContext, company: Company, url: URL) {
  const withs = (url.searchParams.get('with') ?? '').split(',');
  const contacts = ctx.store.contacts().filter((c) => c.company_id === company.id);
  return {
    ...partyFields(company, ctx.store.accountId),
    _links: selfLink(url, `/api/v4/companies/${company.id}`),
    _embedded: {
      tags: company.tags.map((name) => ({ name })),
      ...(withs.includes('leads') ? { leads: company.lead_ids.map((id) => ({ id, _links: selfLink(url, `/api/v4/leads/${id}`) })) } : {}),
      ...(withs.includes('contacts')
        ? { contacts: contacts.map((c) => ({ id: c.id, is_main: false, _links: selfLink(url, `/api/v4/contacts/${c.id}`) })) }
        : {}),
    },
  };
}

export function companyRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.get('/companies', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    if (!page.ok) return page.response;
    const query = url.searchParams.get('query') ?? '';
    const { items, hasNext } = pageOf(
      store.companies().filter((co) => matchesQuery(co, query)),
      page.value,
    );
    if (items.length === 0) return noContent();
    return hal({
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { companies: items.map((co) => companyView(ctx, co, url)) },
    });
  });

  app.get('/companies/:id{[0-9]+}', (c) => {
    const company = store.company(Number(c.req.param('id')));
    return company ? hal(companyView(ctx, company, new URL(c.req.url))) : noContent();
  });
  return app;
}
