/**
 * GET /health: is the database reachable, and can the CRM be called?
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { eq, sql } from 'drizzle-orm';
import { crmAccounts } from '../../db/schema';
import type { AppDeps } from '../../deps';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'error']),
    db: z.enum(['ok', 'error']),
    crm: z.enum(['ok', 'blocked', 'unauthorized', 'unknown']).openapi({
      description: 'blocked: the CRM refused us (403) and an admin must reset it; unauthorized: the token was revoked',
    }),
    crm_kind: z.enum(['sandbox', 'amocrm', 'generic', 'bitrix24']),
  })
  .openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['service'],
  summary: 'Service health',
  responses: {
    200: { description: 'The database answers', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'The database does not answer', content: { 'application/json': { schema: HealthSchema } } },
  },
});

export function healthRoutes(deps: AppDeps) {
  return new OpenAPIHono().openapi(route, async (c) => {
    const crmKind = deps.settings.crm.kind;
    try {
      const [account] = await deps.db
        .select({ status: crmAccounts.status, one: sql<number>`1` })
        .from(crmAccounts)
        .where(eq(crmAccounts.id, deps.settings.crm.accountId))
        .limit(1);
      // No row yet: nothing has been delivered, so nothing has gone wrong either.
      return c.json({ status: 'ok' as const, db: 'ok' as const, crm: account?.status ?? 'ok', crm_kind: crmKind }, 200);
    } catch (error) {
      deps.log.error('health check: database unreachable', { error });
      return c.json({ status: 'error' as const, db: 'error' as const, crm: 'unknown' as const, crm_kind: crmKind }, 503);
    }
  });
}
