/**
 * POST /api/v4/calls — the call log. Each item is matched to a contact or company by the last 10
 * digits of `phone` and becomes a `call_in`/`call_out` note on that card, or on its single active
 * lead or single customer (see phone-match.ts). Like amoCRM there is **no deduplication**: the same
 * `uniq` twice makes two notes, and there is no way to read a call back except as a note.
 *
 * Numbers nobody has: in `partial` mode the known items are written and the 200 lists the unknown
 * ones under top-level `errors` (with request_id); in `reject_batch` mode one unknown item makes
 * the whole batch a 400 and nothing is written. A batch with no known number at all is a 400 in
 * both modes, shaped `{"_total_items":0,"errors":[…]}`; its errors carry request_id only when
 * `rejectWithRequestIds` is set, because amoCRM's documented example has none.
 * Defaults amoCRM fills in: created_by = the integration's user, responsible_user_id = the card's
 * responsible user, created_at = now; updated_at is always the write time.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { SINGULAR } from '../core/model';
import { callTarget, findByPhone } from '../core/phone-match';
import { hal, problemBody } from '../core/responses';
import { readBatch, userError } from '../core/validation';

export const callItemSchema = z.object({
  direction: z.enum(['inbound', 'outbound']),
  uniq: z.string().optional(),
  duration: z.number().int().min(0),
  source: z.string().min(1),
  link: z.string().optional(),
  phone: z.string().min(1),
  call_result: z.string().optional(),
  call_status: z.number().int().min(1).max(7).optional(),
  responsible_user_id: z.number().int().optional(),
  created_by: z.number().int().optional(),
  created_at: z.number().int().optional(),
  request_id: z.string().optional(),
});
type CallItem = z.output<typeof callItemSchema>;

const PARAM_KEYS = ['uniq', 'duration', 'source', 'link', 'phone', 'call_result', 'call_status'] as const;

function callParams(item: CallItem): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const key of PARAM_KEYS) if (item[key] !== undefined) params[key] = item[key];
  return params;
}

export function callRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.post('/calls', async (c) => {
    const batch = await readBatch(c, ctx, callItemSchema, (item) => [
      ...userError(ctx, item.responsible_user_id, 'responsible_user_id'),
      ...userError(ctx, item.created_by, 'created_by', true),
    ]);
    if (!batch.ok) return batch.response;

    const resolved = batch.items.map((item, i) => ({ item, requestId: batch.requestIds[i] ?? String(i), owner: findByPhone(store, item.phone) }));
    const unknown = resolved.filter((r) => !r.owner);
    const notFound = (r: (typeof resolved)[number], withId: boolean) => ({
      ...(withId ? { request_id: r.requestId } : {}),
      title: 'Entity not found',
      status: 400,
      detail: `no contact or company with phone ${r.item.phone}`,
    });
    if (unknown.length === resolved.length || (unknown.length > 0 && ctx.options.unknownNumbers === 'reject_batch')) {
      const errors = unknown.map((r) => notFound(r, ctx.options.rejectWithRequestIds));
      return problemBody(400, { _total_items: 0, errors });
    }

    const now = ctx.unix();
    const calls = resolved.flatMap(({ item, requestId, owner }) => {
      if (!owner) return [];
      const target = callTarget(store, owner);
      const note = store.addNote(target.entity_type, {
        entity_id: target.entity_id,
        note_type: item.direction === 'inbound' ? 'call_in' : 'call_out',
        params: callParams(item),
        created_by: item.created_by ?? store.currentUserId(),
        responsible_user_id: item.responsible_user_id ?? owner.party.responsible_user_id,
        created_at: item.created_at ?? now,
        updated_at: now,
      });
      const entity_type = SINGULAR[target.entity_type];
      return [{ id: note.id, entity_id: note.entity_id, entity_type, account_id: store.accountId, request_id: requestId }];
    });
    ctx.stats.notesWritten += calls.length;
    const errors = unknown.map((r) => notFound(r, true));
    return hal({ _total_items: calls.length, _embedded: { calls }, ...(errors.length ? { errors } : {}) });
  });
  return app;
}
