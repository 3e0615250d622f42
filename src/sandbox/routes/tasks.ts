/**
 * Tasks (e.g. "call back" after a missed call; task_type_id 1 is a call). A task may point at a
 * lead, contact, company or customer; entity_id and entity_type come together and the entity must
 * exist. GET filters: filter[entity_type], filter[entity_id][], filter[task_type][],
 * filter[responsible_user_id][], filter[updated_at][from|to]; paging; 204 when empty.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { ENTITY_TYPES, type Task } from '../core/model';
import { inRange, intList, listParam, pageLinks, pageOf, paging, range, selfLink } from '../core/query';
import { type FieldError, hal, noContent } from '../core/responses';
import { readBatch, userError } from '../core/validation';

const taskSchema = z.object({
  text: z.string().min(1),
  complete_till: z.number().int(),
  entity_id: z.number().int().optional(),
  entity_type: z.enum(ENTITY_TYPES).optional(),
  task_type_id: z.number().int().min(1).optional(),
  responsible_user_id: z.number().int().optional(),
  request_id: z.string().optional(),
});
type TaskInput = z.output<typeof taskSchema>;

function taskView(task: Task, url: URL) {
  const { account_id, ...rest } = task;
  return { ...rest, group_id: 0, duration: 0, result: [], account_id, _links: selfLink(url, `/api/v4/tasks/${task.id}`) };
}

export function taskRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  const entityErrors = (t: TaskInput): FieldError[] => {
    if (t.entity_id === undefined && t.entity_type === undefined) return [];
    if (t.entity_id === undefined) return [{ code: 'NotBlank', path: 'entity_id', detail: 'This value should not be blank.' }];
    if (t.entity_type === undefined) return [{ code: 'NotBlank', path: 'entity_type', detail: 'This value should not be blank.' }];
    if (store.hasEntity(t.entity_type, t.entity_id)) return [];
    return [{ code: 'NotSupportedChoice', path: 'entity_id', detail: 'The value you selected is not a valid choice.' }];
  };

  app.post('/tasks', async (c) => {
    const batch = await readBatch(c, ctx, taskSchema, (t) => [...userError(ctx, t.responsible_user_id, 'responsible_user_id'), ...entityErrors(t)]);
    if (!batch.ok) return batch.response;
    const url = new URL(c.req.url);
    const now = ctx.unix();
    const me = store.currentUserId();
    const tasks = batch.items.map((t, i) => {
      const task = store.addTask({
        text: t.text,
        complete_till: t.complete_till,
        entity_id: t.entity_id ?? null,
        entity_type: t.entity_type ?? null,
        task_type_id: t.task_type_id ?? 1,
        responsible_user_id: t.responsible_user_id ?? me,
        created_by: me,
        updated_by: me,
        created_at: now,
        updated_at: now,
        is_completed: false,
      });
      return { id: task.id, request_id: batch.requestIds[i] ?? String(i), _links: selfLink(url, `/api/v4/tasks/${task.id}`) };
    });
    return hal({ _links: selfLink(url, '/api/v4/tasks'), _embedded: { tasks } });
  });

  app.get('/tasks', (c) => {
    const url = new URL(c.req.url);
    const page = paging(url);
    const entityIds = intList(url, 'filter[entity_id]');
    const taskTypes = intList(url, 'filter[task_type]');
    const responsible = intList(url, 'filter[responsible_user_id]');
    const updated = range(url, 'updated_at');
    if (!page.ok) return page.response;
    if (!entityIds.ok) return entityIds.response;
    if (!taskTypes.ok) return taskTypes.response;
    if (!responsible.ok) return responsible.response;
    if (!updated.ok) return updated.response;
    const entityTypes = listParam(url, 'filter[entity_type]');
    const matches = store
      .tasks()
      .filter((t) => entityTypes.length === 0 || (t.entity_type !== null && entityTypes.includes(t.entity_type)))
      .filter((t) => entityIds.value.length === 0 || (t.entity_id !== null && entityIds.value.includes(t.entity_id)))
      .filter((t) => taskTypes.value.length === 0 || taskTypes.value.includes(t.task_type_id))
      .filter((t) => responsible.value.length === 0 || responsible.value.includes(t.responsible_user_id))
      .filter((t) => inRange(t.updated_at, updated.value));
    const { items, hasNext } = pageOf(matches, page.value);
    if (items.length === 0) return noContent();
    return hal({
      _page: page.value.page,
      _links: pageLinks(url, page.value.page, hasNext),
      _embedded: { tasks: items.map((t) => taskView(t, url)) },
    });
  });
  return app;
}
