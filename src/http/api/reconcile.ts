/**
 * Admin: reconciliation runs — start one (a day, or any from/to), list them, read one with its
 * findings, download its findings as CSV.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { FINDING_KINDS } from '../../domain/reconcile';
import type { AppDeps } from '../../deps';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { findingsCsvResponse, findingsPage, getRun, listRuns } from '../../reconcile/report';
import { RunRequestError, startInBackground } from '../../reconcile/runs';
import { runJson } from '../../reconcile/summary';

const RunSchema = z
  .object({
    id: z.string().uuid(),
    window: z.object({ from: z.string(), to: z.string() }),
    trigger: z.enum(['nightly', 'manual']),
    status: z.enum(['running', 'paused', 'done', 'failed']),
    counts: z.record(z.string(), z.number()).openapi({ description: 'Findings by kind and by action; resolved: gaps closed by the run' }),
    calls: z.number().int(),
    crm_notes: z.number().int(),
    crm_requests: z.number().int(),
    gaps_remaining: z.number().int().nullable(),
    work_ms: z.number().int(),
    error: z.string().nullable(),
    pull_errors: z.record(z.string(), z.string()),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi('ReconcileRun');

const FindingSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(FINDING_KINDS),
    action: z.string(),
    resolved: z.boolean(),
    call_id: z.string().uuid().nullable(),
    call_key: z.string().nullable(),
    source: z.string().nullable(),
    started_at: z.string().nullable(),
    number: z.string().nullable(),
    extension: z.string().nullable(),
    direction: z.string().nullable(),
    outcome: z.string().nullable(),
    delivery_state: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('ReconcileFinding');

const isoInstant = z.iso.datetime({ offset: true });

const startRoute = createRoute({
  method: 'post',
  path: '/v1/reconcile',
  tags: ['admin'],
  summary:
    'Start a reconciliation of a day (date, in the configured time zone) or of from/to; default yesterday. A run of the same window in progress is joined.',
  security: [{ bearer: [] }],
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            date: z
              .string()
              .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
              .optional(),
            from: isoInstant.optional(),
            to: isoInstant.optional(),
          }),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'Started (or joined); the run re-pushes what it finds',
      content: { 'application/json': { schema: z.object({ id: z.string().uuid(), joined: z.boolean() }) } },
    },
    ...errorResponses(400, 401),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/reconcile/runs',
  tags: ['admin'],
  summary: 'Reconciliation runs, newest first',
  security: [{ bearer: [] }],
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).optional(), before: isoInstant.optional() }) },
  responses: {
    200: { description: 'Runs', content: { 'application/json': { schema: z.object({ items: z.array(RunSchema) }) } } },
    ...errorResponses(400, 401),
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/v1/reconcile/runs/{ref}',
  tags: ['admin'],
  summary: 'One run with its findings (`{id}`), or its findings as CSV (`{id}.csv`)',
  security: [{ bearer: [] }],
  request: {
    params: z.object({ ref: z.string().regex(/^[0-9a-f-]{36}(\.csv)?$/i, 'expected a run id, optionally followed by .csv') }),
    query: z.object({
      kind: z.enum(FINDING_KINDS).optional(),
      after: z.coerce.number().int().min(0).optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: {
    200: {
      description: 'The run and a page of findings (next_cursor: pass as `after`), or text/csv',
      content: {
        'application/json': { schema: RunSchema.extend({ findings: z.array(FindingSchema), next_cursor: z.number().int().nullable() }) },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses(400, 401, 404),
  },
});

export function reconcileRoutes(deps: AppDeps) {
  return new OpenAPIHono()
    .openapi(startRoute, async (c) => {
      const body = c.req.header('content-type')?.includes('application/json') ? c.req.valid('json') : {};
      try {
        const started = await startInBackground(deps, {
          ...(body.date ? { date: body.date } : {}),
          ...(body.from ? { from: new Date(body.from) } : {}),
          ...(body.to ? { to: new Date(body.to) } : {}),
        });
        await auditRequest(deps, c, 'reconcile.start', started.id, { joined: started.joined, ...body });
        return c.json(started, 202);
      } catch (error) {
        if (error instanceof RunRequestError) throw new ApiError('invalid_request', error.message);
        throw error;
      }
    })
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      const runs = await listRuns(deps.db, { limit: q.limit ?? 50, ...(q.before ? { before: new Date(q.before) } : {}) });
      return c.json({ items: runs.map(runJson) }, 200);
    })
    .openapi(oneRoute, async (c) => {
      const { ref } = c.req.valid('param');
      const csv = ref.toLowerCase().endsWith('.csv');
      const id = csv ? ref.slice(0, -4) : ref;
      const run = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? await getRun(deps.db, id) : null;
      if (!run) throw new ApiError('not_found', `no reconciliation run ${id}`);
      const accountId = deps.settings.crm.accountId;
      if (csv) {
        await auditRequest(deps, c, 'export.findings', run.id, { format: 'csv' });
        return findingsCsvResponse(deps.db, run, deps.config.time_zone, accountId) as never;
      }
      const q = c.req.valid('query');
      const limit = q.limit ?? 100;
      const page = await findingsPage(deps.db, run.id, {
        limit,
        crmAccountId: accountId,
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.after !== undefined ? { after: q.after } : {}),
      });
      return c.json(
        {
          ...runJson(run),
          findings: page.map((f) => ({
            id: f.id,
            kind: f.kind,
            action: f.action,
            resolved: f.resolved,
            call_id: f.conversationId,
            call_key: f.callKey,
            source: f.source,
            started_at: f.startedAt?.toISOString() ?? null,
            number: f.externalNumber,
            extension: f.extension,
            direction: f.direction,
            outcome: f.outcome,
            delivery_state: f.deliveryState,
            detail: f.detail,
          })),
          next_cursor: page.length === limit ? (page.at(-1)?.id ?? null) : null,
        },
        200,
      );
    });
}
