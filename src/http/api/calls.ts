/**
 * Admin: find calls (phone in any format, extension, period, outcome, delivery state) and read one
 * call with its legs, recordings and deliveries.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { DELIVERY_STATES } from '../../domain/delivery';
import { OUTCOMES } from '../../domain/call';
import { parseInstant } from '../../domain/time';
import { ledgerContext, type AppDeps } from '../../deps';
import { ownExtension } from '../core/access';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { recordingState } from '../../domain/call';
import { type CallCursor, type CallDetail, type ConversationRow, decodeCallCursor, findCall, searchCalls } from '../../ledger/calls-query';
import { unstorableText } from '../../lib/text';
import { notRecordedByPolicy } from '../../recordings/policy';

/** Times PostgreSQL's timestamptz and every call in the ledger fit in, with room to spare. */
const FILTER_TIMES = { from: Date.UTC(1900, 0, 1), to: Date.UTC(10000, 0, 1) };

/** Why a filter's text cannot be searched for (PostgreSQL refuses NUL, lone surrogates), or null. */
export function filterTextProblem(name: string, value: string | undefined): string | null {
  const problem = value === undefined ? null : unstorableText(value);
  return problem ? `${name}: ${problem}` : null;
}

/** A cursor this API could have returned: its time is one a call can have. */
export function plausibleCursor(cursor: CallCursor): boolean {
  const at = cursor.at.getTime();
  return at >= FILTER_TIMES.from && at < FILTER_TIMES.to;
}

const CallSummarySchema = z
  .object({
    id: z.string().uuid(),
    uniq: z.string(),
    source: z.string(),
    call_key: z.string(),
    direction: z.string().nullable(),
    direction_rule: z
      .string()
      .nullable()
      .openapi({ description: 'Which rule of the source decided the direction (a channel, a context, a declared type, the numbers)' }),
    external_number: z.string().nullable(),
    external_number_raw: z.string().nullable(),
    external_number_note: z.string().nullable().openapi({ description: 'Why the outside number is kept as dialled, not in E.164' }),
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
    if (!parsed.ok) throw new ApiError('invalid_query', `${name}: ${parsed.message}`);
    return parsed.value;
  };
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      for (const name of ['phone', 'extension', 'from', 'to', 'cursor'] as const) {
        const problem = filterTextProblem(name, q[name]);
        if (problem) throw new ApiError('invalid_query', problem);
      }
      const cursor = q.cursor ? decodeCallCursor(q.cursor) : undefined;
      if (cursor === null || (cursor && !plausibleCursor(cursor))) throw new ApiError('invalid_query', 'cursor: not a cursor this API returned');
      const from = time('from', q.from);
      const to = time('to', q.to);
      // A rep sees their own extension's calls only (access.ts); a rep with none, no calls.
      const own = ownExtension(c);
      if (own === null) return c.json({ items: [], next_cursor: null }, 200);
      const page = await searchCalls(deps.db, ctx.rules, deps.settings.crm.accountId, {
        ...(q.phone ? { phone: q.phone } : {}),
        ...(own !== undefined ? { extension: own } : q.extension ? { extension: q.extension } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(cursor ? { cursor } : {}),
        limit: q.limit,
      });
      return c.json({ items: page.items.map((r) => presentSummary(r.call, r.delivery)), next_cursor: page.nextCursor }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const call = await findCall(deps.db, id);
      const own = ownExtension(c);
      if (!call || (own !== undefined && call.extension !== own)) throw new ApiError('not_found', `no call ${id}`);
      const delivery = call.deliveries.find((d) => d.crmAccountId === deps.settings.crm.accountId) ?? null;
      return c.json(presentCall(call, delivery, !!deps.recordings), 200);
    });
}

function presentRecordingState(r: CallDetail['recordings'][number], archiving: boolean) {
  const { state, reason } = recordingState(r, archiving);
  return { state, state_reason: reason };
}

/** A call with its legs, recordings and deliveries (every attempt), as GET /v1/calls/:id answers it. */
function presentCall(call: CallDetail, delivery: CallDetail['deliveries'][number] | null, archiving: boolean) {
  return {
    ...presentSummary(call, delivery),
    answered_at: iso(call.answeredAt),
    awaiting_recordings: call.awaitingRecordings,
    final_seen_at: iso(call.finalSeenAt),
    settle_due_at: iso(call.settleDueAt),
    revision: call.revision,
    legs: call.legs
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
      .map((l) => ({
        leg_key: l.legKey,
        direction: l.direction,
        from: l.fromRaw,
        to: l.toRaw,
        extension: l.extension,
        started_at: iso(l.startedAt),
        answered_at: iso(l.answeredAt),
        ended_at: iso(l.endedAt),
        disposition: l.disposition,
        talk_seconds: l.talkSeconds,
        final: l.final,
        recorded: l.recorded,
        inbox_event_id: l.inboxEventId,
      })),
    recordings: call.recordings.map((r) => ({
      id: r.id,
      recording_key: r.recordingKey,
      leg_key: r.legKey,
      origin_url: r.originUrl,
      // archived | pending | refused | failed | not_recorded | skipped | purged | referenced, and why.
      ...presentRecordingState(r, archiving),
      status: r.status,
      fetch_state: r.fetchState,
      fetch_error: r.fetchError,
      fetch_attempts: r.fetchAttempts,
    })),
    /** "not recorded by policy (rule #N)" when a recording policy skipped the call's recordings. */
    not_recorded: notRecordedByPolicy(call.recordings),
    deliveries: call.deliveries.map((d) => ({
      id: d.id,
      crm_account_id: d.crmAccountId,
      state: d.state,
      step: d.step,
      reason: d.reason,
      uniq: d.uniq,
      attempts: d.attempts,
      outcome_unknown: d.outcomeUnknown,
      next_attempt_at: iso(d.nextAttemptAt),
      last_attempt_at: iso(d.lastAttemptAt),
      last_error: d.lastError,
      crm_refs: d.crmRefs ?? {},
      delivered_at: iso(d.deliveredAt),
      history: d.history.map((a) => ({
        at: iso(a.at),
        step: a.step,
        outcome: a.outcome,
        http_status: a.httpStatus,
        detail: a.detail,
      })),
    })),
  };
}

function presentSummary(c: ConversationRow, d: { state: string; reason: string | null } | null) {
  return {
    id: c.id,
    uniq: c.uniq,
    source: c.source,
    call_key: c.callKey,
    direction: c.direction,
    direction_rule: c.directionRule,
    external_number: c.externalNumber,
    external_number_raw: c.externalNumberRaw,
    external_number_note: c.externalNumberNote,
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
