/**
 * Admin: the recording policy (recordings/policy.ts) — list, add and remove rules — and revoking
 * recording links, one recording's or all. Owner and admin only; every change is audited
 * (`settings.recording_policy`, `recording.revoke_links`).
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { Context } from 'hono';
import type { AppDeps } from '../../deps';
import type { Actor } from '../../domain/actor';
import { RECORDING_POLICY_ACTIONS, RECORDING_POLICY_DIRECTIONS, type recordingPolicies } from '../../db/schema';
import { activePolicies, addPolicy, type NewPolicy, policyProblems, removePolicy } from '../../recordings/policy';
import { ALL_LINKS, findCallAudio, revokeAndRecord } from '../../recordings/revocations';
import { clientIp } from '../core/actor';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

/** Owner and admin manage who is recorded and who may still listen. */
export const managesRecordings = (actor: Actor | undefined) => actor?.role === 'owner' || actor?.role === 'admin';

function requireManager(c: Context): Actor {
  const actor = c.get('actor');
  if (!managesRecordings(actor)) throw new ApiError('forbidden', 'only an owner or an admin manages recording policies and links');
  return actor;
}

const PolicySchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int().nullable(),
    department: z.string().nullable(),
    line: z.string().nullable(),
    direction: z.enum(RECORDING_POLICY_DIRECTIONS).nullable(),
    action: z.enum(RECORDING_POLICY_ACTIONS),
    note: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .openapi('RecordingPolicy');

const NewPolicySchema = z
  .object({
    user_id: z.number().int().positive().nullable().optional().openapi({ description: 'the CRM user behind the extension (`extensions` map)' }),
    department: z.string().trim().min(1).max(100).nullable().optional(),
    line: z.string().trim().min(1).max(64).nullable().optional().openapi({ description: 'our number, compared by its digits' }),
    direction: z.enum(RECORDING_POLICY_DIRECTIONS).nullable().optional(),
    action: z.enum(RECORDING_POLICY_ACTIONS),
    note: z.string().max(500).nullable().optional(),
  })
  .openapi('NewRecordingPolicy');

export function presentPolicy(p: typeof recordingPolicies.$inferSelect) {
  return {
    id: p.id,
    user_id: p.userId,
    department: p.department,
    line: p.line,
    direction: p.direction,
    action: p.action,
    note: p.note,
    created_by: p.createdBy,
    created_at: p.createdAt.toISOString(),
  };
}

const tags = ['recording access'];
const security = [{ bearer: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/v1/recording-policies',
  tags,
  security,
  summary: 'The recording policy rules in force (scope: admin; owner or admin)',
  responses: {
    200: { description: 'Rules, oldest first', content: { 'application/json': { schema: z.object({ items: z.array(PolicySchema) }) } } },
    ...errorResponses(401, 403),
  },
});

const addRoute = createRoute({
  method: 'post',
  path: '/v1/recording-policies',
  tags,
  security,
  summary: 'Add a rule: record or skip calls of a user, department, line and/or direction, from now on (scope: admin; owner or admin)',
  description:
    'Among the rules in force when a call starts, the most specific (most fields named) decides, the newest on a tie; no rule: recorded. ' +
    'A skipped call is not fetched, archived or linked, and says "not recorded by policy (rule #N)".',
  request: { body: { content: { 'application/json': { schema: NewPolicySchema } }, required: true } },
  responses: {
    201: { description: 'The rule', content: { 'application/json': { schema: PolicySchema } } },
    ...errorResponses(400, 401, 403),
  },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/v1/recording-policies/{id}',
  tags,
  security,
  summary: 'Remove a rule: calls from now on are no longer judged by it (scope: admin; owner or admin)',
  request: { params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }) },
  responses: {
    204: { description: 'Removed' },
    ...errorResponses(400, 401, 403, 404),
  },
});

const RevokeBody = z
  .object({
    reason: z.string().max(500).optional().openapi({ description: 'why, for the audit trail' }),
    refresh_notes: z.boolean().default(true).openapi({ description: "queue the call's CRM note for an update with a new link (default true)" }),
  })
  .openapi('RevokeLinks');

const RevokedSchema = z
  .object({
    scope: z.string().openapi({ description: 'the recording id, or "*" for every link' }),
    revoked_before: z.string(),
    notes_refreshed: z.number().int(),
  })
  .openapi('LinksRevoked');

const revokeOneRoute = createRoute({
  method: 'post',
  path: '/v1/recordings/{id}/revoke-links',
  tags,
  security,
  summary: 'Revoke every link to one recording signed until now (scope: admin; owner or admin); its note gets a new one',
  description: "The id is the recording's (the one in `/recordings/<id>.mp3`) or its call's. Revoked links answer 404, like any unusable link.",
  request: {
    params: z.object({ id: z.string().uuid() }),
    body: { content: { 'application/json': { schema: RevokeBody } }, required: false },
  },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: RevokedSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const revokeAllRoute = createRoute({
  method: 'post',
  path: '/v1/recordings/revoke-links',
  tags,
  security,
  summary: 'Revoke every recording link signed until now, of every recording (scope: admin; owner or admin)',
  description:
    'Links in CRM notes stop working; a note gets a new link when it is next updated (a late segment, a re-push). `refresh_notes` is ignored here: ' +
    'refreshing every note at once would spend the CRM budget for days.',
  request: { body: { content: { 'application/json': { schema: RevokeBody } }, required: false } },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: RevokedSchema } } },
    ...errorResponses(400, 401, 403),
  },
});

/** The JSON body of a revocation, or its defaults when there is none. */
async function revokeBody(c: Context): Promise<z.output<typeof RevokeBody>> {
  const text = await c.req.text();
  if (!text.trim()) return { refresh_notes: true };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', 'body: expected JSON');
  }
  const parsed = RevokeBody.safeParse(json);
  if (!parsed.success) throw new ApiError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

export function recordingAccessRoutes(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const app = new OpenAPIHono();
  app.openapi(listRoute, async (c) => {
    requireManager(c);
    return c.json({ items: (await activePolicies(deps.db)).map(presentPolicy) }, 200);
  });
  app.openapi(addRoute, async (c) => {
    const actor = requireManager(c);
    const body = c.req.valid('json');
    const rule: NewPolicy = {
      userId: body.user_id ?? null,
      department: body.department ?? null,
      line: body.line ?? null,
      direction: body.direction ?? null,
      action: body.action,
      note: body.note ?? null,
    };
    const problems = policyProblems(rule);
    if (problems.length) throw new ApiError('invalid_request', problems.join('; '), problems);
    const row = await addPolicy(deps.db, rule, `${actor.kind}:${actor.id}`, now());
    await auditRequest(deps, c, 'settings.recording_policy', `recording_policy:${row.id}`, { change: 'add', rule: presentPolicy(row) });
    return c.json(presentPolicy(row), 201);
  });
  app.openapi(removeRoute, async (c) => {
    const actor = requireManager(c);
    const { id } = c.req.valid('param');
    const row = await removePolicy(deps.db, id, `${actor.kind}:${actor.id}`, now());
    if (!row) throw new ApiError('not_found', `no recording policy rule #${id} in force`);
    await auditRequest(deps, c, 'settings.recording_policy', `recording_policy:${id}`, { change: 'remove', rule: presentPolicy(row) });
    return c.body(null, 204);
  });
  app.openapi(revokeOneRoute, async (c) => {
    const actor = requireManager(c);
    const body = await revokeBody(c);
    const audio = await findCallAudio(deps.db, c.req.valid('param').id);
    if (!audio) throw new ApiError('not_found', 'no such recording');
    const at = now();
    const done = await revokeAndRecord(
      deps.db,
      { scope: audio.id, actor, ip: clientIp(c), reason: body.reason ?? null, refreshCall: body.refresh_notes ? audio.conversationId : null },
      at,
    );
    if (done.notesRefreshed) deps.wakeDelivery?.();
    return c.json({ scope: audio.id, revoked_before: at.toISOString(), notes_refreshed: done.notesRefreshed }, 200);
  });
  app.openapi(revokeAllRoute, async (c) => {
    const actor = requireManager(c);
    const body = await revokeBody(c);
    const at = now();
    await revokeAndRecord(deps.db, { scope: ALL_LINKS, actor, ip: clientIp(c), reason: body.reason ?? null }, at);
    return c.json({ scope: ALL_LINKS, revoked_before: at.toISOString(), notes_refreshed: 0 }, 200);
  });
  return app;
}
