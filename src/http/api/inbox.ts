/**
 * Admin: look at stored webhook bodies and replay the ones that failed to apply.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { and, desc, eq, lt } from 'drizzle-orm';
import { inboxEvents } from '../../db/schema';
import { INBOX_STATUSES } from '../../domain/inbox';
import { inboxDeps, type AppDeps } from '../../deps';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { reprocessInbox } from '../../ledger/inbox';

const InboxEventSchema = z
  .object({
    id: z.number().int(),
    source: z.string(),
    status: z.enum(INBOX_STATUSES),
    attempts: z.number().int(),
    error: z.string().nullable(),
    note: z.string().nullable().openapi({ description: 'Records in the body that are no call of their own, with why (e.g. "line 3: AppDial row …")' }),
    next_attempt_at: z.string().nullable(),
    received_at: z.string(),
    processed_at: z.string().nullable(),
  })
  .openapi('InboxEvent');

const listRoute = createRoute({
  method: 'get',
  path: '/v1/inbox',
  tags: ['admin'],
  summary: 'Stored webhook bodies, newest first',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      status: z.enum(INBOX_STATUSES).optional(),
      before: z.coerce.number().int().positive().optional().openapi({ description: 'cursor: ids below this' }),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
  responses: {
    200: {
      description: 'A page of inbox events',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(InboxEventSchema), next_cursor: z.number().int().nullable() }),
        },
      },
    },
    ...errorResponses(400, 401),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/inbox/{id}',
  tags: ['admin'],
  summary: 'One stored body, raw',
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.coerce.number().int().positive() }) },
  responses: {
    200: {
      description: 'The event with its raw body',
      content: { 'application/json': { schema: InboxEventSchema.extend({ raw: z.string() }) } },
    },
    ...errorResponses(400, 401, 404),
  },
});

const reprocessRoute = createRoute({
  method: 'post',
  path: '/v1/inbox/reprocess',
  tags: ['admin'],
  summary: 'Apply failed bodies again (after a fix was deployed)',
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              ids: z.array(z.number().int().positive()).max(1000).optional(),
              all_failed: z.boolean().optional(),
            })
            .refine((b) => Boolean(b.ids?.length) !== Boolean(b.all_failed), {
              message: 'give either ids or all_failed: true',
            }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'What was applied and what still fails',
      content: {
        'application/json': {
          schema: z.object({
            processed: z.array(z.number().int()),
            failed: z.array(z.object({ id: z.number().int(), error: z.string() })),
          }),
        },
      },
    },
    ...errorResponses(400, 401),
  },
});

type InboxRow = typeof inboxEvents.$inferSelect;
const present = (row: Omit<InboxRow, 'raw' | 'meta' | 'dedupeKey'>) => ({
  id: row.id,
  source: row.source,
  status: row.status,
  attempts: row.attempts,
  error: row.error,
  note: row.note,
  next_attempt_at: row.nextAttemptAt?.toISOString() ?? null,
  received_at: row.receivedAt.toISOString(),
  processed_at: row.processedAt?.toISOString() ?? null,
});

export function inboxRoutes(deps: AppDeps) {
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      const rows = await deps.db
        .select({
          id: inboxEvents.id,
          source: inboxEvents.source,
          status: inboxEvents.status,
          attempts: inboxEvents.attempts,
          error: inboxEvents.error,
          note: inboxEvents.note,
          nextAttemptAt: inboxEvents.nextAttemptAt,
          receivedAt: inboxEvents.receivedAt,
          processedAt: inboxEvents.processedAt,
        })
        .from(inboxEvents)
        .where(and(q.status ? eq(inboxEvents.status, q.status) : undefined, q.before ? lt(inboxEvents.id, q.before) : undefined))
        .orderBy(desc(inboxEvents.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return c.json({ items: page.map(present), next_cursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await deps.db.select().from(inboxEvents).where(eq(inboxEvents.id, id));
      if (!row) throw new ApiError('not_found', `no inbox event ${id}`);
      return c.json({ ...present(row), raw: row.raw }, 200);
    })
    .openapi(reprocessRoute, async (c) => {
      const body = c.req.valid('json');
      const result = await reprocessInbox(inboxDeps(deps), body.ids?.length ? { ids: body.ids, limit: body.ids.length } : { allFailed: true, limit: 1000 });
      const subject = body.ids?.length ? (body.ids.length === 1 ? String(body.ids[0]) : null) : 'all_failed';
      await auditRequest(deps, c, 'inbox.reprocess', subject, {
        ...(body.ids?.length ? { ids: body.ids } : { all_failed: true }),
        processed: result.processed.length,
        failed: result.failed.length,
      });
      return c.json(result, 200);
    });
}
