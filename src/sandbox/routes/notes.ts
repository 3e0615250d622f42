/**
 * Notes of leads, contacts, companies and customers: the only way to read calls back.
 * GET lists with amoCRM's filters (note_type, entity_id, id, updated_at from/to inclusive),
 * `order[updated_at]` / `order[id]` (default id asc) and paging; **an empty result is a bare 204**,
 * a page past the end too. PATCH merges the given params into each note and bumps updated_at; one
 * unknown id refuses the whole batch (400, nothing written). Changing a note's type is refused
 * (NotSupportedChoice), since amoCRM cannot turn a call note into another kind.
 * @module
 */
import { type Context, Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import type { EntityType, Note } from '../core/model';
import { intList, listParam, pageLinks, pageOf, paging, range, inRange, selfLink } from '../core/query';
import { type FieldError, hal, noContent, problem, validationProblem } from '../core/responses';
import { fieldError, readBatch, readJson } from '../core/validation';

const TYPE = ':type{leads|contacts|companies|customers}';

const patchSchema = z.object({
  id: z.number().int(),
  entity_id: z.number().int().optional(),
  note_type: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  request_id: z.string().optional(),
});
type NotePatch = z.output<typeof patchSchema>;

export function noteView(note: Note, type: EntityType, url: URL) {
  return {
    id: note.id,
    entity_id: note.entity_id,
    created_by: note.created_by,
    updated_by: note.created_by,
    created_at: note.created_at,
    updated_at: note.updated_at,
    responsible_user_id: note.responsible_user_id,
    group_id: 0,
    note_type: note.note_type,
    params: note.params,
    account_id: note.account_id,
    _links: selfLink(url, `/api/v4/${type}/${note.entity_id}/notes/${note.id}`),
  };
}

function orderOf(url: URL): { ok: true; compare: (a: Note, b: Note) => number } | { ok: false; response: Response } {
  const byUpdated = url.searchParams.get('order[updated_at]');
  const byId = url.searchParams.get('order[id]');
  const direction = byUpdated ?? byId ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') {
    const path = byUpdated !== null ? 'order[updated_at]' : 'order[id]';
    const error = { code: 'NotSupportedChoice', path, detail: 'The value you selected is not a valid choice.' };
    return { ok: false, response: validationProblem([{ request_id: '0', errors: [error] }]) };
  }
  const sign = direction === 'asc' ? 1 : -1;
  if (byUpdated !== null) return { ok: true, compare: (a, b) => sign * (a.updated_at - b.updated_at || a.id - b.id) };
  return { ok: true, compare: (a, b) => sign * (a.id - b.id) };
}

export function noteRoutes(ctx: SandboxContext) {
  const app = new Hono();
  app.get(`/${TYPE}/notes`, (c) => listNotes(ctx, c.req.param('type') as EntityType, new URL(c.req.url)));
  app.get(`/${TYPE}/:entity{[0-9]+}/notes`, (c) => listNotes(ctx, c.req.param('type') as EntityType, new URL(c.req.url), Number(c.req.param('entity'))));
  app.get(`/${TYPE}/notes/:id{[0-9]+}`, (c) => {
    const type = c.req.param('type') as EntityType;
    const note = ctx.store.notesOf(type).get(Number(c.req.param('id')));
    return note ? hal(noteView(note, type, new URL(c.req.url))) : noContent();
  });
  app.patch(`/${TYPE}/notes`, async (c) => {
    const type = c.req.param('type') as EntityType;
    const batch = await readBatch(c, ctx, patchSchema, (patch) => refusal(ctx, type, patch));
    if (!batch.ok) return batch.response;
    const url = new URL(c.req.url);
    const notes = batch.items.map((patch, i) => patched(apply(ctx, type, patch), type, url, batch.requestIds[i] ?? String(i)));
    return hal({ _links: selfLink(url, `/api/v4/${type}/notes`), _embedded: { notes } });
  });
  app.patch(`/${TYPE}/:entity{[0-9]+}/notes/:id{[0-9]+}`, (c) => patchOne(ctx, c));
  return app;
}

/** GET …/notes: the filtered, ordered page, or a bare 204 when it is empty. */
function listNotes(ctx: SandboxContext, type: EntityType, url: URL, entityId?: number): Response {
  const noteTypes = listParam(url, 'filter[note_type]');
  const entityIds = intList(url, 'filter[entity_id]');
  const ids = intList(url, 'filter[id]');
  const updated = range(url, 'updated_at');
  const order = orderOf(url);
  const page = paging(url);
  if (!entityIds.ok) return entityIds.response;
  if (!ids.ok) return ids.response;
  if (!updated.ok) return updated.response;
  if (!order.ok) return order.response;
  if (!page.ok) return page.response;

  const matches = [...ctx.store.notesOf(type).values()]
    .filter((n) => entityId === undefined || n.entity_id === entityId)
    .filter((n) => noteTypes.length === 0 || noteTypes.includes(n.note_type))
    .filter((n) => entityIds.value.length === 0 || entityIds.value.includes(n.entity_id))
    .filter((n) => ids.value.length === 0 || ids.value.includes(n.id))
    .filter((n) => inRange(n.updated_at, updated.value))
    .sort(order.compare);
  const { items, hasNext } = pageOf(matches, page.value);
  if (items.length === 0) return noContent();
  return hal({
    _page: page.value.page,
    _links: pageLinks(url, page.value.page, hasNext),
    _embedded: { notes: items.map((n) => noteView(n, type, url)) },
  });
}

/** PATCH …/:entity/notes/:id: one note, its id from the path; an unknown note is a 404. */
async function patchOne(ctx: SandboxContext, c: Context): Promise<Response> {
  const type = c.req.param('type') as EntityType;
  const body = await readJson(c);
  if (!body.ok) return body.response;
  const raw = body.value;
  const merged = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, id: Number(c.req.param('id')) } : raw;
  const parsed = patchSchema.safeParse(merged);
  if (!parsed.success) return validationProblem([{ request_id: '0', errors: parsed.error.issues.map((i) => fieldError(i, merged)) }]);
  const errors = refusal(ctx, type, parsed.data, Number(c.req.param('entity')));
  if (errors[0]?.code === 'NotFound') return problem(404, errors[0].detail);
  if (errors.length) return validationProblem([{ request_id: '0', errors }]);
  const note = apply(ctx, type, parsed.data);
  return hal(patched(note, type, new URL(c.req.url), parsed.data.request_id ?? '0'));
}

/** What makes a patch impossible for this note, if anything. */
function refusal(ctx: SandboxContext, type: EntityType, patch: NotePatch, entityId?: number): FieldError[] {
  const note = ctx.store.notesOf(type).get(patch.id);
  if (!note || (entityId !== undefined && note.entity_id !== entityId)) return [{ code: 'NotFound', path: 'id', detail: `Note ${patch.id} not found` }];
  if (patch.entity_id !== undefined && patch.entity_id !== note.entity_id)
    return [{ code: 'NotSupportedChoice', path: 'entity_id', detail: 'The value you selected is not a valid choice.' }];
  if (patch.note_type !== undefined && patch.note_type !== note.note_type)
    return [{ code: 'NotSupportedChoice', path: 'note_type', detail: 'The value you selected is not a valid choice.' }];
  return [];
}

/** Merges the patch's params into the note (checked by `refusal` first) and bumps updated_at. */
function apply(ctx: SandboxContext, type: EntityType, patch: NotePatch): Note {
  const note = ctx.store.notesOf(type).get(patch.id);
  if (!note) throw new Error(`note ${patch.id} vanished between check and write`);
  note.params = { ...note.params, ...patch.params };
  note.updated_at = ctx.unix();
  return note;
}

/** A patched note as amoCRM answers it. */
function patched(note: Note, type: EntityType, url: URL, requestId: string) {
  return {
    id: note.id,
    entity_id: note.entity_id,
    updated_at: note.updated_at,
    request_id: requestId,
    _links: selfLink(url, `/api/v4/${type}/${note.entity_id}/notes/${note.id}`),
  };
}
