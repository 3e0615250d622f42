/**
 * Unsorted ("Неразобранное") for calls from unknown numbers: POST /api/v4/leads/unsorted/sip
 * creates an item holding a new lead and a new contact with metadata.phone. The contact stays in
 * the unsorted item — it is not matchable by /calls until a person accepts the item, which the
 * sandbox never does. amoCRM refuses a second item with the same metadata.uniq: the whole batch
 * is a 400 (code Duplicate, path metadata.uniq) and nothing is written — a duplicate inside one
 * batch included. GET /api/v4/leads/unsorted lists items (filter[uid], filter[category]); 204 when
 * empty.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import type { UnsortedItem } from '../core/model';
import { hex } from '../core/prng';
import { listParam, pageLinks, pageOf, paging, selfLink } from '../core/query';
import { hal, noContent } from '../core/responses';
import { readBatch } from '../core/validation';

/** The account's main pipeline, where unsorted leads wait. */
export const MAIN_PIPELINE_ID = 7_000_001;

const sipSchema = z.object({
  source_uid: z.string().min(1),
  source_name: z.string().min(1),
  pipeline_id: z.number().int().optional(),
  created_at: z.number().int().optional(),
  request_id: z.string().optional(),
  metadata: z.object({
    uniq: z.string().min(1),
    from: z.string(),
    phone: z.string().min(1),
    called_at: z.number().int(),
    duration: z.number().int().min(0),
    link: z.string().optional(),
    service_code: z.string().min(1),
    is_call_event_needed: z.boolean().optional(),
  }),
  _embedded: z
    .object({
      leads: z.array(z.object({ name: z.string().optional(), price: z.number().int().optional() })).optional(),
      contacts: z.array(z.object({ name: z.string().optional() })).optional(),
    })
    .optional(),
});

function itemView(item: UnsortedItem, url: URL) {
  return {
    uid: item.uid,
    source_uid: item.source_uid,
    source_name: item.source_name,
    category: item.category,
    pipeline_id: item.pipeline_id,
    created_at: item.created_at,
    metadata: item.metadata,
    account_id: item.account_id,
    _links: selfLink(url, `/api/v4/leads/unsorted/${item.uid}`),
    _embedded: { leads: [{ id: item.lead.id }], contacts: [{ id: item.contact.id }] },
  };
}

export function unsortedRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.post('/leads/unsorted/sip', async (c) => {
    const batch = await readBatch(c, ctx, sipSchema, (item, index, items) => {
      const uniq = item.metadata.uniq;
      const taken = store.unsorted().some((u) => u.metadata.uniq === uniq) || items.slice(0, index).some((o) => o.metadata.uniq === uniq);
      return taken ? [{ code: 'Duplicate', path: 'metadata.uniq', detail: `Unsorted with uniq ${uniq} already exists` }] : [];
    });
    if (!batch.ok) return batch.response;
    const now = ctx.unix();
    const unsorted = batch.items.map((input, i) => {
      const lead = input._embedded?.leads?.[0];
      const contact = input._embedded?.contacts?.[0];
      const item = store.addUnsorted({
        uid: hex(store.random, 32),
        source_uid: input.source_uid,
        source_name: input.source_name,
        category: 'sip',
        pipeline_id: input.pipeline_id ?? MAIN_PIPELINE_ID,
        created_at: input.created_at ?? now,
        metadata: { ...input.metadata },
        account_id: store.accountId,
        lead: { id: store.nextId.lead(), name: lead?.name ?? `Call from ${input.metadata.phone}`, price: lead?.price ?? 0 },
        contact: { id: store.nextId.contact(), name: contact?.name ?? input.metadata.phone, phone: input.metadata.phone },
      });
      return {
        uid: item.uid,
        account_id: store.accountId,
        request_id: batch.requestIds[i] ?? String(i),
        _embedded: { leads: [{ id: item.lead.id }], contacts: [{ id: item.contact.id }] },
      };
    });
    return hal({ _total_items: unsorted.length, _embedded: { unsorted } });
  });

  app.get('/leads/unsorted', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    if (!page.ok) return page.response;
    const uids = listParam(url, 'filter[uid]');
    const categories = listParam(url, 'filter[category]');
    const matches = store
      .unsorted()
      .filter((u) => uids.length === 0 || uids.includes(u.uid))
      .filter((u) => categories.length === 0 || categories.includes(u.category));
    const { items, hasNext } = pageOf(matches, page.value);
    if (items.length === 0) return noContent();
    return hal({
      _total_items: items.length,
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { unsorted: items.map((u) => itemView(u, url)) },
    });
  });
  return app;
}
