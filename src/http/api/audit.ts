/**
 * Admin: the audit trail — its entries (filtered, newest first, paged by id), the same as CSV (an
 * export that is itself audited), and the chain check. Owner and admin only: the trail names who
 * listened to what.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { Context } from 'hono';
import { verifyChain } from '../../audit/log';
import { type AuditFilters, type AuditRow, auditCsv, auditPage } from '../../audit/query';
import type { AppDeps } from '../../deps';
import { parseInstant } from '../../domain/time';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { filterTextProblem } from './calls';

/** The roles that may read the trail. */
export const AUDIT_READERS: readonly string[] = ['owner', 'admin'];

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().openapi({ description: 'Kind and id: "token:ADMIN_TOKEN", "session:user:7", "system:calltrail"' }),
    role: z.string().nullable(),
    action: z.string().openapi({ example: 'export.findings' }),
    subject: z.string().nullable().openapi({ description: 'What it was done to: a call, run, recording or account id' }),
    detail: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const filterQuery = {
  action: z.string().max(100).optional().openapi({ description: 'Actions starting with this ("export" → export.findings, export.audit, …)' }),
  actor: z.string().max(200).optional().openapi({ description: 'An actor, or the start of one up to a colon ("token", "session:user:7")' }),
  subject: z.string().max(200).optional(),
  from: z.string().max(64).optional().openapi({ description: 'ISO time or date (configured time zone), inclusive' }),
  to: z.string().max(64).optional().openapi({ description: 'ISO time or date, exclusive' }),
};

const listRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['admin'],
  summary: 'The audit trail, newest first (owner, admin)',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      ...filterQuery,
      cursor: z.coerce.number().int().positive().optional().openapi({ description: "the previous page's next_cursor: entries with lower ids" }),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: {
      description: 'A page of entries',
      content: { 'application/json': { schema: z.object({ items: z.array(AuditEntrySchema), next_cursor: z.number().int().nullable() }) } },
    },
    ...errorResponses(400, 401, 403),
  },
});

const csvRoute = createRoute({
  method: 'get',
  path: '/v1/audit.csv',
  tags: ['admin'],
  summary: 'The audit trail as CSV, same filters, newest first (owner, admin; audited as export.audit)',
  security: [{ bearer: [] }],
  request: { query: z.object(filterQuery) },
  responses: {
    200: { description: 'id,at,actor,role,action,subject,detail,ip,prev_hash,hash', content: { 'text/csv': { schema: z.string() } } },
    ...errorResponses(400, 401, 403),
  },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  tags: ['admin'],
  summary: 'Re-compute the chain: intact, or the first entry that does not add up and why (owner, admin)',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'The check',
      content: {
        'application/json': {
          schema: z
            .object({
              ok: z.boolean(),
              entries: z.number().int().openapi({ description: 'Entries checked (up to the broken one)' }),
              broken_at: z.number().int().nullable(),
              why: z.string().nullable(),
            })
            .openapi('AuditChainCheck'),
        },
      },
    },
    ...errorResponses(401, 403),
  },
});

/** The trail is the owner's and admins' to read; everyone else gets a 403. */
export function requireAuditReader(c: Context): void {
  const role = c.get('actor')?.role;
  if (!role || !AUDIT_READERS.includes(role)) throw new ApiError('forbidden', 'the audit trail is for owners and admins');
}

/** The query's filters; a time or text the trail cannot be searched by is a 400 naming it. */
function readFilters(q: Partial<Record<keyof typeof filterQuery, string>>, zone: string): AuditFilters {
  const filters: AuditFilters = {};
  for (const name of ['action', 'actor', 'subject', 'from', 'to'] as const) {
    const problem = filterTextProblem(name, q[name]);
    if (problem) throw new ApiError('invalid_query', problem);
  }
  if (q.action) filters.action = q.action;
  if (q.actor) filters.actor = q.actor;
  if (q.subject) filters.subject = q.subject;
  for (const name of ['from', 'to'] as const) {
    const value = q[name];
    if (!value) continue;
    const parsed = parseInstant(value, zone);
    if (!parsed.ok) throw new ApiError('invalid_query', `${name}: ${parsed.message}`);
    filters[name] = parsed.value;
  }
  return filters;
}

export function presentAuditEntry(r: AuditRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    role: r.role,
    action: r.action,
    subject: r.subject,
    detail: r.detail,
    ip: r.ip,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** The CSV download; the export is written to the trail before the first byte goes out. */
export async function auditCsvResponse(deps: AppDeps, c: Context, filters: AuditFilters): Promise<Response> {
  const detail = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
  await auditRequest(deps, c, 'export.audit', null, { format: 'csv', filters: detail });
  const now = (deps.now ?? (() => new Date()))();
  return new Response(auditCsv(deps.db, filters), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="calltrail-audit-${now.toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}

export function auditRoutes(deps: AppDeps) {
  const zone = deps.config.time_zone;
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      requireAuditReader(c);
      const q = c.req.valid('query');
      const page = await auditPage(deps.db, readFilters(q, zone), { limit: q.limit, ...(q.cursor ? { before: q.cursor } : {}) });
      return c.json({ items: page.items.map(presentAuditEntry), next_cursor: page.nextCursor }, 200);
    })
    .openapi(csvRoute, async (c) => {
      requireAuditReader(c);
      return (await auditCsvResponse(deps, c, readFilters(c.req.valid('query'), zone))) as never;
    })
    .openapi(verifyRoute, async (c) => {
      requireAuditReader(c);
      const check = await verifyChain(deps.db);
      return c.json(
        check.ok
          ? { ok: true, entries: check.entries, broken_at: null, why: null }
          : { ok: false, entries: check.entries, broken_at: check.brokenAt, why: check.why },
        200,
      );
    });
}
