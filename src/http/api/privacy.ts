/**
 * Admin: legal hold on a call (POST/DELETE /v1/calls/{id}/hold) and deletion requests by phone
 * number (POST /v1/erasures, GET /v1/erasures, GET /v1/erasures/{id}). Each action is audited.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { desc, eq } from 'drizzle-orm';
import { actorName } from '../../audit/log';
import { erasures } from '../../db/schema';
import { SYSTEM_ACTOR } from '../../domain/actor';
import { ledgerContext, type AppDeps } from '../../deps';
import { unstorableText } from '../../lib/text';
import { privacyDepsOf } from '../../privacy/deps';
import { ErasureRefused, erasureReport, erasuresOf, eraseNumber } from '../../privacy/erase';
import { type HoldState, placeHold, releaseHold } from '../../privacy/hold';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

const HoldSchema = z
  .object({
    id: z.string().uuid(),
    legal_hold: z.object({ at: z.string(), by: z.string().nullable(), reason: z.string().nullable() }).nullable(),
  })
  .openapi('LegalHold');

const ErasureSchema = z
  .object({
    id: z.string().uuid(),
    requested_at: z.string(),
    requested_by: z.string(),
    phone: z.string().openapi({ description: 'the number masked to its last four digits; the number itself is not kept', example: '***4567' }),
    calls_deleted: z.number().int(),
    recordings_deleted: z.number().int(),
    files_deleted: z.number().int().openapi({ description: 'archived recordings and call MP3s deleted from storage' }),
    bodies_deleted: z.number().int().openapi({ description: 'stored webhook bodies deleted: no call they carried is left' }),
    bodies_redacted: z
      .number()
      .int()
      .openapi({ description: 'stored bodies that carry other calls too: the number replaced by "[erased]", the other calls kept' }),
    other_rows_deleted: z.number().int().openapi({ description: 'live calls, click-to-call requests, cached caller cards, reconciliation findings' }),
    kept_on_hold: z.array(z.object({ call_id: z.string(), held_at: z.string(), held_by: z.string().nullable(), reason: z.string().nullable() })),
    errors: z.array(z.string()),
    crm_note: z.string(),
  })
  .openapi('Erasure');

const idParam = z.object({ id: z.string().uuid() });

const holdRoute = createRoute({
  method: 'post',
  path: '/v1/calls/{id}/hold',
  tags: ['admin'],
  summary: 'Put a call under legal hold: nothing deletes it or its recordings until released',
  security: [{ bearer: [] }],
  request: {
    params: idParam,
    body: { required: true, content: { 'application/json': { schema: z.object({ reason: z.string().trim().min(1).max(500) }) } } },
  },
  responses: { 200: { description: 'The hold', content: { 'application/json': { schema: HoldSchema } } }, ...errorResponses(400, 401, 404) },
});

const releaseRoute = createRoute({
  method: 'delete',
  path: '/v1/calls/{id}/hold',
  tags: ['admin'],
  summary: 'Release a call from legal hold (retention applies to it again)',
  security: [{ bearer: [] }],
  request: { params: idParam },
  responses: { 200: { description: 'No hold', content: { 'application/json': { schema: HoldSchema } } }, ...errorResponses(400, 401, 404) },
});

const eraseRoute = createRoute({
  method: 'post',
  path: '/v1/erasures',
  tags: ['admin'],
  summary: "Erase a phone number's calls, recordings and stored bodies (calls under legal hold are kept and listed)",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: z.object({ phone: z.string().min(1).max(64).openapi({ description: 'any format', example: '8 (495) 123-45-67' }) }) },
      },
    },
  },
  responses: { 201: { description: 'The report', content: { 'application/json': { schema: ErasureSchema } } }, ...errorResponses(400, 401) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/erasures',
  tags: ['admin'],
  summary: 'Deletion requests, newest first; with phone=: the requests that erased that number',
  security: [{ bearer: [] }],
  request: {
    query: z.object({ phone: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
  },
  responses: {
    200: { description: 'Requests', content: { 'application/json': { schema: z.object({ items: z.array(ErasureSchema) }) } } },
    ...errorResponses(400, 401),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/erasures/{id}',
  tags: ['admin'],
  summary: 'One deletion request and its report',
  security: [{ bearer: [] }],
  request: { params: idParam },
  responses: { 200: { description: 'The report', content: { 'application/json': { schema: ErasureSchema } } }, ...errorResponses(400, 401, 404) },
});

export const presentHold = (state: HoldState) => ({
  id: state.id,
  legal_hold: state.hold ? { at: state.hold.at.toISOString(), by: state.hold.by, reason: state.hold.reason } : null,
});

/** The phone as given, checked for text PostgreSQL cannot store (NUL, lone surrogates). */
function phoneOf(value: string): string {
  const problem = unstorableText(value);
  if (problem) throw new ApiError('invalid_request', `phone: ${problem}`);
  return value;
}

export function privacyRoutes(deps: AppDeps) {
  const privacy = () => privacyDepsOf(deps, ledgerContext(deps.settings, deps.config));
  const now = () => (deps.now ?? (() => new Date()))();
  return new OpenAPIHono()
    .openapi(holdRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      const by = actorName(c.get('actor') ?? SYSTEM_ACTOR);
      const state = await placeHold(deps.db, id, by, reason, now());
      if (!state) throw new ApiError('not_found', `no call ${id}`);
      await auditRequest(deps, c, 'call.hold', id, { reason });
      return c.json(presentHold(state), 200);
    })
    .openapi(releaseRoute, async (c) => {
      const { id } = c.req.valid('param');
      const state = await releaseHold(deps.db, id);
      if (!state) throw new ApiError('not_found', `no call ${id}`);
      await auditRequest(deps, c, 'call.release', id);
      return c.json(presentHold(state), 200);
    })
    .openapi(eraseRoute, async (c) => {
      const phone = phoneOf(c.req.valid('json').phone);
      const by = actorName(c.get('actor') ?? SYSTEM_ACTOR);
      const report = await eraseNumber(privacy(), phone, by).catch(refusal);
      await auditRequest(deps, c, 'privacy.erasure', report.id, {
        phone: report.phone,
        calls_deleted: report.calls_deleted,
        recordings_deleted: report.recordings_deleted,
        bodies_deleted: report.bodies_deleted,
        bodies_redacted: report.bodies_redacted,
        kept_on_hold: report.kept_on_hold.map((k) => k.call_id),
      });
      return c.json(report, 201);
    })
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      const rows = q.phone
        ? await erasuresOf(privacy(), phoneOf(q.phone)).catch(refusal)
        : await deps.db.select().from(erasures).orderBy(desc(erasures.requestedAt)).limit(q.limit);
      return c.json({ items: rows.map(erasureReport) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await deps.db.select().from(erasures).where(eq(erasures.id, id));
      if (!row) throw new ApiError('not_found', `no erasure ${id}`);
      return c.json(erasureReport(row), 200);
    });
}

function refusal(error: unknown): never {
  if (error instanceof ErasureRefused) throw new ApiError('invalid_request', error.message);
  throw error;
}
