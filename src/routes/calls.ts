/**
 * Admin: find calls (phone in any format, extension, period, outcome, delivery state) and read one
 * call with its legs, recordings and deliveries.
 * @module
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { and, desc, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { conversations, deliveries, DELIVERY_STATES, OUTCOMES } from '../db/schema';
import { classifyNumber } from '../domain/phone';
import { parseInstant } from '../domain/time';
import type { AppDeps } from '../deps';
import { ApiError } from '../http/errors';
import { errorResponses } from '../http/schemas';
import { ledgerContext } from '../ledger/context';

const CallSummarySchema = z
  .object({
    id: z.string().uuid(),
    uniq: z.string(),
    source: z.string(),
    call_key: z.string(),
    direction: z.string().nullable(),
    external_number: z.string().nullable(),
    external_number_raw: z.string().nullable(),
    extension: z.string().nullable(),
    outcome: z.string().nullable(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    duration_seconds: z.number().int().nullable(),
    talk_seconds: z.number().int().nullable(),
    leg_count: z.number().int(),
    settled_at: z.string().nullable(),
    delivery_state: z.enum([...DELIVERY_STATES, 'unsettled']),
    delivery_reason: z.string().nullable(),
  })
  .openapi('CallSummary');

const sortKey = sql`coalesce(${conversations.startedAt}, ${conversations.lastEventAt})`;

const listRoute = createRoute({
  method: 'get',
  path: '/v1/calls',
  tags: ['admin'],
  summary: 'Search calls, newest first',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      phone: z.string().max(64).optional().openapi({ description: 'outside number in any format, or an extension' }),
      extension: z.string().max(32).optional(),
      from: z.string().optional().openapi({ description: 'ISO time or date (configured time zone), inclusive' }),
      to: z.string().optional().openapi({ description: 'ISO time or date, exclusive' }),
      outcome: z.enum(OUTCOMES).optional(),
      state: z.enum([...DELIVERY_STATES, 'unsettled']).optional(),
      cursor: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: 'A page of calls',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(CallSummarySchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400, 401),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/calls/{id}',
  tags: ['admin'],
  summary: 'One call with its legs, recordings and deliveries',
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().uuid() }) },
  responses: {
    200: { description: 'The call', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
    ...errorResponses(400, 401, 404),
  },
});

export function callRoutes(deps: AppDeps) {
  const ctx = ledgerContext(deps.settings, deps.config);
  const time = (name: string, value: string | undefined) => {
    if (!value) return undefined;
    const parsed = parseInstant(value, ctx.timeZone);
    if (!parsed.ok) throw new ApiError(400, 'invalid_query', `${name}: ${parsed.message}`);
    return parsed.value;
  };
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      const filters: (SQL | undefined)[] = [];
      if (q.phone) {
        const number = classifyNumber(q.phone, ctx.rules);
        if (number.kind === 'external') filters.push(eq(conversations.externalNumber, number.e164));
        else if (number.kind === 'extension') filters.push(eq(conversations.extension, number.extension));
        else filters.push(eq(conversations.externalNumberRaw, q.phone.trim()));
      }
      if (q.extension) filters.push(eq(conversations.extension, q.extension.trim()));
      const from = time('from', q.from);
      const to = time('to', q.to);
      // Raw SQL has no column type to map a Date with: pass ISO text and cast it.
      if (from) filters.push(gte(sortKey, sql`${from.toISOString()}::timestamptz`));
      if (to) filters.push(lt(sortKey, sql`${to.toISOString()}::timestamptz`));
      if (q.outcome) filters.push(eq(conversations.outcome, q.outcome));
      if (q.state === 'unsettled') filters.push(isNull(deliveries.id));
      else if (q.state) filters.push(eq(deliveries.state, q.state));
      if (q.cursor) {
        const cursor = decodeCursor(q.cursor);
        const at = sql`${cursor.at.toISOString()}::timestamptz`;
        filters.push(or(lt(sortKey, at), and(eq(sortKey, at), lt(conversations.id, cursor.id))));
      }
      const rows = await deps.db
        .select({ c: conversations, d: { state: deliveries.state, reason: deliveries.reason }, at: sql<Date | string>`${sortKey}` })
        .from(conversations)
        .leftJoin(
          deliveries,
          and(eq(deliveries.conversationId, conversations.id), eq(deliveries.crmAccountId, deps.settings.crm.accountId)),
        )
        .where(and(...filters))
        .orderBy(desc(sortKey), desc(conversations.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return c.json(
        {
          items: page.map((r) => presentSummary(r.c, r.d)),
          next_cursor: rows.length > q.limit && last ? encodeCursor(new Date(last.at), last.c.id) : null,
        },
        200,
      );
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const call = await deps.db.query.conversations.findFirst({
        where: eq(conversations.id, id),
        with: { legs: true, recordings: true, deliveries: { with: { history: { orderBy: (a, { desc }) => [desc(a.at)], limit: 50 } } } },
      });
      if (!call) throw new ApiError(404, 'not_found', `no call ${id}`);
      const delivery = call.deliveries.find((d) => d.crmAccountId === deps.settings.crm.accountId) ?? null;
      return c.json(
        {
          ...presentSummary(call, delivery),
          answered_at: iso(call.answeredAt),
          awaiting_recordings: call.awaitingRecordings,
          final_seen_at: iso(call.finalSeenAt),
          settle_due_at: iso(call.settleDueAt),
          revision: call.revision,
          legs: call.legs
            .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
            .map((l) => ({
              leg_key: l.legKey, direction: l.direction, from: l.fromRaw, to: l.toRaw, extension: l.extension,
              started_at: iso(l.startedAt), answered_at: iso(l.answeredAt), ended_at: iso(l.endedAt),
              disposition: l.disposition, talk_seconds: l.talkSeconds, final: l.final, recorded: l.recorded,
              inbox_event_id: l.inboxEventId,
            })),
          recordings: call.recordings.map((r) => ({
            id: r.id, recording_key: r.recordingKey, leg_key: r.legKey, origin_url: r.originUrl, status: r.status,
          })),
          deliveries: call.deliveries.map((d) => ({
            id: d.id, crm_account_id: d.crmAccountId, state: d.state, step: d.step, reason: d.reason, uniq: d.uniq,
            attempts: d.attempts, outcome_unknown: d.outcomeUnknown, next_attempt_at: iso(d.nextAttemptAt),
            last_attempt_at: iso(d.lastAttemptAt), last_error: d.lastError, crm_refs: d.crmRefs ?? {},
            delivered_at: iso(d.deliveredAt),
            history: d.history.map((a) => ({
              at: iso(a.at), step: a.step, outcome: a.outcome, http_status: a.httpStatus, detail: a.detail,
            })),
          })),
        },
        200,
      );
    });
}

type ConversationRow = typeof conversations.$inferSelect;
function presentSummary(c: ConversationRow, d: { state: string; reason: string | null } | null) {
  return {
    id: c.id,
    uniq: c.uniq,
    source: c.source,
    call_key: c.callKey,
    direction: c.direction,
    external_number: c.externalNumber,
    external_number_raw: c.externalNumberRaw,
    extension: c.extension,
    outcome: c.outcome,
    started_at: iso(c.startedAt),
    ended_at: iso(c.endedAt),
    duration_seconds: c.durationSeconds,
    talk_seconds: c.talkSeconds,
    leg_count: c.legCount,
    settled_at: iso(c.settledAt),
    delivery_state: (d?.state ?? 'unsettled') as (typeof DELIVERY_STATES)[number] | 'unsettled',
    delivery_reason: d?.reason ?? null,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function encodeCursor(at: Date, id: string): string {
  return btoa(`${at.toISOString()}|${id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = atob(cursor.replace(/-/g, '+').replace(/_/g, '/')).split('|');
    const date = new Date(at ?? '');
    if (!id || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new ApiError(400, 'invalid_query', 'cursor: not a cursor this API returned');
  }
}
