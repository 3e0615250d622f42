/**
 * Leads (deals): list and read one. Filters as amoCRM documents them: `filter[id][]`,
 * `filter[statuses][0][status_id]` (with its pipeline_id), `filter[responsible_user_id][]`, and
 * `query` on the name; `order[created_at|id]=asc|desc` (default: id ascending); paging; 204 when
 * nothing matches. Each lead carries its status_id and pipeline_id (142 won, 143 lost), and
 * `with=contacts` embeds its contacts; its company is always embedded.
 * @module
 */
import { Hono } from 'hono';
import type { SandboxContext } from '../core/context';
import type { Lead } from '../core/model';
import { intList, listParam, pageLinks, pageOf, paging, selfLink } from '../core/query';
import { hal, noContent } from '../core/responses';

function leadView(lead: Lead, url: URL, accountId: number) {
  const withContacts = (url.searchParams.get('with') ?? '').split(',').includes('contacts');
  const closed = lead.status === 'closed';
  return {
    id: lead.id,
    name: lead.name,
    price: 0,
    responsible_user_id: lead.responsible_user_id,
    group_id: 0,
    status_id: lead.status_id,
    pipeline_id: lead.pipeline_id,
    created_by: 0,
    updated_by: 0,
    created_at: lead.created_at,
    updated_at: lead.updated_at,
    closed_at: closed ? lead.updated_at : null,
    is_deleted: false,
    account_id: accountId,
    _links: selfLink(url, `/api/v4/leads/${lead.id}`),
    _embedded: {
      tags: [],
      companies: lead.company_id === null ? [] : [{ id: lead.company_id, _links: selfLink(url, `/api/v4/companies/${lead.company_id}`) }],
      ...(withContacts ? { contacts: lead.contact_ids.map((id, i) => ({ id, is_main: i === 0, _links: selfLink(url, `/api/v4/contacts/${id}`) })) } : {}),
    },
  };
}

/** `filter[statuses][n][status_id]` values, whatever n. */
function statusFilter(url: URL): number[] {
  return [...url.searchParams].filter(([key]) => /^filter\[statuses\]\[\d+\]\[status_id\]$/.test(key)).map(([, v]) => Number(v));
}

function ordered(leads: Lead[], url: URL): Lead[] {
  const byCreated = url.searchParams.get('order[created_at]');
  const byId = url.searchParams.get('order[id]');
  const direction = (byCreated ?? byId) === 'desc' ? -1 : 1;
  const key = byCreated ? (l: Lead) => l.created_at : (l: Lead) => l.id;
  return [...leads].sort((a, b) => (key(a) - key(b) || a.id - b.id) * direction);
}

export function leadRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.get('/leads', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    const ids = intList(url, 'filter[id]');
    const responsible = intList(url, 'filter[responsible_user_id]');
    if (!page.ok) return page.response;
    if (!ids.ok) return ids.response;
    if (!responsible.ok) return responsible.response;
    const statuses = statusFilter(url);
    const query = (url.searchParams.get('query') ?? '').trim().toLowerCase();
    const names = listParam(url, 'filter[name]').map((n) => n.toLowerCase());
    const matches = store
      .leads()
      .filter((l) => ids.value.length === 0 || ids.value.includes(l.id))
      .filter((l) => responsible.value.length === 0 || responsible.value.includes(l.responsible_user_id))
      .filter((l) => statuses.length === 0 || statuses.includes(l.status_id))
      .filter((l) => names.length === 0 || names.includes(l.name.toLowerCase()))
      .filter((l) => query === '' || l.name.toLowerCase().includes(query));
    const { items, hasNext } = pageOf(ordered(matches, url), page.value);
    if (items.length === 0) return noContent();
    return hal({
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { leads: items.map((l) => leadView(l, url, store.accountId)) },
    });
  });

  app.get('/leads/:id{[0-9]+}', (c) => {
    const lead = store.lead(Number(c.req.param('id')));
    return lead ? hal(leadView(lead, new URL(c.req.url), store.accountId)) : noContent();
  });
  return app;
}
